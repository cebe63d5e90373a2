/**
 * Drawing on raw RGB frames, in place: box outlines, label bars and blur.
 * Per frame this is plain byte work (no SVG rasterising per frame, which costs
 * more than detection at 30 fps); only a label's text is rasterised, once, by
 * sharp, and cached as an RGBA bitmap.
 */
import sharp from 'sharp';
import type { FaceBox, RgbImage } from '../types.js';

export type Rgb = readonly [number, number, number];
export const KNOWN_RGB: Rgb = [0x22, 0xc5, 0x5e];
export const UNKNOWN_RGB: Rgb = [0xef, 0x44, 0x44];
export const PENDING_RGB: Rgb = [0xf5, 0x9e, 0x0b];

export interface FrameMark {
  box: FaceBox;
  label: string;
  color: Rgb;
  blur: boolean;
}

interface Bitmap {
  width: number;
  height: number;
  rgba: Buffer;
}

const clampInt = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, Math.round(v)));

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Rasterised label bars, by text, colour and font size (bounded: oldest dropped first). */
export class LabelCache {
  readonly #bitmaps = new Map<string, Bitmap>();
  constructor(readonly capacity = 512) {}

  async get(label: string, color: Rgb, font: number): Promise<Bitmap> {
    const key = `${font}|${color.join(',')}|${label}`;
    const hit = this.#bitmaps.get(key);
    if (hit) return hit;
    const height = Math.round(font * 1.4);
    const width = Math.max(8, Math.round(label.length * font * 0.62) + Math.round(font * 0.6));
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="${width}" height="${height}" fill="rgb(${color.join(',')})"/><text x="${Math.round(font * 0.3)}" y="${height - Math.round(font * 0.35)}" font-family="DejaVu Sans, sans-serif" font-size="${font}" fill="#ffffff">${escapeXml(label)}</text></svg>`;
    const { data, info } = await sharp(Buffer.from(svg)).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    const bitmap = { width: info.width, height: info.height, rgba: data };
    if (this.#bitmaps.size >= this.capacity) this.#bitmaps.delete(this.#bitmaps.keys().next().value!);
    this.#bitmaps.set(key, bitmap);
    return bitmap;
  }
}

/** Draws the marks on `image` in place: blur first (so outlines stay sharp), then outlines and labels. */
export async function drawMarks(image: RgbImage, marks: readonly FrameMark[], labels: LabelCache): Promise<void> {
  const stroke = Math.max(2, Math.round(Math.min(image.width, image.height) / 300));
  const font = Math.max(12, Math.round(Math.min(image.width, image.height) / 40));
  for (const m of marks) if (m.blur) blurBox(image, m.box);
  for (const m of marks) {
    strokeBox(image, m.box, m.color, stroke);
    if (m.label) {
      const bitmap = await labels.get(m.label, m.color, font);
      const x = clampInt(m.box.left, 0, Math.max(0, image.width - bitmap.width));
      const y = clampInt(Math.min(m.box.bottom, image.height - bitmap.height), 0, image.height);
      blit(image, bitmap, x, y);
    }
  }
}

function fillRect(image: RgbImage, x0: number, y0: number, x1: number, y1: number, color: Rgb): void {
  const { width, height, data } = image;
  const ax = clampInt(x0, 0, width);
  const bx = clampInt(x1, 0, width);
  const ay = clampInt(y0, 0, height);
  const by = clampInt(y1, 0, height);
  for (let y = ay; y < by; y++) {
    let o = (y * width + ax) * 3;
    for (let x = ax; x < bx; x++, o += 3) {
      data[o] = color[0];
      data[o + 1] = color[1];
      data[o + 2] = color[2];
    }
  }
}

export function strokeBox(image: RgbImage, box: FaceBox, color: Rgb, stroke: number): void {
  const { top, right, bottom, left } = box;
  fillRect(image, left, top, right, top + stroke, color);
  fillRect(image, left, bottom - stroke, right, bottom, color);
  fillRect(image, left, top, left + stroke, bottom, color);
  fillRect(image, right - stroke, top, right, bottom, color);
}

function blit(image: RgbImage, bitmap: Bitmap, x0: number, y0: number): void {
  const { width, height, data } = image;
  for (let y = 0; y < bitmap.height && y0 + y < height; y++) {
    let o = ((y0 + y) * width + x0) * 3;
    let s = y * bitmap.width * 4;
    for (let x = 0; x < bitmap.width && x0 + x < width; x++, o += 3, s += 4) {
      const a = bitmap.rgba[s + 3]!;
      if (a === 0) continue;
      const ia = 255 - a;
      data[o] = (bitmap.rgba[s]! * a + data[o]! * ia + 127) / 255;
      data[o + 1] = (bitmap.rgba[s + 1]! * a + data[o + 1]! * ia + 127) / 255;
      data[o + 2] = (bitmap.rgba[s + 2]! * a + data[o + 2]! * ia + 127) / 255;
    }
  }
}

/**
 * A strong blur of the box, like face_recognition's blur example
 * (cv2.GaussianBlur with a 99-px kernel on a 4× smaller frame): three box-blur
 * passes per axis (close to a Gaussian) with a radius of a sixth of the face,
 * so features are unrecognisable but the face's overall tone remains.
 */
export function blurBox(image: RgbImage, box: FaceBox): void {
  const { width, height, data } = image;
  const x0 = clampInt(box.left, 0, width);
  const x1 = clampInt(box.right, 0, width);
  const y0 = clampInt(box.top, 0, height);
  const y1 = clampInt(box.bottom, 0, height);
  const w = x1 - x0;
  const h = y1 - y0;
  if (w < 2 || h < 2) return;
  const r = Math.max(2, Math.round(Math.min(w, h) / 6));
  const buf = new Float32Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w * 3; x++) buf[y * w * 3 + x] = data[((y0 + y) * width + x0) * 3 + x]!;
  const line = new Float32Array(Math.max(w, h) * 3);
  for (let pass = 0; pass < 3; pass++) {
    for (let y = 0; y < h; y++) boxBlurLine(buf, y * w * 3, 3, w, r, line);
    for (let x = 0; x < w; x++) boxBlurLine(buf, x * 3, w * 3, h, r, line);
  }
  for (let y = 0; y < h; y++) for (let x = 0; x < w * 3; x++) data[((y0 + y) * width + x0) * 3 + x] = buf[y * w * 3 + x]!;
}

/** Sliding-window mean of `n` RGB samples starting at `start`, `step` floats apart (edges clamped). */
function boxBlurLine(buf: Float32Array, start: number, step: number, n: number, r: number, line: Float32Array): void {
  for (let c = 0; c < 3; c++) {
    const at = (i: number) => buf[start + Math.max(0, Math.min(n - 1, i)) * step + c]!;
    let sum = 0;
    for (let i = -r; i <= r; i++) sum += at(i);
    for (let i = 0; i < n; i++) {
      line[i * 3 + c] = sum / (2 * r + 1);
      sum += at(i + r + 1) - at(i - r);
    }
  }
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) buf[start + i * step + c] = line[i * 3 + c]!;
}

/** A JPEG of the whole frame (previews). */
export function frameJpeg(image: RgbImage, quality = 80): Promise<Buffer> {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } }).jpeg({ quality }).toBuffer();
}

/** A JPEG of the face box with a margin of a fifth of its size (event thumbnails), at most `size` px wide. */
export function faceCropJpeg(image: RgbImage, box: FaceBox, size = 160): Promise<Buffer> {
  const mw = (box.right - box.left) / 5;
  const mh = (box.bottom - box.top) / 5;
  const left = clampInt(box.left - mw, 0, image.width - 1);
  const top = clampInt(box.top - mh, 0, image.height - 1);
  const width = Math.max(1, clampInt(box.right + mw, 1, image.width) - left);
  const height = Math.max(1, clampInt(box.bottom + mh, 1, image.height) - top);
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .extract({ left, top, width, height })
    .resize({ width: Math.min(size, width), withoutEnlargement: true })
    .jpeg({ quality: 85 })
    .toBuffer();
}
