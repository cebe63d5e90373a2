/**
 * Bilinear resizing with exactly the arithmetic of tfjs's `resizeBilinear`
 * (alignCorners = false, halfPixelCenters = false), so that the converted
 * networks see the same input tensors face-api gives the original ones.
 */

/** Resizes an HWC image (any channel count) to outWidth × outHeight; returns float32 HWC. */
export function resizeBilinear(
  src: ArrayLike<number>,
  width: number,
  height: number,
  channels: number,
  outWidth: number,
  outHeight: number,
): Float32Array {
  const out = new Float32Array(outWidth * outHeight * channels);
  const rowRatio = height / outHeight;
  const colRatio = width / outWidth;
  const rowStride = width * channels;
  // Column sample positions are the same for every row: compute them once.
  const colLeft = new Int32Array(outWidth);
  const colRight = new Int32Array(outWidth);
  const colFrac = new Float64Array(outWidth);
  for (let c = 0; c < outWidth; c++) {
    const f = colRatio * c;
    const floor = Math.max(0, Math.floor(f));
    colLeft[c] = floor * channels;
    colRight[c] = Math.min(width - 1, Math.ceil(f)) * channels;
    colFrac[c] = f - floor;
  }
  let o = 0;
  for (let r = 0; r < outHeight; r++) {
    const f = rowRatio * r;
    const floor = Math.max(0, Math.floor(f));
    const rowFrac = f - floor;
    const topRow = floor * rowStride;
    const botRow = Math.min(height - 1, Math.ceil(f)) * rowStride;
    for (let c = 0; c < outWidth; c++) {
      const cf = colFrac[c]!;
      const l = colLeft[c]!;
      const rr = colRight[c]!;
      for (let d = 0; d < channels; d++) {
        const tl = src[topRow + l + d]!;
        const tr = src[topRow + rr + d]!;
        const bl = src[botRow + l + d]!;
        const br = src[botRow + rr + d]!;
        const top = tl + (tr - tl) * cf;
        const bottom = bl + (br - bl) * cf;
        out[o++] = top + (bottom - top) * rowFrac;
      }
    }
  }
  return out;
}

/**
 * face-api's `padToSquare`: zero-pads the shorter side to make a square. Not
 * centred, all padding goes right/bottom; centred, round(diff/2) goes after the
 * image and the rest before it — exactly face-api's split, so boxes map back alike.
 */
export function padAmounts(width: number, height: number, centre: boolean): { padLeft: number; padTop: number; size: number } {
  const size = Math.max(width, height);
  const diff = Math.abs(width - height);
  const before = centre ? diff - Math.round(diff * 0.5) : 0;
  return width < height ? { padLeft: before, padTop: 0, size } : { padLeft: 0, padTop: before, size };
}

/** Copies an HWC image into the top-left (+offset) of a zeroed square canvas of side `size`. */
export function padToSquare(
  src: ArrayLike<number>,
  width: number,
  height: number,
  channels: number,
  centre: boolean,
): { data: Float32Array; size: number; padLeft: number; padTop: number } {
  const { padLeft, padTop, size } = padAmounts(width, height, centre);
  const out = new Float32Array(size * size * channels);
  for (let y = 0; y < height; y++) {
    const srcRow = y * width * channels;
    const dstRow = ((y + padTop) * size + padLeft) * channels;
    for (let i = 0; i < width * channels; i++) out[dstRow + i] = src[srcRow + i]!;
  }
  return { data: out, size, padLeft, padTop };
}

/** HWC float image → NCHW planes with per-channel `(v - mean) * scale`, appended at `offset` of `out`. */
export function hwcToNchw(
  src: Float32Array,
  width: number,
  height: number,
  mean: readonly [number, number, number],
  scale: number,
  out: Float32Array,
  offset = 0,
): void {
  const plane = width * height;
  for (let i = 0; i < plane; i++) {
    out[offset + i] = (src[i * 3]! - mean[0]) * scale;
    out[offset + plane + i] = (src[i * 3 + 1]! - mean[1]) * scale;
    out[offset + 2 * plane + i] = (src[i * 3 + 2]! - mean[2]) * scale;
  }
}
