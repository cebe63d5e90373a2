// Client-side sharpness estimate: variance of the Laplacian of the grey face crop,
// resized to a fixed width so the number does not depend on the face's size.

export const SHARPNESS_WIDTH = 128;

/**
 * Variance of the 4-neighbour Laplacian over the crop `box` ({top,right,bottom,left}
 * in `source` pixels) of a canvas, image or video, scaled to SHARPNESS_WIDTH px wide.
 */
export function laplacianVariance(source, box) {
  const bw = Math.max(1, box.right - box.left);
  const bh = Math.max(1, box.bottom - box.top);
  const w = SHARPNESS_WIDTH;
  const h = Math.max(3, Math.round((bh * w) / bw));
  const c = document.createElement('canvas');
  c.width = w;
  c.height = h;
  const ctx = c.getContext('2d', { willReadFrequently: true });
  ctx.drawImage(source, box.left, box.top, bw, bh, 0, 0, w, h);
  const rgba = ctx.getImageData(0, 0, w, h).data;
  const grey = new Float32Array(w * h);
  for (let i = 0; i < w * h; i++) grey[i] = 0.299 * rgba[4 * i] + 0.587 * rgba[4 * i + 1] + 0.114 * rgba[4 * i + 2];
  let sum = 0;
  let sum2 = 0;
  let n = 0;
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      const l = grey[i - 1] + grey[i + 1] + grey[i - w] + grey[i + w] - 4 * grey[i];
      sum += l;
      sum2 += l * l;
      n++;
    }
  }
  if (!n) return 0;
  const mean = sum / n;
  return sum2 / n - mean * mean;
}
