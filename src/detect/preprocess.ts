/**
 * Detector input preparation: face-api's `toBatchTensor(size, false)` (zero
 * padding right/bottom to a square, then tfjs `resizeBilinear`) fused with the
 * per-net normalisation, written straight into an NCHW float32 tensor.
 *
 * The pad is folded into the resize: a sample that falls in the padding reads
 * 0, which is what the padded tensor holds, and every sum is computed in the
 * same order and precision as tfjs's CPU kernel (double arithmetic, stored as
 * float32). The normalisation then rounds to float32 after each tfjs op, so the
 * tensor is bit-identical to the one face-api feeds its nets.
 */
import type { RgbImage } from '../types.js';

/** How a net maps float32 pixel values v (0..255) to its input. */
export type Normalisation =
  /** SSD-MobileNetV1: `v / 127.5 - 1`. */
  | { kind: 'ssd' }
  /** Tiny face detector: `(v - mean[c]) / 255`. */
  | { kind: 'mean'; mean: readonly [number, number, number] };

/** A crop of the image, in pixels; may reach outside it (outside reads as 0). */
export interface Window {
  x: number;
  y: number;
  size: number;
}

const f32 = Math.fround;
/**
 * tfjs divides (v / 127.5, v / 255) in double and rounds to float32. For a
 * float32 v, the exact quotient is never within 2^-33 (relative) of a float32
 * rounding boundary, while v * (1/c) is within 2^-52 of the exact quotient, so
 * multiplying by the reciprocal always rounds to the same float32 — and is faster.
 */
const INV_127_5 = 1 / 127.5;
const INV_255 = 1 / 255;

/**
 * Returns the [1,3,size,size] NCHW input for the square `window` of `image`
 * (default: face-api's padded square, i.e. x=y=0 and side max(width,height)),
 * resized to `size` with tfjs's bilinear arithmetic.
 */
export function prepareInput(image: RgbImage, size: number, norm: Normalisation, window?: Window, out?: Float32Array): Float32Array {
  const { width, height, data } = image;
  const win = window ?? { x: 0, y: 0, size: Math.max(width, height) };
  const plane = size * size;
  const tensor = out ?? new Float32Array(3 * plane);
  if (tensor.length !== 3 * plane) throw new Error(`prepareInput: output buffer holds ${tensor.length} values, needs ${3 * plane}`);

  // Same arithmetic as tfjs for any ratio; at ratio 1 (face-api skips the
  // resize then) every sample lands exactly on a pixel, so the copy is exact too.
  const ratio = win.size / size;
  const srcSide = win.size;
  const rowBytes = width * 3;
  // Each source row is copied into a scratch row with one trailing zero pixel;
  // columns outside the image point at that pixel, rows outside at a zero row.
  const zeroOffset = rowBytes;
  const colL = new Int32Array(size);
  const colR = new Int32Array(size);
  const colF = new Float64Array(size);
  for (let c = 0; c < size; c++) {
    const f = ratio * c;
    const floor = Math.max(0, Math.floor(f));
    const lx = win.x + floor;
    const rx = win.x + Math.min(srcSide - 1, Math.ceil(f));
    colL[c] = lx >= 0 && lx < width ? lx * 3 : zeroOffset;
    colR[c] = rx >= 0 && rx < width ? rx * 3 : zeroOffset;
    colF[c] = f - floor;
  }
  const topBuf = new Uint8Array(rowBytes + 3);
  const botBuf = new Uint8Array(rowBytes + 3);
  const loadRow = (buf: Uint8Array, y: number): void => {
    if (y >= 0 && y < height) buf.set(data.subarray(y * rowBytes, (y + 1) * rowBytes));
    else buf.fill(0, 0, rowBytes);
  };

  const ssd = norm.kind === 'ssd';
  const m0 = norm.kind === 'mean' ? f32(norm.mean[0]) : 0;
  const m1 = norm.kind === 'mean' ? f32(norm.mean[1]) : 0;
  const m2 = norm.kind === 'mean' ? f32(norm.mean[2]) : 0;
  // What a sample wholly in the zero padding becomes, per channel.
  const pad0 = ssd ? -1 : f32(-m0) * INV_255;
  const pad1 = ssd ? -1 : f32(-m1) * INV_255;
  const pad2 = ssd ? -1 : f32(-m2) * INV_255;
  // Output columns [c0, c1) touch the image; the rest are pure padding.
  let c0 = 0;
  while (c0 < size && colL[c0] === zeroOffset && colR[c0] === zeroOffset) c0++;
  let c1 = size;
  while (c1 > c0 && colL[c1 - 1] === zeroOffset && colR[c1 - 1] === zeroOffset) c1--;
  const p1 = plane;
  const p2 = 2 * plane;
  let loadedTop = -1e9;
  let loadedBot = -1e9;
  for (let r = 0; r < size; r++) {
    const f = ratio * r;
    const floor = Math.max(0, Math.floor(f));
    const rowFrac = f - floor;
    const topY = win.y + floor;
    const botY = win.y + Math.min(srcSide - 1, Math.ceil(f));
    const rowStart = r * size;
    if ((topY < 0 || topY >= height) && (botY < 0 || botY >= height)) {
      tensor.fill(pad0, rowStart, rowStart + size);
      tensor.fill(pad1, p1 + rowStart, p1 + rowStart + size);
      tensor.fill(pad2, p2 + rowStart, p2 + rowStart + size);
      continue;
    }
    if (c0 > 0) {
      tensor.fill(pad0, rowStart, rowStart + c0);
      tensor.fill(pad1, p1 + rowStart, p1 + rowStart + c0);
      tensor.fill(pad2, p2 + rowStart, p2 + rowStart + c0);
    }
    if (c1 < size) {
      tensor.fill(pad0, rowStart + c1, rowStart + size);
      tensor.fill(pad1, p1 + rowStart + c1, p1 + rowStart + size);
      tensor.fill(pad2, p2 + rowStart + c1, p2 + rowStart + size);
    }
    if (topY !== loadedTop) {
      loadRow(topBuf, topY);
      loadedTop = topY;
    }
    if (botY !== loadedBot) {
      loadRow(botBuf, botY);
      loadedBot = botY;
    }
    for (let c = c0, o = rowStart + c0; c < c1; c++, o++) {
      const cf = colF[c]!;
      const l = colL[c]!;
      const rr = colR[c]!;
      let tl = topBuf[l]!;
      let tr = topBuf[rr]!;
      let bl = botBuf[l]!;
      let br = botBuf[rr]!;
      let top = tl + (tr - tl) * cf;
      let bottom = bl + (br - bl) * cf;
      const v0 = f32(top + (bottom - top) * rowFrac);
      tl = topBuf[l + 1]!;
      tr = topBuf[rr + 1]!;
      bl = botBuf[l + 1]!;
      br = botBuf[rr + 1]!;
      top = tl + (tr - tl) * cf;
      bottom = bl + (br - bl) * cf;
      const v1 = f32(top + (bottom - top) * rowFrac);
      tl = topBuf[l + 2]!;
      tr = topBuf[rr + 2]!;
      bl = botBuf[l + 2]!;
      br = botBuf[rr + 2]!;
      top = tl + (tr - tl) * cf;
      bottom = bl + (br - bl) * cf;
      const v2 = f32(top + (bottom - top) * rowFrac);
      if (ssd) {
        tensor[o] = f32(v0 * INV_127_5) - 1;
        tensor[p1 + o] = f32(v1 * INV_127_5) - 1;
        tensor[p2 + o] = f32(v2 * INV_127_5) - 1;
      } else {
        tensor[o] = f32(v0 - m0) * INV_255;
        tensor[p1 + o] = f32(v1 - m1) * INV_255;
        tensor[p2 + o] = f32(v2 - m2) * INV_255;
      }
    }
  }
  return tensor;
}
