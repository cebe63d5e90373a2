/**
 * Converters for face-api's attribute nets, from their tfjs layers weights:
 *
 * - `age_gender`: TinyXception with 2 main blocks (face-api's xception/TinyXception.ts)
 *   → 7×7×512 → average pool → FC 512→1 (age, years) and FC 512→2 + softmax
 *   (gender: [male, female]).
 * - `face_expression`: the 68-landmark net's feature extractor (four 4-conv
 *   dense blocks) → average pool → FC 256→7 + softmax, in face-api's order
 *   neutral, happy, sad, angry, fearful, disgusted, surprised.
 *
 * Both take what the landmark net takes (face-crop.ts): float32 [N,3,112,112],
 * 0–255, the face box padded to a square (centred) and resized as face-api's
 * `toBatchTensor(112, true)`; the graphs normalise `(x - meanRgb) / 255` first.
 */
import { GraphBuilder } from '../onnx/graph-builder.js';
import { channelConstant, conv2d, separableConv2d } from '../onnx/tfjs-layers.js';
import { denseBlock, LANDMARK_MEAN_RGB } from '../landmarks/graph.js';
import type { ModelConverter } from '../models/model-cache.js';
import type { TfjsWeights } from '../models/tfjs-weights.js';

export const ATTRIBUTE_INPUT_NAME = 'image';
export const EXPRESSION_LABELS = ['neutral', 'happy', 'sad', 'angry', 'fearful', 'disgusted', 'surprised'] as const;
export type Expression = (typeof EXPRESSION_LABELS)[number];

function normalisedInput(g: GraphBuilder): string {
  const input = g.input(ATTRIBUTE_INPUT_NAME, ['N', 3, 112, 112]);
  const centred = g.node('Sub', [input, channelConstant(g, 'mean_rgb', Float32Array.from(LANDMARK_MEAN_RGB))], {}, 'centred');
  return g.node('Div', [centred, g.scalar('pixel_scale', 255)], {}, 'normalised');
}

function sep(g: GraphBuilder, x: string, w: TfjsWeights, prefix: string): string {
  return separableConv2d(
    g,
    x,
    { depthwise: w.get(`${prefix}/depthwise_filter`), pointwise: w.get(`${prefix}/pointwise_filter`), bias: w.get(`${prefix}/bias`) },
    { stride: 1, name: `${prefix}/depthwise` },
  );
}

/** face-api's reductionBlock: two separable convs, 3×3/2 max pool, plus a 1×1/2 "expansion" conv of the block input. */
function reductionBlock(g: GraphBuilder, x: string, w: TfjsWeights, prefix: string, activateInput: boolean): string {
  let out = activateInput ? g.node('Relu', [x], {}, `${prefix}/in`) : x;
  out = sep(g, out, w, `${prefix}/separable_conv0`);
  out = sep(g, g.node('Relu', [out], {}, `${prefix}/relu1`), w, `${prefix}/separable_conv1`);
  out = g.node('MaxPool', [out], { kernel_shape: { ints: [3, 3] }, strides: { ints: [2, 2] }, auto_pad: { s: 'SAME_UPPER' } }, `${prefix}/pool`);
  const expansion = conv2d(g, x, w.get(`${prefix}/expansion_conv/filters`), w.get(`${prefix}/expansion_conv/bias`), { stride: 2, name: `${prefix}/expansion_conv` });
  return g.node('Add', [expansion, out], {}, `${prefix}/out`);
}

function mainBlock(g: GraphBuilder, x: string, w: TfjsWeights, prefix: string): string {
  let out = sep(g, g.node('Relu', [x], {}, `${prefix}/relu0`), w, `${prefix}/separable_conv0`);
  out = sep(g, g.node('Relu', [out], {}, `${prefix}/relu1`), w, `${prefix}/separable_conv1`);
  out = sep(g, g.node('Relu', [out], {}, `${prefix}/relu2`), w, `${prefix}/separable_conv2`);
  return g.node('Add', [out, x], {}, `${prefix}/out`);
}

function fc(g: GraphBuilder, x: string, w: TfjsWeights, prefix: string, name: string): string {
  const W = w.get(`${prefix}/weights`);
  const B = w.get(`${prefix}/bias`);
  return g.node('Gemm', [x, g.constant(`${prefix}/weights`, W.data, W.shape), g.constant(`${prefix}/bias`, B.data, [B.data.length])], {}, name);
}

function buildAgeGender(w: TfjsWeights): Uint8Array {
  const g = new GraphBuilder('age_gender');
  let x = normalisedInput(g);
  x = g.node('Relu', [conv2d(g, x, w.get('entry_flow/conv_in/filters'), w.get('entry_flow/conv_in/bias'), { stride: 2, name: 'entry_flow/conv_in' })], {}, 'entry_flow/relu');
  x = reductionBlock(g, x, w, 'entry_flow/reduction_block_0', false);
  x = reductionBlock(g, x, w, 'entry_flow/reduction_block_1', true);
  x = mainBlock(g, x, w, 'middle_flow/main_block_0');
  x = mainBlock(g, x, w, 'middle_flow/main_block_1');
  x = reductionBlock(g, x, w, 'exit_flow/reduction_block', true);
  x = g.node('Relu', [sep(g, x, w, 'exit_flow/separable_conv')], {}, 'exit_flow/relu');
  // face-api: avgPool([7,7], [2,2], 'valid') on the 7×7 map = a global average.
  const flat = g.node('Flatten', [g.node('GlobalAveragePool', [x], {}, 'pooled')], { axis: { i: 1 } }, 'features');
  g.output(fc(g, flat, w, 'fc/age', 'age'), ['N', 1]);
  g.output(g.node('Softmax', [fc(g, flat, w, 'fc/gender', 'gender_logits')], { axis: { i: 1 } }, 'gender'), ['N', 2]);
  return g.toBytes();
}

function buildExpression(w: TfjsWeights): Uint8Array {
  const g = new GraphBuilder('face_expression');
  let x = normalisedInput(g);
  ['dense0', 'dense1', 'dense2', 'dense3'].forEach((prefix, i) => {
    x = denseBlock(g, x, w, prefix, 4, i === 0);
  });
  const flat = g.node('Flatten', [g.node('GlobalAveragePool', [x], {}, 'pooled')], { axis: { i: 1 } }, 'features');
  g.output(g.node('Softmax', [fc(g, flat, w, 'fc', 'logits')], { axis: { i: 1 } }, 'expression'), ['N', 7]);
  return g.toBytes();
}

export const ageGenderConverter: ModelConverter = { model: 'age_gender', version: 1, build: buildAgeGender };
export const faceExpressionConverter: ModelConverter = { model: 'face_expression', version: 1, build: buildExpression };
