/**
 * SSD-MobileNetV1 post-processing, reproducing face-api's `outputLayer` and
 * `locateFaces`: every tfjs op rounds to float32, so each step here is wrapped
 * in Math.fround in the same order, which makes our decoded boxes and scores
 * bit-identical to face-api's for identical network outputs.
 */
import type { FaceDetection } from '../../types.js';
import { ssdNonMaxSuppression, type YxBox } from '../nms.js';
import { SSD_ANCHOR_COUNT, SSD_HEADS, SSD_INPUT_SIZE } from './graph.js';

const f32 = Math.fround;

/** face-api's fixed SSD settings. */
export const SSD_IOU_THRESHOLD = 0.5;
export const SSD_MAX_RESULTS = 100;
export const SSD_DEFAULT_MIN_SCORE = 0.5;

/** Anchor geometry precomputed from `Output/extra_dim` ([1,5118,4] as ymin,xmin,ymax,xmax). */
export interface SsdAnchors {
  sizeY: Float32Array;
  sizeX: Float32Array;
  centerY: Float32Array;
  centerX: Float32Array;
}

export function ssdAnchors(extraDim: Float32Array): SsdAnchors {
  if (extraDim.length !== SSD_ANCHOR_COUNT * 4) throw new Error(`SSD anchors: expected ${SSD_ANCHOR_COUNT * 4} values, got ${extraDim.length}`);
  const n = SSD_ANCHOR_COUNT;
  const a: SsdAnchors = { sizeY: new Float32Array(n), sizeX: new Float32Array(n), centerY: new Float32Array(n), centerX: new Float32Array(n) };
  for (let i = 0; i < n; i++) {
    const [v0, v1, v2, v3] = [extraDim[i * 4]!, extraDim[i * 4 + 1]!, extraDim[i * 4 + 2]!, extraDim[i * 4 + 3]!];
    const sy = f32(v2 - v0);
    const sx = f32(v3 - v1);
    a.sizeY[i] = sy;
    a.sizeX[i] = sx;
    a.centerY[i] = f32(v0 + f32(sy / 2));
    a.centerX[i] = f32(v1 + f32(sx / 2));
  }
  return a;
}

export interface SsdHeadOutput {
  data: Float32Array;
  dims: readonly number[];
}

/**
 * Turns the six head outputs into per-anchor scores (sigmoid of the face logit)
 * and, for anchors scoring above `minScore` only, decoded boxes
 * [ymin,xmin,ymax,xmax] relative to the 512×512 input. Anchor order is tfjs's:
 * head, then row, column, anchor.
 */
export function decodeSsd(heads: readonly SsdHeadOutput[], anchors: SsdAnchors, minScore: number): { boxes: YxBox[]; scores: Float32Array } {
  const scores = new Float32Array(SSD_ANCHOR_COUNT);
  const boxes: YxBox[] = new Array<YxBox>(SSD_ANCHOR_COUNT);
  const none: YxBox = [0, 0, 0, 0];
  let n = 0;
  SSD_HEADS.forEach((h, idx) => {
    const out = heads[idx];
    const A = h.anchors;
    const G = h.grid;
    if (!out || out.data.length !== A * 5 * G * G) throw new Error(`SSD head ${idx}: expected ${A * 5 * G * G} values, got ${out?.data.length}`);
    const d = out.data;
    const plane = G * G;
    for (let cell = 0; cell < plane; cell++) {
      for (let a = 0; a < A; a++, n++) {
        const logit = d[(A * 4 + a) * plane + cell]!;
        const score = f32(1 / (1 + Math.exp(-logit)));
        scores[n] = score;
        if (!(score > minScore)) {
          boxes[n] = none;
          continue;
        }
        const e0 = d[(a * 4) * plane + cell]!;
        const e1 = d[(a * 4 + 1) * plane + cell]!;
        const e2 = d[(a * 4 + 2) * plane + cell]!;
        const e3 = d[(a * 4 + 3) * plane + cell]!;
        const sy = anchors.sizeY[n]!;
        const sx = anchors.sizeX[n]!;
        const div0 = f32(f32(f32(Math.exp(f32(e2 / 5))) * sy) / 2);
        const add0 = f32(f32(f32(e0 / 10) * sy) + anchors.centerY[n]!);
        const div1 = f32(f32(f32(Math.exp(f32(e3 / 5))) * sx) / 2);
        const add1 = f32(f32(f32(e1 / 10) * sx) + anchors.centerX[n]!);
        boxes[n] = [f32(add0 - div0), f32(add1 - div1), f32(add0 + div0), f32(add1 + div1)];
      }
    }
  });
  return { boxes, scores };
}

/**
 * face-api's `locateFaces` after the forward pass: NMS (IoU 0.5, at most 100),
 * then boxes clamped to [0,1] of the padded square and mapped to pixels through
 * its `padX/padY` factors. Boxes are not clipped to the image (face-api's aren't).
 */
export function locateSsdFaces(
  decoded: { boxes: YxBox[]; scores: Float32Array },
  minScore: number,
  imageWidth: number,
  imageHeight: number,
): FaceDetection[] {
  const indices = ssdNonMaxSuppression(decoded.boxes, decoded.scores, SSD_MAX_RESULTS, SSD_IOU_THRESHOLD, minScore);
  const scale = SSD_INPUT_SIZE / Math.max(imageWidth, imageHeight);
  const padX = SSD_INPUT_SIZE / Math.round(imageWidth * scale);
  const padY = SSD_INPUT_SIZE / Math.round(imageHeight * scale);
  return indices.map((idx) => {
    const b = decoded.boxes[idx]!;
    const top = Math.max(0, b[0]) * padY;
    const bottom = Math.min(1.0, b[2]) * padY;
    const left = Math.max(0, b[1]) * padX;
    const right = Math.min(1.0, b[3]) * padX;
    // face-api: Rect(left, top, w, h).rescale(imageDims)
    const x = left * imageWidth;
    const y = top * imageHeight;
    const w = (right - left) * imageWidth;
    const h = (bottom - top) * imageHeight;
    return { score: decoded.scores[idx]!, box: { top: y, left: x, right: x + w, bottom: y + h } };
  });
}

/** For a detection pass on a square window of the image (upsampling): relative boxes → image pixels. */
export function locateSsdFacesInWindow(
  decoded: { boxes: YxBox[]; scores: Float32Array },
  minScore: number,
  window: { x: number; y: number; size: number },
): FaceDetection[] {
  const indices = ssdNonMaxSuppression(decoded.boxes, decoded.scores, SSD_MAX_RESULTS, SSD_IOU_THRESHOLD, minScore);
  return indices.map((idx) => {
    const b = decoded.boxes[idx]!;
    return {
      score: decoded.scores[idx]!,
      box: {
        top: window.y + Math.max(0, b[0]) * window.size,
        left: window.x + Math.max(0, b[1]) * window.size,
        bottom: window.y + Math.min(1, b[2]) * window.size,
        right: window.x + Math.min(1, b[3]) * window.size,
      },
    };
  });
}
