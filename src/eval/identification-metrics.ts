/**
 * Open-set identification metrics for a folder-per-person dataset with a hold-out:
 * some persons are enrolled in a gallery (a few images each), their remaining images are "known"
 * probes, and the images of held-out persons are "unknown" probes that should be rejected.
 */

export interface LabelledItem {
  /** Person label (e.g. the folder name). */
  label: string;
  /** Image path or any id; items are ordered by it within a person. */
  path: string;
}

export interface GalleryProbeSplit {
  gallery: LabelledItem[];
  /** Probes whose person is in the gallery. */
  knownProbes: LabelledItem[];
  /** Probes of held-out persons (not in the gallery). */
  unknownProbes: LabelledItem[];
  /** Labels enrolled in the gallery, sorted. */
  galleryLabels: string[];
  /** Held-out labels, sorted. */
  unknownLabels: string[];
}

export interface SplitOptions {
  /** Images per known person that go to the gallery (the first ones by path). Default 1. */
  galleryPerPerson?: number;
  /**
   * Which persons are held out as unknown: an explicit list of labels, or `{ every: k }` to hold
   * out every k-th person in sorted label order (persons 0, k, 2k, … counted from `offset`, default 0).
   * Default: none.
   */
  unknown?: string[] | { every: number; offset?: number };
}

/**
 * Deterministic hold-out split of a folder-per-person dataset (independent of input order).
 * Known persons with no image left after enrolment contribute no probes.
 */
export function splitGalleryProbes(items: readonly LabelledItem[], options: SplitOptions = {}): GalleryProbeSplit {
  const perPerson = options.galleryPerPerson ?? 1;
  if (!Number.isInteger(perPerson) || perPerson < 1) throw new RangeError(`galleryPerPerson must be an integer >= 1, got ${perPerson}`);
  const byLabel = new Map<string, LabelledItem[]>();
  for (const it of items) {
    const list = byLabel.get(it.label);
    if (list) list.push(it);
    else byLabel.set(it.label, [it]);
  }
  const labels = [...byLabel.keys()].sort();
  let unknown: Set<string>;
  const spec = options.unknown;
  if (spec === undefined) unknown = new Set();
  else if (Array.isArray(spec)) {
    for (const l of spec) if (!byLabel.has(l)) throw new RangeError(`unknown person "${l}" is not in the dataset`);
    unknown = new Set(spec);
  } else {
    const { every, offset = 0 } = spec as { every: number; offset?: number };
    if (!Number.isInteger(every) || every < 1) throw new RangeError(`unknown.every must be an integer >= 1, got ${every}`);
    unknown = new Set(labels.filter((_, i) => i >= offset && (i - offset) % every === 0));
  }
  const split: GalleryProbeSplit = { gallery: [], knownProbes: [], unknownProbes: [], galleryLabels: [], unknownLabels: [] };
  for (const label of labels) {
    const list = [...byLabel.get(label)!].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    if (unknown.has(label)) {
      split.unknownLabels.push(label);
      split.unknownProbes.push(...list);
    } else {
      split.galleryLabels.push(label);
      split.gallery.push(...list.slice(0, perPerson));
      split.knownProbes.push(...list.slice(perPerson));
    }
  }
  return split;
}

/** One probe's outcome from the matcher. */
export interface ProbeResult {
  /** The probe's true person label. */
  label: string;
  /** The nearest gallery identity (or the matcher's answer); null = no match / unknown / no face. */
  predicted: string | null;
  /** Distance to `predicted` (smaller = more alike); null when there is none. */
  distance: number | null;
}

export interface IdentificationReport {
  /** The tolerance applied, or null when `predicted` was taken as is. */
  tolerance: number | null;
  known: {
    total: number;
    /** Accepted with the right label. */
    correct: number;
    /** Accepted with a wrong label. */
    misidentified: number;
    /** Called unknown although enrolled. */
    rejected: number;
    /** correct / total: top-1 accuracy of known probes, rejection counting as an error. */
    top1Accuracy: number;
    /** Fraction whose nearest identity is right, ignoring the tolerance (closed-set top-1). */
    closedSetTop1: number;
  };
  unknown: {
    total: number;
    /** Correctly called unknown. */
    rejected: number;
    /** Wrongly given a gallery identity. */
    falselyAccepted: number;
    /** rejected / total. */
    rejectionRate: number;
  };
}

/**
 * Top-1 accuracy of known probes and rejection rate of unknown probes. A probe is "known" when
 * its label is in `galleryLabels`. With `tolerance`, a prediction counts only when
 * `distance <= tolerance` (else the probe is called unknown); without it `predicted` is taken as is.
 * Rates over an empty group are NaN.
 */
export function evaluateIdentification(results: readonly ProbeResult[], galleryLabels: Iterable<string>, tolerance?: number): IdentificationReport {
  const gallery = new Set(galleryLabels);
  if (tolerance !== undefined && Number.isNaN(tolerance)) throw new RangeError('tolerance is NaN');
  const known = { total: 0, correct: 0, misidentified: 0, rejected: 0, nearestRight: 0 };
  const unknown = { total: 0, rejected: 0, falselyAccepted: 0 };
  results.forEach((r, i) => {
    if (r.predicted !== null && tolerance !== undefined && (r.distance === null || Number.isNaN(r.distance)))
      throw new RangeError(`probe ${i} (${r.label}): predicted "${r.predicted}" without a distance, cannot apply a tolerance`);
    const accepted = r.predicted !== null && (tolerance === undefined || r.distance! <= tolerance);
    if (gallery.has(r.label)) {
      known.total++;
      if (r.predicted === r.label) known.nearestRight++;
      if (!accepted) known.rejected++;
      else if (r.predicted === r.label) known.correct++;
      else known.misidentified++;
    } else {
      unknown.total++;
      if (accepted) unknown.falselyAccepted++;
      else unknown.rejected++;
    }
  });
  return {
    tolerance: tolerance ?? null,
    known: {
      total: known.total,
      correct: known.correct,
      misidentified: known.misidentified,
      rejected: known.rejected,
      top1Accuracy: known.correct / known.total,
      closedSetTop1: known.nearestRight / known.total,
    },
    unknown: { ...unknown, rejectionRate: unknown.rejected / unknown.total },
  };
}

/** {@link evaluateIdentification} at each tolerance, for a top-1 vs rejection trade-off curve. */
export function identificationSweep(results: readonly ProbeResult[], galleryLabels: Iterable<string>, tolerances: readonly number[]): IdentificationReport[] {
  const labels = [...galleryLabels];
  return tolerances.map((t) => evaluateIdentification(results, labels, t));
}
