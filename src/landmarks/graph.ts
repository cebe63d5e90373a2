/**
 * Converters for face-api's 68-point landmark nets (`face_landmark_68` and
 * `face_landmark_68_tiny`) from their tfjs weights to ONNX.
 *
 * Both nets are a stack of "dense blocks" (face-api's faceFeatureExtractor/denseBlock.ts)
 * followed by an average pool that covers the whole last feature map and a
 * fully connected layer giving 136 numbers: x0, y0, x1, y1, … relative to the
 * padded 112×112 face crop.
 *
 * Graph input `image`: float32 [N,3,112,112], pixel values 0–255 of the
 * padded, resized face crop exactly as face-api's `toBatchTensor(112)` makes
 * them (see face-crop.ts). The graph starts with face-api's normalisation,
 * `(x - meanRgb) / 255` as a float32 Sub and Div, so it is bit-identical to
 * tfjs's; it is not folded into the first convolution because TF 'SAME'
 * zero-pads the *normalised* image, which a folded convolution would not
 * reproduce at the borders.
 * Graph output `landmarks`: float32 [N,136].
 *
 * ORT notes: every convolution carries its own bias (no separate Add), every
 * ReLU directly follows the node it applies to so Conv+Relu and Conv+Add(+Relu)
 * fuse, the running sum of a dense block is kept as one chain of Adds, and the
 * head is GlobalAveragePool → Flatten → Gemm. The pooled map is 1×1, so tfjs's
 * NHWC flatten and ONNX's NCHW flatten give the same channel order: the FC
 * weights are used as they are, with no transpose anywhere in the graph.
 */
import { GraphBuilder } from '../onnx/graph-builder.js';
import { channelConstant, conv2d, separableConv2d } from '../onnx/tfjs-layers.js';
import type { ModelConverter } from '../models/model-cache.js';
import type { TfjsWeights } from '../models/tfjs-weights.js';

/** Side of the square face crop both nets take. */
export const LANDMARK_INPUT_SIZE = 112;
/** face-api's per-channel mean (faceFeatureExtractor), subtracted before dividing by 255. */
export const LANDMARK_MEAN_RGB = [122.782, 117.001, 104.298] as const;
export const LANDMARK_INPUT_NAME = 'image';
export const LANDMARK_OUTPUT_NAME = 'landmarks';

/**
 * One dense block: out1 = relu(conv0(x)) with stride 2, then each further
 * separable conv reads relu(out1 + … + outk) and the block returns
 * relu(out1 + … + outN).
 */
export function denseBlock(g: GraphBuilder, x: string, w: TfjsWeights, prefix: string, convCount: 3 | 4, isFirst: boolean): string {
  const conv0 = isFirst
    ? conv2d(g, x, w.get(`${prefix}/conv0/filters`), w.get(`${prefix}/conv0/bias`), { stride: 2, name: `${prefix}/conv0` })
    : separableConv2d(
        g,
        x,
        {
          depthwise: w.get(`${prefix}/conv0/depthwise_filter`),
          pointwise: w.get(`${prefix}/conv0/pointwise_filter`),
          bias: w.get(`${prefix}/conv0/bias`),
        },
        { stride: 2, name: `${prefix}/conv0/depthwise` },
      );
  const out1 = g.node('Relu', [conv0], {}, `${prefix}/out1`);
  let sum = out1;
  let activated = out1;
  for (let k = 1; k < convCount; k++) {
    const outK = separableConv2d(
      g,
      activated,
      {
        depthwise: w.get(`${prefix}/conv${k}/depthwise_filter`),
        pointwise: w.get(`${prefix}/conv${k}/pointwise_filter`),
        bias: w.get(`${prefix}/conv${k}/bias`),
      },
      { stride: 1, name: `${prefix}/conv${k}/depthwise` },
    );
    // Conv output first: ORT's NCHWc transformer fuses Conv + Add(sum) into one kernel.
    sum = g.node('Add', [outK, sum], {}, `${prefix}/sum${k + 1}`);
    activated = g.node('Relu', [sum], {}, `${prefix}/in${k + 2}`);
  }
  return activated;
}

function buildLandmarkGraph(w: TfjsWeights, tiny: boolean): Uint8Array {
  const g = new GraphBuilder(tiny ? 'face_landmark_68_tiny' : 'face_landmark_68');
  const size = LANDMARK_INPUT_SIZE;
  const input = g.input(LANDMARK_INPUT_NAME, ['N', 3, size, size]);
  const blocks = tiny ? ['dense0', 'dense1', 'dense2'] : ['dense0', 'dense1', 'dense2', 'dense3'];
  const centred = g.node('Sub', [input, channelConstant(g, 'mean_rgb', Float32Array.from(LANDMARK_MEAN_RGB))], {}, 'centred');
  let x = g.node('Div', [centred, g.scalar('pixel_scale', 255)], {}, 'normalised');
  blocks.forEach((prefix, i) => {
    x = denseBlock(g, x, w, prefix, tiny ? 3 : 4, i === 0);
  });
  // face-api: avgPool([7,7] full / [14,14] tiny, stride 2, 'valid') on a 7×7 / 14×14 map = a global average.
  const finalSide = size >> blocks.length;
  const poolSide = tiny ? 14 : 7;
  if (finalSide !== poolSide) throw new Error(`landmark graph: last feature map is ${finalSide}×${finalSide}, expected ${poolSide}×${poolSide}`);
  const pooled = g.node('GlobalAveragePool', [x], {}, 'pooled');
  const flat = g.node('Flatten', [pooled], { axis: { i: 1 } }, 'features');
  const fcW = w.get('fc/weights');
  const fcB = w.get('fc/bias');
  const channels = tiny ? 128 : 256;
  if (fcW.shape[0] !== channels || fcW.shape[1] !== 136) {
    throw new Error(`landmark graph: fc/weights has shape [${fcW.shape.join(',')}], expected [${channels},136]`);
  }
  // fc/weights is [in, out] like tfjs matMul(x, W): Gemm with transB = 0 takes it as is.
  const out = g.node(
    'Gemm',
    [flat, g.constant('fc/weights', fcW.data, fcW.shape), g.constant('fc/bias', fcB.data, [fcB.data.length])],
    {},
    LANDMARK_OUTPUT_NAME,
  );
  g.output(out, ['N', 136]);
  return g.toBytes();
}

/** `face_landmark_68`: four 4-conv dense blocks (32→64→128→256 channels) + FC 256→136. */
export const faceLandmark68Converter: ModelConverter = {
  model: 'face_landmark_68',
  version: 2,
  build: (weights) => buildLandmarkGraph(weights, false),
};

/** `face_landmark_68_tiny`: three 3-conv dense blocks (32→64→128 channels) + FC 128→136. */
export const faceLandmark68TinyConverter: ModelConverter = {
  model: 'face_landmark_68_tiny',
  version: 2,
  build: (weights) => buildLandmarkGraph(weights, true),
};
