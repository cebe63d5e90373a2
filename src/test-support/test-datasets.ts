/**
 * Test inputs for enrol/identify (used by the *.test.ts files only): datasets
 * copied from ../shared/data/face_recognition_examples into temp folders, and a
 * synthetic dataset cut from the npm-shipped group photos for machines without
 * ../shared/data: each "person" is one face of a group photo, cropped with a
 * margin, with variants (mirror, smaller and brighter, shifted crop) as their
 * "other photos".
 */
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import sharp from 'sharp';
import { FaceRecognizer } from '../face-recognizer.js';
import { loadImage } from '../image/load-image.js';
import { euclideanDistance } from '../match/face-distance.js';
import { sampleImagePath, sharedData, sharedDataSkip } from './fixtures.js';

export const EXAMPLES = 'face_recognition_examples';
/** ../shared/data/face_recognition_examples, or undefined. */
export const examplesDir = sharedData(EXAMPLES);
/** `skip` value for tests needing the real photos. */
export const examplesSkip: string | false = examplesDir ? false : sharedDataSkip(EXAMPLES);

export function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `facerec-${prefix}-`));
}

/** Copies files or folders of the examples (paths relative to it) into `dest` (created). */
export async function copyExamples(pairs: readonly [from: string, to: string][], dest: string): Promise<void> {
  if (!examplesDir) throw new Error(sharedDataSkip(EXAMPLES));
  for (const [from, to] of pairs) {
    await mkdir(join(dest, to, '..'), { recursive: true });
    await cp(join(examplesDir, from), join(dest, to), { recursive: true });
  }
}

/** The knn example's train folder (alex_lacamoire 1 photo; biden, kit_harington, obama, rose_leslie 2 each). */
export const KNN_TRAIN = 'examples/knn_examples/train';
export const KNN_TEST = 'examples/knn_examples/test';

/** Runs the CLI in-process, collecting stdout and stderr. */
export async function runCli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const { main } = await import('../cli/main.js');
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  const code = await main(argv, { stdout, stderr });
  return { code, out, err };
}

/** A photo with no face: a smooth colour gradient. */
export async function writeNoFacePhoto(path: string): Promise<string> {
  const w = 320;
  const h = 240;
  const data = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set([(x * 255) / w, (y * 255) / h, 128], (y * w + x) * 3);
  await sharp(data, { raw: { width: w, height: h, channels: 3 } }).jpeg().toFile(path);
  return path;
}

export interface SyntheticFace {
  /** e.g. sample1-face0 */
  id: string;
  /** JPEG bytes of variant k (0: plain crop, 1: mirrored, 2: smaller and brighter, 3: shifted crop). */
  variants: Buffer[];
}

let cached: Promise<SyntheticFace[]> | undefined;

/**
 * Single-face crops of the sample photos, with variants, of clearly different
 * people (encodings ≥ 0.7 apart: the samples show some people twice and some
 * look-alikes); at most `max`. Computed once per process.
 */
export function syntheticFaces(max = 5): Promise<SyntheticFace[]> {
  cached ??= (async () => {
    const recognizer = await FaceRecognizer.create({ detector: 'accurate' });
    const out: SyntheticFace[] = [];
    const kept: Float32Array[] = [];
    try {
      for (const n of [1, 2, 3, 4, 5, 6] as const) {
        if (out.length >= max) break;
        const path = sampleImagePath(n);
        const image = await loadImage(path);
        for (const [i, f] of (await recognizer.detectFaces(image, { minScore: 0.5 })).entries()) {
          if (out.length >= max) break;
          const size = Math.max(f.box.right - f.box.left, f.box.bottom - f.box.top);
          if (size < 120 || kept.some((e) => euclideanDistance(e, f.encoding) < 0.7)) continue;
          const crop = (dx: number) => {
            const cx = (f.box.left + f.box.right) / 2 + dx * size;
            const cy = (f.box.top + f.box.bottom) / 2;
            const half = size * 0.8;
            const left = Math.max(0, Math.round(cx - half));
            const top = Math.max(0, Math.round(cy - half));
            return { left, top, width: Math.min(image.width - left, Math.round(2 * half)), height: Math.min(image.height - top, Math.round(2 * half)) };
          };
          const base = sharp(path).extract(crop(0));
          const variants = [
            await base.clone().jpeg({ quality: 92 }).toBuffer(),
            await base.clone().flop().jpeg({ quality: 92 }).toBuffer(),
            await base.clone().resize(Math.round(size * 1.2)).modulate({ brightness: 1.15 }).jpeg({ quality: 85 }).toBuffer(),
            await sharp(path).extract(crop(0.08)).jpeg({ quality: 90 }).toBuffer(),
          ];
          // Keep crops that show exactly one face in every variant (no neighbour cut in).
          let ok = true;
          for (const v of variants) if ((await recognizer.faceLocations(await loadImage(v), { minScore: 0.5 })).length !== 1) ok = false;
          if (!ok) continue;
          kept.push(f.encoding);
          out.push({ id: `sample${n}-face${i}`, variants });
        }
      }
    } finally {
      await recognizer.dispose();
    }
    return out;
  })();
  return cached;
}

/**
 * Writes a folder-per-person dataset of synthetic persons: person k gets
 * `photos` variants of face k. Returns the persons' names (person-a, person-b…).
 */
export async function writeSyntheticDataset(dir: string, persons: number, photos: number, offset = 0): Promise<string[]> {
  const faces = await syntheticFaces();
  if (faces.length < persons + offset) throw new Error(`only ${faces.length} synthetic faces, ${persons + offset} needed`);
  const names: string[] = [];
  for (let p = 0; p < persons; p++) {
    const name = `person-${String.fromCharCode(97 + p + offset)}`;
    names.push(name);
    await mkdir(join(dir, name), { recursive: true });
    for (let k = 0; k < photos; k++) await writeFile(join(dir, name, `photo${k + 1}.jpg`), faces[p + offset]!.variants[k % 4]!);
  }
  return names;
}

export const hasSampleImages = existsSync(sampleImagePath(1));
