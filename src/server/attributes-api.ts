/** The `attributes=true` flag of /detect and /identify: age, gender and expression per face (off by default). */
import type { FastifyRequest } from 'fastify';
import { attributesFor, type FaceAttributes } from '../attributes/face-attributes.js';
import { EXPRESSION_LABELS } from '../attributes/graphs.js';
import type { FaceBox, RgbImage } from '../types.js';

export const attributesQuery = {
  type: 'boolean',
  default: false,
  description: "also estimate age, gender and expression per face (face-api's age_gender and face_expression nets)",
} as const;

export const attributesOut = {
  type: 'object',
  description: 'present when attributes=true: estimates from one photo, not facts about the person',
  properties: {
    age: { type: 'number', description: 'years' },
    gender: { type: 'string', enum: ['male', 'female'] },
    genderProbability: { type: 'number' },
    expression: { type: 'object', properties: Object.fromEntries(EXPRESSION_LABELS.map((l) => [l, { type: 'number' }])) },
  },
  required: ['age', 'gender', 'genderProbability', 'expression'],
} as const;

/** The flag from the query string or, for JSON bodies, an `"attributes": true` field. */
export function wantsAttributes(request: FastifyRequest): boolean {
  const q = request.query as { attributes?: boolean };
  const body = request.body as { attributes?: unknown } | undefined;
  return q.attributes === true || (typeof body === 'object' && body !== null && !Buffer.isBuffer(body) && body.attributes === true);
}

export async function maybeAttributes(wanted: boolean, image: RgbImage, boxes: readonly FaceBox[]): Promise<(FaceAttributes | undefined)[]> {
  if (!wanted) return boxes.map(() => undefined);
  return attributesFor(image, boxes);
}
