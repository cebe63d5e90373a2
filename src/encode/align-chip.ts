/**
 * dlib-style aligned face chip (`get_face_chip_details(shape, 150, 0.25)` +
 * `extract_image_chip`): a least-squares similarity transform (rotation,
 * uniform scale, translation) takes five landmarks onto dlib's 5-point
 * template, so the eyes come out level and at fixed chip positions.
 */
import type { Point, RgbImage } from '../types.js';
import { CHIP_SIZE, CHIP_VALUES, assertFaceInputs, type FaceChip } from './chip.js';

/** dlib's 5-point template (unit square), and the 68-point indices that play each role. */
export const DLIB_TEMPLATE: readonly Point[] = [
  { x: 0.8595674595992, y: 0.2134981538014 },
  { x: 0.6460604764104, y: 0.2289674387677 },
  { x: 0.1205750620789, y: 0.2137274526848 },
  { x: 0.3340850613712, y: 0.2290642403242 },
  { x: 0.4901123135679, y: 0.6277975316475 },
];
export const DLIB_TEMPLATE_LANDMARKS = [45, 42, 36, 39, 33] as const;
export const DLIB_PADDING = 0.25;

/** x' = a·x + b·y + c, y' = d·x + e·y + f. */
export interface Affine {
  a: number;
  b: number;
  c: number;
  d: number;
  e: number;
  f: number;
}

export function applyAffine(t: Affine, p: Point): Point {
  return { x: t.a * p.x + t.b * p.y + t.c, y: t.d * p.x + t.e * p.y + t.f };
}

/** Template positions in chip pixels: (padding + t) / (1 + 2·padding) × size. */
export function templateChipPoints(size = CHIP_SIZE, padding = DLIB_PADDING): Point[] {
  return DLIB_TEMPLATE.map((t) => ({ x: ((padding + t.x) / (2 * padding + 1)) * size, y: ((padding + t.y) / (2 * padding + 1)) * size }));
}

/** Least-squares similarity transform (no reflection) taking `from` onto `to` (dlib's find_similarity_transform in 2-D). */
export function similarityTransform(from: readonly Point[], to: readonly Point[]): Affine {
  const n = from.length;
  if (n < 2 || to.length !== n) throw new Error('similarityTransform needs two equally long lists of at least 2 points');
  let fx = 0,
    fy = 0,
    tx = 0,
    ty = 0;
  for (let i = 0; i < n; i++) {
    fx += from[i]!.x;
    fy += from[i]!.y;
    tx += to[i]!.x;
    ty += to[i]!.y;
  }
  fx /= n;
  fy /= n;
  tx /= n;
  ty /= n;
  let sxx = 0,
    dot = 0,
    cross = 0;
  for (let i = 0; i < n; i++) {
    const ax = from[i]!.x - fx;
    const ay = from[i]!.y - fy;
    const bx = to[i]!.x - tx;
    const by = to[i]!.y - ty;
    sxx += ax * ax + ay * ay;
    dot += ax * bx + ay * by;
    cross += ax * by - ay * bx;
  }
  if (sxx === 0) throw new Error('similarityTransform: the source points all coincide');
  const a = dot / sxx;
  const s = cross / sxx;
  return { a, b: -s, c: tx - (a * fx - s * fy), d: s, e: a, f: ty - (s * fx + a * fy) };
}

/**
 * The chip → image mapping dlib's extract_image_chip ends up using for a chip
 * described by `chip_details(template points, image points, 150×150)`: the
 * rectangle is centred on tform(75, 75) with side 150·scale, and the chip's
 * corner pixels 0 and 149 land on its (inclusive) corners.
 */
export function dlibChipTransform(landmarks: readonly Point[], size = CHIP_SIZE, padding = DLIB_PADDING): { chipToImage: Affine; scale: number; angle: number } {
  const to = DLIB_TEMPLATE_LANDMARKS.map((i) => landmarks[i]!);
  const tform = similarityTransform(templateChipPoints(size, padding), to);
  const scale = Math.hypot(tform.a, tform.d);
  const angle = Math.atan2(tform.d, tform.a);
  const centre = applyAffine(tform, { x: size / 2, y: size / 2 });
  const k = (size * scale - 1) / ((size - 1) * scale); // rectangle span / (chip span · scale)
  const half = (size - 1) / 2;
  const a = tform.a * k,
    b = tform.b * k,
    d = tform.d * k,
    e = tform.e * k;
  return { chipToImage: { a, b, c: centre.x - a * half - b * half, d, e, f: centre.y - d * half - e * half }, scale, angle };
}

/**
 * Samples `size`×`size` chip pixels through `chipToSource` with dlib's
 * interpolate_bilinear: a sample whose 2×2 neighbourhood leaves the source is 0.
 */
export function sampleAffine(src: ArrayLike<number>, width: number, height: number, chipToSource: Affine, size = CHIP_SIZE): Float32Array {
  const out = new Float32Array(size * size * 3);
  const { a, b, c, d, e, f } = chipToSource;
  let o = 0;
  for (let r = 0; r < size; r++) {
    for (let col = 0; col < size; col++, o += 3) {
      const x = a * col + b * r + c;
      const y = d * col + e * r + f;
      const left = Math.floor(x);
      const top = Math.floor(y);
      if (left < 0 || top < 0 || left + 1 >= width || top + 1 >= height) continue;
      const lr = x - left;
      const tb = y - top;
      const tl = (top * width + left) * 3;
      const bl = tl + width * 3;
      for (let ch = 0; ch < 3; ch++) {
        const upper = (1 - lr) * src[tl + ch]! + lr * src[tl + 3 + ch]!;
        const lower = (1 - lr) * src[bl + ch]! + lr * src[bl + 3 + ch]!;
        out[o + ch] = (1 - tb) * upper + tb * lower;
      }
    }
  }
  return out;
}

/** One 2× level of a Gaussian pyramid (5-tap 1-4-6-4-1 filter, edge-clamped): child pixel j sits at parent 2j. */
function pyramidDown(src: Float32Array, width: number, height: number): { data: Float32Array; width: number; height: number } {
  const w2 = Math.ceil(width / 2);
  const h2 = Math.ceil(height / 2);
  const taps = [1 / 16, 4 / 16, 6 / 16, 4 / 16, 1 / 16];
  const horiz = new Float32Array(w2 * height * 3);
  for (let y = 0; y < height; y++) {
    for (let j = 0; j < w2; j++) {
      for (let ch = 0; ch < 3; ch++) {
        let s = 0;
        for (let k = 0; k < 5; k++) {
          const x = Math.min(width - 1, Math.max(0, 2 * j + k - 2));
          s += taps[k]! * src[(y * width + x) * 3 + ch]!;
        }
        horiz[(y * w2 + j) * 3 + ch] = s;
      }
    }
  }
  const out = new Float32Array(w2 * h2 * 3);
  for (let i = 0; i < h2; i++) {
    for (let j = 0; j < w2; j++) {
      for (let ch = 0; ch < 3; ch++) {
        let s = 0;
        for (let k = 0; k < 5; k++) {
          const y = Math.min(height - 1, Math.max(0, 2 * i + k - 2));
          s += taps[k]! * horiz[(y * w2 + j) * 3 + ch]!;
        }
        out[(i * w2 + j) * 3 + ch] = s;
      }
    }
  }
  return { data: out, width: w2, height: h2 };
}

/**
 * Extracts the chip described by `chipToImage` from an RGB image. Like dlib's
 * extract_image_chips, when the chip is more than 2× smaller than its image
 * footprint the face region is first halved (Gaussian pyramid) until the
 * remaining scale is at most 2, so bilinear sampling does not alias.
 */
export function extractChip(image: RgbImage, chipToImage: Affine, scale: number, size = CHIP_SIZE): FaceChip {
  let halvings = 0;
  while (scale > 2 ** (halvings + 1)) halvings++;
  if (halvings === 0) return sampleAffine(image.data, image.width, image.height, chipToImage, size);

  // Crop the chip's footprint (plus a margin for the filters), then build the pyramid on it.
  const corners = [
    { x: 0, y: 0 },
    { x: size - 1, y: 0 },
    { x: 0, y: size - 1 },
    { x: size - 1, y: size - 1 },
  ].map((p) => applyAffine(chipToImage, p));
  const margin = 4 * 2 ** halvings;
  const x0 = Math.max(0, Math.floor(Math.min(...corners.map((p) => p.x))) - margin);
  const y0 = Math.max(0, Math.floor(Math.min(...corners.map((p) => p.y))) - margin);
  const x1 = Math.min(image.width, Math.ceil(Math.max(...corners.map((p) => p.x))) + margin + 1);
  const y1 = Math.min(image.height, Math.ceil(Math.max(...corners.map((p) => p.y))) + margin + 1);
  if (x1 <= x0 || y1 <= y0) return new Float32Array(size * size * 3);
  let level: { data: Float32Array; width: number; height: number } = {
    data: new Float32Array((x1 - x0) * (y1 - y0) * 3),
    width: x1 - x0,
    height: y1 - y0,
  };
  for (let r = y0; r < y1; r++) {
    const src = (r * image.width + x0) * 3;
    level.data.set(image.data.subarray(src, src + level.width * 3), (r - y0) * level.width * 3);
  }
  for (let i = 0; i < halvings; i++) level = pyramidDown(level.data, level.width, level.height);
  const f = 2 ** halvings;
  const t = chipToImage;
  const levelMap: Affine = { a: t.a / f, b: t.b / f, c: (t.c - x0) / f, d: t.d / f, e: t.e / f, f: (t.f - y0) / f };
  return sampleAffine(level.data, level.width, level.height, levelMap, size);
}

/** dlib-style 150×150 chip (padding 0.25) from an RGB image and one face's 68 landmarks. */
export function dlibChip(image: RgbImage, landmarks: readonly Point[]): FaceChip {
  assertFaceInputs(image, landmarks, 'dlibChip');
  const { chipToImage, scale } = dlibChipTransform(landmarks);
  const chip = extractChip(image, chipToImage, scale);
  if (chip.length !== CHIP_VALUES) throw new Error('dlibChip: internal size error');
  return chip;
}
