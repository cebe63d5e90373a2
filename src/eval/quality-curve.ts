/**
 * Does rejecting low-quality faces help? Pairs sorted by the lower quality of
 * their two faces; the lowest-quality share is dropped and the accuracy of the
 * rest measured at a fixed threshold (chosen on other pairs): an
 * "error-versus-reject" curve.
 */
import { invalidArgument } from '../errors.js';

export interface QualityPair {
  distance: number;
  same: boolean;
  /** min(quality of face A, quality of face B); NaN/null = unknown, treated as lowest. */
  quality: number | null;
}

export interface QualityCurvePoint {
  /** Share of pairs dropped (requested). */
  drop: number;
  dropped: number;
  kept: number;
  accuracy: number;
  /** The quality of the last dropped pair (the effective cut), null when none dropped. */
  qualityCut: number | null;
  errors: number;
}

export const DEFAULT_DROPS = [0, 0.05, 0.1, 0.2, 0.3] as const;

export function qualityCurve(pairs: readonly QualityPair[], threshold: number, drops: readonly number[] = DEFAULT_DROPS): QualityCurvePoint[] {
  if (pairs.length === 0) throw invalidArgument('pairs', 'a non-empty list of pairs', 'none');
  const q = (p: QualityPair) => (p.quality === null || Number.isNaN(p.quality) ? -Infinity : p.quality);
  // Stable order: ties keep file order, so the curve is reproducible.
  const sorted = pairs.map((p, i) => ({ p, i })).sort((a, b) => q(a.p) - q(b.p) || a.i - b.i).map((x) => x.p);
  return drops.map((drop) => {
    if (!(drop >= 0 && drop < 1)) throw invalidArgument('drop', 'a share in [0, 1)', drop);
    const dropped = Math.floor(drop * sorted.length);
    const kept = sorted.slice(dropped);
    const errors = kept.filter((p) => (p.distance <= threshold) !== p.same).length;
    return { drop, dropped, kept: kept.length, accuracy: 1 - errors / kept.length, qualityCut: dropped > 0 ? q(sorted[dropped - 1]!) : null, errors };
  });
}
