/**
 * The two non-maximum suppressions face-api uses, reproduced line for line
 * (including their tie-breaking), so our detections match face-api's exactly.
 */

/** A box as [ymin, xmin, ymax, xmax] (SSD's layout), any unit. */
export type YxBox = readonly [number, number, number, number];

/** IoU exactly as face-api's SSD `IOU` (tolerates swapped corners; zero-area boxes → 0). */
export function ssdIou(a: YxBox, b: YxBox): number {
  const yminI = Math.min(a[0], a[2]);
  const xminI = Math.min(a[1], a[3]);
  const ymaxI = Math.max(a[0], a[2]);
  const xmaxI = Math.max(a[1], a[3]);
  const yminJ = Math.min(b[0], b[2]);
  const xminJ = Math.min(b[1], b[3]);
  const ymaxJ = Math.max(b[0], b[2]);
  const xmaxJ = Math.max(b[1], b[3]);
  const areaI = (ymaxI - yminI) * (xmaxI - xminI);
  const areaJ = (ymaxJ - yminJ) * (xmaxJ - xminJ);
  if (areaI <= 0 || areaJ <= 0) return 0.0;
  const interYmin = Math.max(yminI, yminJ);
  const interXmin = Math.max(xminI, xminJ);
  const interYmax = Math.min(ymaxI, ymaxJ);
  const interXmax = Math.min(xmaxI, xmaxJ);
  const inter = Math.max(interYmax - interYmin, 0.0) * Math.max(interXmax - interXmin, 0.0);
  return inter / (areaI + areaJ - inter);
}

/**
 * face-api's SSD NMS: candidates with score > scoreThreshold, by descending
 * score (stable), each kept unless its IoU with a kept box exceeds iouThreshold.
 * Returns indices into `boxes`/`scores`, in selection order.
 */
export function ssdNonMaxSuppression(
  boxes: readonly YxBox[],
  scores: ArrayLike<number>,
  maxOutputSize: number,
  iouThreshold: number,
  scoreThreshold: number,
): number[] {
  const outputSize = Math.min(maxOutputSize, boxes.length);
  const candidates: { score: number; boxIndex: number }[] = [];
  for (let i = 0; i < scores.length; i++) if (scores[i]! > scoreThreshold) candidates.push({ score: scores[i]!, boxIndex: i });
  candidates.sort((c1, c2) => c2.score - c1.score);
  const selected: number[] = [];
  for (const c of candidates) {
    if (selected.length >= outputSize) break;
    const originalScore = c.score;
    for (let j = selected.length - 1; j >= 0; --j) {
      const iou = ssdIou(boxes[c.boxIndex]!, boxes[selected[j]!]!);
      if (iou === 0.0) continue;
      c.score *= iou <= iouThreshold ? 1 : 0;
      if (c.score <= scoreThreshold) break;
    }
    if (originalScore === c.score) selected.push(c.boxIndex);
  }
  return selected;
}

/** A box as x, y, width, height (face-api's `Box`). */
export interface XywhBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** face-api's `iou(box1, box2, true)`. */
export function iou(a: XywhBox, b: XywhBox): number {
  const w = Math.max(0.0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const h = Math.max(0.0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  const inter = w * h;
  return inter / (a.width * a.height + b.width * b.height - inter);
}

/**
 * face-api's generic `nonMaxSuppression` (used by the tiny detector): repeatedly
 * take the highest score (on ties the later index, as face-api's stable
 * ascending sort + pop does) and drop boxes with IoU > iouThreshold against it.
 */
export function nonMaxSuppression(boxes: readonly XywhBox[], scores: readonly number[], iouThreshold: number): number[] {
  let order = scores
    .map((score, boxIndex) => ({ score, boxIndex }))
    .sort((c1, c2) => c1.score - c2.score)
    .map((c) => c.boxIndex);
  const pick: number[] = [];
  while (order.length > 0) {
    const curr = order.pop()!;
    pick.push(curr);
    const currBox = boxes[curr]!;
    order = order.filter((idx) => iou(currBox, boxes[idx]!) <= iouThreshold);
  }
  return pick;
}

/** A pixel box in face_recognition's terms (same shape as types.ts FaceBox). */
interface TrblBox {
  top: number;
  right: number;
  bottom: number;
  left: number;
}

/**
 * Greedy NMS over detections from several passes (upsampling): highest score
 * first (ties: earlier first), dropping any box whose IoU with a kept one
 * exceeds `iouThreshold`. Returns the kept detections in that order.
 */
export function mergeDetections<T extends { box: TrblBox; score: number }>(detections: readonly T[], iouThreshold: number): T[] {
  const order = detections.map((d, i) => ({ d, i })).sort((a, b) => b.d.score - a.d.score || a.i - b.i);
  const kept: T[] = [];
  const asYx = (b: TrblBox): YxBox => [b.top, b.left, b.bottom, b.right];
  for (const { d } of order) {
    const box = asYx(d.box);
    if (kept.every((k) => ssdIou(box, asYx(k.box)) <= iouThreshold)) kept.push(d);
  }
  return kept;
}
