import { checkNumber, invalidArgument } from '../errors.js';
import type { FaceEncoding } from '../types.js';

/**
 * The distance under which two encodings are called the same person.
 * Lower is stricter (fewer false matches, more missed ones); 0.6 is where dlib's
 * model performs best on LFW, as in face_recognition.
 */
export const DEFAULT_TOLERANCE = 0.6;

/** Euclidean distance between two encodings of equal length. */
export function euclideanDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw invalidArgument('faceEncoding', `an encoding of length ${a.length}`, `length ${b.length}`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    sum += d * d;
  }
  return Math.sqrt(sum);
}

/** Distance from `faceToCompare` to each of `knownEncodings` (same order). An empty list gives an empty result. */
export function faceDistance(knownEncodings: readonly FaceEncoding[], faceToCompare: FaceEncoding): number[] {
  return knownEncodings.map((known) => euclideanDistance(known, faceToCompare));
}

/**
 * For each known encoding, whether it is the same person as `faceToCompare`:
 * distance ≤ tolerance. Lower tolerance is stricter; 0.6 is typical best performance.
 */
export function compareFaces(knownEncodings: readonly FaceEncoding[], faceToCompare: FaceEncoding, tolerance = DEFAULT_TOLERANCE): boolean[] {
  checkNumber('tolerance', tolerance, { min: 0 });
  return faceDistance(knownEncodings, faceToCompare).map((d) => d <= tolerance);
}
