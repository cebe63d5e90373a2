import { readLfwPairs } from '../src/eval/lfw-pairs.js';
import { FaceDetector } from '../src/detect/face-detector.js';
import { loadImage } from '../src/image/load-image.js';
import type { RgbImage } from '../src/types.js';

const root = '../shared/data/lfw-view1/lfw';
const set = await readLfwPairs('../shared/data/lfw-view1/protocol/pairsDevTest.txt', root);
const files = [...new Set(set.pairs.flatMap((p) => [p.pathA, p.pathB]))].slice(0, Number(process.argv[2] ?? 600));
const ssd = await FaceDetector.create('accurate');
const tiny = await FaceDetector.create('fast');

function pad(image: RgbImage, factor: number, fill = 0): RgbImage {
  const w = Math.round(image.width * factor), h = Math.round(image.height * factor);
  const ox = (w - image.width) >> 1, oy = (h - image.height) >> 1;
  const data = new Uint8Array(w * h * 3).fill(fill);
  for (let y = 0; y < image.height; y++) data.set(image.data.subarray(y * image.width * 3, (y + 1) * image.width * 3), ((y + oy) * w + ox) * 3);
  return { width: w, height: h, data };
}
const central = (dets: { box: any; score: number }[], img: RgbImage) => {
  let best = 0;
  for (const d of dets) {
    const cx = (d.box.left + d.box.right) / 2, cy = (d.box.top + d.box.bottom) / 2;
    if (Math.abs(cx - img.width / 2) < img.width * 0.2 && Math.abs(cy - img.height / 2) < img.height * 0.2) best = Math.max(best, d.score);
  }
  return best;
};
let hard = 0;
const counts: Record<string, number> = {};
for (const f of files) {
  const img = await loadImage(f);
  const s0 = central(await ssd.detect(img, { minScore: 0.05 }), img);
  if (s0 >= 0.5) continue;
  hard++;
  const variants: Record<string, number> = {
    base: s0,
    pad15: central(await ssd.detect(pad(img, 1.5), { minScore: 0.05 }), pad(img, 1.5)),
    pad2: central(await ssd.detect(pad(img, 2), { minScore: 0.05 }), pad(img, 2)),
    pad2gray: central(await ssd.detect(pad(img, 2, 128), { minScore: 0.05 }), pad(img, 2, 128)),
    tiny: central(await tiny.detect(img, { minScore: 0.05 }), img),
    tinyPad2: central(await tiny.detect(pad(img, 2), { minScore: 0.05 }), pad(img, 2)),
  };
  for (const [k, v] of Object.entries(variants)) counts[k] = (counts[k] ?? 0) + (v >= 0.5 ? 1 : 0);
  console.log(f.split('/').pop(), Object.entries(variants).map(([k, v]) => `${k}=${v.toFixed(2)}`).join(' '));
}
console.log(`images ${files.length}, hard ${hard}; recovered at ≥0.5:`, counts);
