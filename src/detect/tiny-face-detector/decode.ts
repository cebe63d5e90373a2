/**
 * Tiny face detector post-processing, reproducing face-api's
 * `TinyYolov2Base.detect` + `TinyFaceDetector.locateFaces`: sigmoid/exp in
 * double precision on the float32 grid, boxes relative to the padded square
 * corrected by face-api's rounded reshape factors, NMS at IoU 0.4 on boxes
 * scaled to the input size, then relative boxes scaled to image pixels.
 */
import type { FaceDetection } from '../../types.js';
import { nonMaxSuppression, type XywhBox } from '../nms.js';
import { TINY_ANCHORS } from './graph.js';

export const TINY_IOU_THRESHOLD = 0.4;
export const TINY_DEFAULT_INPUT_SIZE = 416;
export const TINY_DEFAULT_SCORE_THRESHOLD = 0.5;

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

export interface TinyCandidate {
  /** Relative to the padded square, corrected for face-api's reshape rounding. */
  box: XywhBox;
  score: number;
}

/** Grid [1,25,G,G] NCHW → candidates scoring above `scoreThreshold`, in face-api's (row, col, anchor) order. */
export function decodeTiny(
  grid: { data: Float32Array; dims: readonly number[] },
  scoreThreshold: number,
  correction: { x: number; y: number } = { x: 1, y: 1 },
): TinyCandidate[] {
  const numBoxes = TINY_ANCHORS.length;
  const G = grid.dims[2]!;
  if (grid.dims.length !== 4 || grid.dims[1] !== numBoxes * 5 || grid.dims[3] !== G) {
    throw new Error(`tiny face detector: unexpected output shape [${grid.dims.join(',')}]`);
  }
  const d = grid.data;
  const plane = G * G;
  const out: TinyCandidate[] = [];
  for (let row = 0; row < G; row++) {
    for (let col = 0; col < G; col++) {
      const cell = row * G + col;
      for (let anchor = 0; anchor < numBoxes; anchor++) {
        const ch = anchor * 5;
        const score = sigmoid(d[(ch + 4) * plane + cell]!);
        if (!(score > scoreThreshold)) continue;
        const a = TINY_ANCHORS[anchor]!;
        const ctX = ((col + sigmoid(d[ch * plane + cell]!)) / G) * correction.x;
        const ctY = ((row + sigmoid(d[(ch + 1) * plane + cell]!)) / G) * correction.y;
        const widthLocal = ((Math.exp(d[(ch + 2) * plane + cell]!) * a.x) / G) * correction.x;
        const heightLocal = ((Math.exp(d[(ch + 3) * plane + cell]!) * a.y) / G) * correction.y;
        const x = ctX - widthLocal / 2;
        const y = ctY - heightLocal / 2;
        // face-api: BoundingBox(x, y, x + w, y + h) stores width as (x + w) - x.
        out.push({ box: { x, y, width: x + widthLocal - x, height: y + heightLocal - y }, score });
      }
    }
  }
  return out;
}

function rescale(b: XywhBox, sx: number, sy: number): XywhBox {
  return { x: b.x * sx, y: b.y * sy, width: b.width * sx, height: b.height * sy };
}

/** face-api's tiny-detector result for an image, boxes in pixels (not clipped, as face-api's aren't). */
export function locateTinyFaces(
  grid: { data: Float32Array; dims: readonly number[] },
  inputSize: number,
  scoreThreshold: number,
  imageWidth: number,
  imageHeight: number,
): FaceDetection[] {
  // face-api: computeReshapedDimensions, then correction = inputSize / reshaped side.
  const scale = inputSize / Math.max(imageWidth, imageHeight);
  const rw = Math.round(imageWidth * scale);
  const rh = Math.round(imageHeight * scale);
  const side = Math.max(rw, rh);
  const candidates = decodeTiny(grid, scoreThreshold, { x: side / rw, y: side / rh });
  const picked = nonMaxSuppression(
    candidates.map((c) => rescale(c.box, inputSize, inputSize)),
    candidates.map((c) => c.score),
    TINY_IOU_THRESHOLD,
  );
  return picked.map((i) => {
    const c = candidates[i]!;
    const b = rescale(c.box, imageWidth, imageHeight);
    return { score: c.score, box: { top: b.y, left: b.x, right: b.x + b.width, bottom: b.y + b.height } };
  });
}

/** For a pass on a square window of the image (upsampling): relative boxes map linearly onto the window. */
export function locateTinyFacesInWindow(
  grid: { data: Float32Array; dims: readonly number[] },
  inputSize: number,
  scoreThreshold: number,
  window: { x: number; y: number; size: number },
): FaceDetection[] {
  const candidates = decodeTiny(grid, scoreThreshold);
  const picked = nonMaxSuppression(
    candidates.map((c) => rescale(c.box, inputSize, inputSize)),
    candidates.map((c) => c.score),
    TINY_IOU_THRESHOLD,
  );
  return picked.map((i) => {
    const b = candidates[i]!.box;
    const s = window.size;
    return { score: candidates[i]!.score, box: { top: window.y + b.y * s, left: window.x + b.x * s, right: window.x + (b.x + b.width) * s, bottom: window.y + (b.y + b.height) * s } };
  });
}
