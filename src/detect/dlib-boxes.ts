/**
 * Test/bench helper: dlib imglab XML ground truth (`<image file><box top left
 * width height/>`) and the two ways we match detections to it.
 */
import { readFileSync } from 'node:fs';
import type { FaceBox } from '../types.js';

export interface LabelledImage {
  file: string;
  boxes: FaceBox[];
}

/** Parses a dlib imglab XML file (only what we need: image files and face boxes; `ignore` boxes are skipped). */
export function parseImglabXml(path: string): LabelledImage[] {
  const xml = readFileSync(path, 'latin1');
  const images: LabelledImage[] = [];
  const imageRe = /<image\s+file='([^']+)'[^>]*>([\s\S]*?)<\/image>/g;
  for (let m = imageRe.exec(xml); m; m = imageRe.exec(xml)) {
    const boxes: FaceBox[] = [];
    const boxRe = /<box\s+([^>]*?)\/?>/g;
    for (let b = boxRe.exec(m[2]!); b; b = boxRe.exec(m[2]!)) {
      const attr = (name: string) => Number(new RegExp(`${name}='(-?\\d+)'`).exec(b![1]!)?.[1]);
      if (/ignore='1'/.test(b[1]!)) continue;
      const top = attr('top');
      const left = attr('left');
      boxes.push({ top, left, bottom: top + attr('height'), right: left + attr('width') });
    }
    images.push({ file: m[1]!, boxes });
  }
  return images;
}

export function boxIou(a: FaceBox, b: FaceBox): number {
  const w = Math.max(0, Math.min(a.right, b.right) - Math.max(a.left, b.left));
  const h = Math.max(0, Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top));
  const inter = w * h;
  const union = (a.right - a.left) * (a.bottom - a.top) + (b.right - b.left) * (b.bottom - b.top) - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * Centre-and-scale match, insensitive to how tight a detector draws its boxes:
 * the detection's centre lies within half the truth box's side of the truth
 * centre, and the sides' geometric-mean sizes are within a factor of 2.
 */
export function centreScaleMatch(truth: FaceBox, det: FaceBox): boolean {
  const ts = Math.sqrt((truth.right - truth.left) * (truth.bottom - truth.top));
  const ds = Math.sqrt((det.right - det.left) * (det.bottom - det.top));
  const dx = (det.left + det.right) / 2 - (truth.left + truth.right) / 2;
  const dy = (det.top + det.bottom) / 2 - (truth.top + truth.bottom) / 2;
  return Math.hypot(dx, dy) <= ts / 2 && ds / ts <= 2 && ts / ds <= 2;
}

/** Greedy one-to-one matching: each truth box takes the best unused detection accepted by `accept`, scored by IoU. */
export function countMatches(truth: readonly FaceBox[], dets: readonly FaceBox[], accept: (t: FaceBox, d: FaceBox) => boolean): number {
  const used = new Set<number>();
  let n = 0;
  for (const t of truth) {
    let best = -1;
    let bestIou = -1;
    dets.forEach((d, i) => {
      if (used.has(i) || !accept(t, d)) return;
      const v = boxIou(t, d);
      if (v > bestIou) {
        bestIou = v;
        best = i;
      }
    });
    if (best >= 0) {
      used.add(best);
      n++;
    }
  }
  return n;
}
