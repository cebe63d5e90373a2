/**
 * What the liveness models say about real photos and about "spoofs" synthesised
 * from the same photos (npm run bench:liveness; numbers go to docs/liveness.md).
 *
 * Real: every photo of ../shared/data/face_recognition_examples and deepface_testset
 * (plus face-api's six demo photos), the largest face of each.
 * Spoofs, made from each real photo with sharp:
 *  - jpeg: re-compressed at quality 8 (a re-photographed, re-sent copy);
 *  - halftone: printed-like: multiplied by a 4-px dot/moiré grid, slightly blurred;
 *  - glare: a bright elliptical screen reflection over half the face;
 *  - screen: shown on a "phone": photo shrunk into a black bezel on a grey desk, with moiré lines;
 *  - resampled: downscaled ×4 and back up (low-resolution print/screen).
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { FaceRecognizer } from '../src/face-recognizer.js';
import { DEFAULT_LIVENESS_THRESHOLDS, LivenessChecker, type LivenessScore } from '../src/liveness/liveness.js';
import type { RgbImage } from '../src/types.js';
import { sampleImagePath, sharedData } from '../src/test-support/fixtures.js';

function listImages(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listImages(p));
    else if (/\.(jpe?g|png)$/i.test(name)) out.push(p);
  }
  return out;
}

async function raw(img: Sharp): Promise<RgbImage> {
  const { data, info } = await img.removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

function fromRgb(image: RgbImage): Sharp {
  return sharp(Buffer.from(image.data), { raw: { width: image.width, height: image.height, channels: 3 } });
}

const ATTACKS: Record<string, (src: RgbImage) => Promise<RgbImage>> = {
  jpeg: async (src) => raw(sharp(await fromRgb(src).jpeg({ quality: 8 }).toBuffer())),
  halftone: async (src) => {
    const out = new Uint8Array(src.data);
    for (let y = 0; y < src.height; y++)
      for (let x = 0; x < src.width; x++) {
        const dot = 0.75 + 0.25 * Math.cos((2 * Math.PI * x) / 4) * Math.cos((2 * Math.PI * (y + 0.3 * x)) / 4);
        for (let c = 0; c < 3; c++) out[(y * src.width + x) * 3 + c] = Math.min(255, src.data[(y * src.width + x) * 3 + c]! * dot + 12);
      }
    return raw(fromRgb({ ...src, data: out }).blur(0.6));
  },
  glare: async (src) => {
    const out = new Uint8Array(src.data);
    const cx = src.width * 0.45;
    const cy = src.height * 0.35;
    const rx = src.width * 0.35;
    const ry = src.height * 0.25;
    for (let y = 0; y < src.height; y++)
      for (let x = 0; x < src.width; x++) {
        const d = ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2;
        const a = Math.max(0, 1 - d) * 0.75;
        for (let c = 0; c < 3; c++) {
          const i = (y * src.width + x) * 3 + c;
          out[i] = src.data[i]! * (1 - a) + 255 * a;
        }
      }
    return { ...src, data: out };
  },
  screen: async (src) => {
    // Photo on a phone: 70% size inside a 6%-thick black bezel, on a grey background, with screen-line moiré.
    const w = Math.round(src.width * 0.7);
    const h = Math.round(src.height * 0.7);
    const shrunk = await raw(fromRgb(src).resize(w, h));
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const k = 0.88 + 0.12 * Math.sin((2 * Math.PI * (x + y)) / 3.3);
        for (let c = 0; c < 3; c++) shrunk.data[(y * w + x) * 3 + c] = Math.min(255, shrunk.data[(y * w + x) * 3 + c]! * k * 0.95 + 10);
      }
    const bezel = Math.round(Math.max(w, h) * 0.06);
    const phone = await fromRgb(shrunk).extend({ top: bezel, bottom: bezel * 2, left: bezel, right: bezel, background: '#111' }).png().toBuffer();
    return raw(
      sharp({ create: { width: src.width, height: src.height, channels: 3, background: '#8a8a80' } }).composite([
        { input: phone, left: Math.round((src.width - w) / 2 - bezel), top: Math.max(0, Math.round((src.height - h) / 2 - bezel)) },
      ]),
    );
  },
  resampled: async (src) => raw(fromRgb(src).resize(Math.max(8, Math.round(src.width / 4))).resize(src.width, src.height)),
};

const recognizer = await FaceRecognizer.create({ threads: 2 });
const checker = await LivenessChecker.create({ threads: 2 });
const files = [
  ...[1, 2, 3, 4, 5, 6].map((n) => sampleImagePath(n as 1)),
  ...['face_recognition_examples', 'deepface_testset'].flatMap((d) => (sharedData(d) ? listImages(sharedData(d)!) : [])),
];
const scores: Record<string, LivenessScore[]> = { real: [] };
for (const k of Object.keys(ATTACKS)) scores[k] = [];

async function largestFaceScore(image: RgbImage): Promise<LivenessScore | undefined> {
  const faces = await recognizer.faceLocations(image);
  const best = faces.sort((a, b) => (b.box.right - b.box.left) * (b.box.bottom - b.box.top) - (a.box.right - a.box.left) * (a.box.bottom - a.box.top))[0];
  return best ? (await checker.check(image, [best.box]))[0] : undefined;
}

let done = 0;
for (const file of files) {
  let image: RgbImage;
  try {
    const meta = await sharp(file).metadata();
    const scale = Math.min(1, 1280 / Math.max(meta.width ?? 1, meta.height ?? 1));
    image = await raw(sharp(file).rotate().resize(Math.round((meta.width ?? 1) * scale)));
  } catch {
    continue;
  }
  const real = await largestFaceScore(image);
  if (!real) continue;
  scores.real!.push(real);
  for (const [name, attack] of Object.entries(ATTACKS)) {
    const s = await largestFaceScore(await attack(image));
    if (s) scores[name]!.push(s);
  }
  if (++done % 10 === 0) process.stderr.write(`${done} photos\n`);
}

const q = (v: number[], p: number) => {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * (s.length - 1)))]!;
};
console.log(`photos with a face: ${scores.real!.length}`);
const T = DEFAULT_LIVENESS_THRESHOLDS;
console.log(`| set | faces | real median (p10–p90) | live median (p10–p90) | flagged real<0.5 | flagged live<0.5 | spoof at defaults (real<${T.real} or live<${T.live}) |`);
console.log('|---|---|---|---|---|---|---|');
for (const [name, s] of Object.entries(scores)) {
  const r = s.map((x) => x.real);
  const l = s.map((x) => x.live);
  const pct = (n: number) => `${((100 * n) / Math.max(1, s.length)).toFixed(0)}%`;
  console.log(
    `| ${name} | ${s.length} | ${q(r, 0.5).toFixed(2)} (${q(r, 0.1).toFixed(2)}–${q(r, 0.9).toFixed(2)}) | ${q(l, 0.5).toFixed(2)} (${q(l, 0.1).toFixed(2)}–${q(l, 0.9).toFixed(2)}) | ${pct(r.filter((x) => x < 0.5).length)} | ${pct(l.filter((x) => x < 0.5).length)} | ${pct(s.filter((x) => x.spoof).length)} |`,
  );
}
// For threshold choice: fraction of real faces kept vs attacks caught over a sweep of the `real` threshold.
console.log('\nthreshold sweep on `real` (real faces flagged / each attack flagged):');
for (const t of [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]) {
  const row = Object.entries(scores).map(([n, s]) => `${n} ${((100 * s.filter((x) => x.real < t).length) / Math.max(1, s.length)).toFixed(0)}%`);
  console.log(`real < ${t}: ${row.join(', ')}`);
}
console.log('\nthreshold sweep on `live`:');
for (const t of [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]) {
  const row = Object.entries(scores).map(([n, s]) => `${n} ${((100 * s.filter((x) => x.live < t).length) / Math.max(1, s.length)).toFixed(0)}%`);
  console.log(`live < ${t}: ${row.join(', ')}`);
}
await checker.dispose();
await recognizer.dispose();
