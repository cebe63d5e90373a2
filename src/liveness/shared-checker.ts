/** One LivenessChecker per process, created on first use (the server and the CLI share this). */
import { LivenessChecker, type LivenessScore } from './liveness.js';
import type { FaceBox, RgbImage } from '../types.js';

let shared: Promise<LivenessChecker> | undefined;

export function sharedLivenessChecker(): Promise<LivenessChecker> {
  shared ??= LivenessChecker.create().catch((err: unknown) => {
    shared = undefined; // let a later call retry (e.g. after the package is installed)
    throw err;
  });
  return shared;
}

export async function disposeSharedLivenessChecker(): Promise<void> {
  const s = shared;
  shared = undefined;
  if (s) await (await s).dispose();
}

const r4 = (v: number) => Math.round(v * 1e4) / 1e4;

/** Scores rounded to 4 decimals for JSON output. */
export async function livenessFor(image: RgbImage, boxes: readonly FaceBox[]): Promise<LivenessScore[]> {
  const scores = await (await sharedLivenessChecker()).check(image, boxes);
  return scores.map((s) => ({ real: r4(s.real), live: r4(s.live), spoof: s.spoof }));
}
