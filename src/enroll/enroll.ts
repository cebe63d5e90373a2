/**
 * Enrolment: photos of persons → faces in a GalleryStore. Shared by the CLI and
 * servers. Each person is committed with ONE addFaces call as soon as all of that
 * person's photos are done, so an interruption loses at most the person in
 * progress and never leaves half a person. Re-running is idempotent: photos whose
 * bytes (sha256) are already stored are skipped as duplicates before any work.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { DEFAULT_ENCODE_OPTIONS, type EncodeOptions } from '../face-recognizer.js';
import type { DetectOptions } from '../detect/face-detector.js';
import { embeddingModelId } from '../encode/embedding-model-id.js';
import { FacerecError } from '../errors.js';
import type { GalleryStore, NewFace } from '../gallery/gallery-store.js';
import { evaluateIdentification } from '../eval/identification-metrics.js';
import { FaceIndex } from '../match/face-index.js';
import { DEFAULT_TOLERANCE } from '../match/face-distance.js';
import type { PipelinePool } from '../pool/pipeline-pool.js';
import type { FaceResult, FileResult } from '../pool/pipeline-task.js';
import type { FaceBox } from '../types.js';
import type { DatasetPerson } from './dataset-layout.js';

export type MultipleFacesPolicy = 'skip' | 'largest';
export type SkipReason = 'no-face' | 'multiple-faces' | 'unreadable' | 'duplicate' | 'low-quality';

/**
 * Default --min-quality: rejects clearly unusable faces only (measured on LFW View 1:
 * see docs/accuracy.md, "Face quality"); 0 disables the gate.
 */
export const DEFAULT_MIN_QUALITY = 0.35;

export interface SkippedPhoto {
  file: string;
  reason: SkipReason;
  /** One sentence, e.g. the loader's message for an unreadable file. */
  message: string;
}

export interface PersonOutcome {
  name: string;
  /** Photos considered for the gallery (hold-out photos not counted). */
  photos: number;
  enrolled: number;
  skipped: SkippedPhoto[];
  /** Photos kept out of the gallery as hold-out probes. */
  heldOut: number;
  /** True when the person's faces were written (or nothing was left to write). False when interrupted or failed. */
  committed: boolean;
  /** No photo of this person gave a face, and none was enrolled before. */
  noUsablePhoto: boolean;
}

export interface HoldoutProbe {
  file: string;
  person: string;
  /** null when the face was called unknown, or the photo had no face / could not be read. */
  predicted: string | null;
  distance: number | null;
  /** Set when the probe could not be scored: no face, unreadable. */
  problem?: string;
}

export interface HoldoutReport {
  holdout: number;
  tolerance: number;
  probes: HoldoutProbe[];
  /** Scored probes (a face found). */
  scored: number;
  correct: number;
  misidentified: number;
  /** Enrolled persons called unknown. */
  rejected: number;
  /** Probes without a usable face: not scored. */
  unscored: number;
  /** correct / scored (NaN when nothing was scored). */
  top1Accuracy: number;
  /** Persons with ≤ holdout photos: enrolled with all their photos, not probed. */
  notProbed: string[];
}

export interface EnrollReport {
  modelId: string;
  persons: PersonOutcome[];
  enrolled: number;
  skipped: Record<SkipReason, number>;
  /** Non-fatal notes naming files, e.g. several faces with the largest one enrolled. */
  warnings: string[];
  holdout?: HoldoutReport;
  /** Stopped by the signal: persons after the one in progress were not touched. */
  interrupted: boolean;
}

export type EnrollEvent =
  | { kind: 'photo'; person: string; file: string; status: 'enrolled' | 'skipped' | 'holdout'; reason?: SkipReason; message?: string }
  | { kind: 'person'; outcome: PersonOutcome };

export interface EnrollOptions {
  /** What to do with a photo showing several faces: enrol the largest (default, with a warning) or skip it. */
  multiple?: MultipleFacesPolicy;
  /** Keep the last N photos (by name) of each person out of the gallery and identify them afterwards. */
  holdout?: number;
  /** Tolerance and knn of the hold-out identification (default 0.6, 1). */
  tolerance?: number;
  knn?: number;
  encode?: EncodeOptions;
  detect?: DetectOptions;
  maxPixels?: number;
  /** Faces whose quality score (src/quality) is below this are skipped as 'low-quality' with the reasons (default DEFAULT_MIN_QUALITY; 0 = keep all). */
  minQuality?: number;
  /** Stops at the next photo: persons already written stay, the person in progress is not written. */
  signal?: AbortSignal;
  onEvent?: (event: EnrollEvent) => void;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

const area = (b: FaceBox) => (b.right - b.left) * (b.bottom - b.top);

function largest(faces: readonly FaceResult[]): FaceResult {
  return faces.reduce((best, f) => (area(f.box) > area(best.box) ? f : best));
}

type Job = { person: string; file: string; probe: boolean };
type JobResult =
  | { kind: 'face'; face: FaceResult; sha: string; warning?: string | undefined }
  | { kind: 'skip'; skip: SkippedPhoto; sha: string };

function readErrorMessage(file: string, err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return `Cannot read image "${file}": no such file`;
  if (code === 'EACCES') return `Cannot read image "${file}": permission denied`;
  if (code === 'EISDIR') return `Cannot read image "${file}": it is a folder, not an image file`;
  return `Cannot read image "${file}": ${(err as Error).message}`;
}

/** Throws MODEL_MISMATCH, naming both ids, when the gallery holds faces of another embedding model. */
export async function assertGalleryModel(store: GalleryStore, modelId: string, galleryLabel = ''): Promise<void> {
  const stored = await store.modelId();
  if (stored !== null && stored !== modelId) {
    throw new FacerecError(
      'MODEL_MISMATCH',
      `The gallery${galleryLabel ? ` ${galleryLabel}` : ''} holds faces of model ${stored}, but faces are now encoded with ${modelId}; encodings of different models cannot be compared (use a new --db)`,
    );
  }
}

/**
 * The store's faces as a search index (empty when the gallery is), after checking
 * that they were encoded by `modelId`: the one way video, clustering and other
 * readers load a gallery. Thumbnails are dropped; only ids, names and embeddings stay.
 */
export async function galleryFaceIndex(store: GalleryStore, modelId: string, galleryLabel = ''): Promise<FaceIndex> {
  await assertGalleryModel(store, modelId, galleryLabel);
  const faces = await store.listFaces();
  if (faces.length === 0) return new FaceIndex({ modelId });
  return FaceIndex.fromRecords(faces.map(({ id, personName, embedding }) => ({ id, personName, embedding })), { modelId });
}

/**
 * Enrols persons' photos into `store`. Throws MODEL_MISMATCH before any work when
 * the gallery holds faces of another model. Per-photo problems are reported in the
 * result, never thrown.
 */
export async function enrollPersons(
  store: GalleryStore,
  pool: PipelinePool,
  persons: readonly DatasetPerson[],
  options: EnrollOptions = {},
): Promise<EnrollReport> {
  const encode = { ...DEFAULT_ENCODE_OPTIONS, ...(options.encode ?? {}) };
  const modelId = embeddingModelId(encode);
  await assertGalleryModel(store, modelId);
  const multiple = options.multiple ?? 'largest';
  const holdout = options.holdout ?? 0;
  const minQuality = options.minQuality ?? DEFAULT_MIN_QUALITY;
  const pipeline = { ...(options.detect ?? {}), ...encode, maxPixels: options.maxPixels, encode: true, quality: true };
  const emit = options.onEvent ?? (() => {});

  // Jobs in person order; the last `holdout` photos of a person with more than that are probes.
  const notProbed: string[] = [];
  const plan = persons.map((p) => {
    const files = [...p.files].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const keep = holdout > 0 && files.length > holdout ? files.length - holdout : files.length;
    if (holdout > 0 && keep === files.length) notProbed.push(p.name);
    return { name: p.name, gallery: files.slice(0, keep), probes: files.slice(keep) };
  });
  const jobs: Job[] = plan.flatMap((p) => [
    ...p.gallery.map((file) => ({ person: p.name, file, probe: false })),
    ...p.probes.map((file) => ({ person: p.name, file, probe: true })),
  ]);

  const seen = new Map<string, string>(); // sha → first file of this run
  // Reading and hashing run one file at a time in job order, so the first of two
  // identical files is the one enrolled, whatever finishes first; inference overlaps.
  let hashing: Promise<unknown> = Promise.resolve();
  const hashAndCheck = async (job: Job): Promise<{ sha: string; skip?: SkippedPhoto; note?: string }> => {
    let bytes: Uint8Array;
    try {
      bytes = await readFile(job.file);
    } catch (err) {
      return { sha: '', skip: { file: job.file, reason: 'unreadable', message: readErrorMessage(job.file, err) } };
    }
    const sha = sha256Hex(bytes);
    if (job.probe) {
      if (await store.hasSource(sha)) return { sha, note: `${job.file}: this hold-out photo is already in the gallery (an earlier run enrolled it), so it is no fair test` };
      return { sha };
    }
    const first = seen.get(sha);
    if (first !== undefined) return { sha, skip: { file: job.file, reason: 'duplicate', message: `same bytes as ${first}` } };
    seen.set(sha, job.file);
    if (await store.hasSource(sha)) return { sha, skip: { file: job.file, reason: 'duplicate', message: 'already enrolled' } };
    return { sha };
  };
  // Hold-out probes are identified whatever their quality: the gate guards the gallery only.
  const qualityGate = (res: Extract<JobResult, { kind: 'face' }>, job: Job): JobResult => {
    const q = res.face.quality;
    if (job.probe || !q || q.score >= minQuality) return res;
    const why = q.reasons.length > 0 ? q.reasons.join('; ') : 'several small defects';
    return { kind: 'skip', sha: res.sha, skip: { file: job.file, reason: 'low-quality', message: `quality ${q.score.toFixed(2)} < ${minQuality}: ${why}` } };
  };
  const runJob = async (job: Job): Promise<JobResult> => {
    const checked = hashing.then(() => hashAndCheck(job));
    hashing = checked.catch(() => undefined);
    const { sha, skip, note } = await checked;
    if (skip) return { kind: 'skip', skip, sha };
    const r: FileResult = await pool.process(job.file, pipeline);
    if (r.error) return { kind: 'skip', sha, skip: { file: job.file, reason: 'unreadable', message: r.error.message } };
    const faces = r.faces.filter((f) => f.encoding && f.encoding.length > 0);
    if (faces.length === 0) return { kind: 'skip', sha, skip: { file: job.file, reason: 'no-face', message: 'no face found' } };
    if (faces.length > 1) {
      if (multiple === 'skip' && !job.probe) {
        return { kind: 'skip', sha, skip: { file: job.file, reason: 'multiple-faces', message: `${faces.length} faces found (--multiple skip)` } };
      }
      const several = `${job.file}: ${faces.length} faces found, ${job.probe ? 'identified' : 'enrolled'} the largest`;
      return qualityGate({ kind: 'face', face: largest(faces), sha, warning: note ? `${several}; ${note}` : several }, job);
    }
    return qualityGate({ kind: 'face', face: faces[0]!, sha, warning: note }, job);
  };

  // A bounded look-ahead across person boundaries keeps every worker busy.
  const window = Math.max(4, pool.workers * 3);
  const started: Promise<JobResult>[] = [];
  const ensureStarted = (upTo: number) => {
    while (started.length < Math.min(upTo, jobs.length) && !options.signal?.aborted) started.push(runJob(jobs[started.length]!));
  };

  const report: EnrollReport = {
    modelId,
    persons: [],
    enrolled: 0,
    skipped: { 'no-face': 0, 'multiple-faces': 0, unreadable: 0, duplicate: 0, 'low-quality': 0 },
    warnings: [],
    interrupted: false,
  };
  const probeFaces: { job: Job; face?: FaceResult; problem?: string }[] = [];
  let cursor = 0;
  for (const person of plan) {
    if (options.signal?.aborted) {
      report.interrupted = true;
      break;
    }
    const outcome: PersonOutcome = { name: person.name, photos: person.gallery.length, enrolled: 0, skipped: [], heldOut: person.probes.length, committed: false, noUsablePhoto: false };
    const faces: NewFace[] = [];
    const faceFiles: string[] = [];
    const personProbes: typeof probeFaces = [];
    const count = person.gallery.length + person.probes.length;
    let complete = true;
    for (let k = 0; k < count; k++, cursor++) {
      ensureStarted(cursor + window);
      const pending = started[cursor];
      if (!pending) {
        complete = false; // aborted before this photo was started
        break;
      }
      const job = jobs[cursor]!;
      const res = await pending;
      if (options.signal?.aborted) {
        complete = false; // interrupted inside this person: drop it, even if its other photos are in flight
        break;
      }
      if (job.probe) {
        personProbes.push(res.kind === 'face' ? { job, face: res.face } : { job, problem: res.skip.message });
        if (res.kind === 'face' && res.warning) report.warnings.push(res.warning);
        emit({ kind: 'photo', person: person.name, file: job.file, status: 'holdout' });
        continue;
      }
      if (res.kind === 'skip') {
        outcome.skipped.push(res.skip);
        emit({ kind: 'photo', person: person.name, file: job.file, status: 'skipped', reason: res.skip.reason, message: res.skip.message });
        continue;
      }
      if (res.warning) report.warnings.push(res.warning);
      const f = res.face;
      faces.push({ embedding: f.encoding!, sourcePath: resolve(job.file), sourceSha256: res.sha, box: f.box, landmarks: f.landmarks ?? null, quality: f.quality?.score ?? null });
      faceFiles.push(job.file);
      emit({ kind: 'photo', person: person.name, file: job.file, status: 'enrolled' });
    }
    if (!complete) {
      // Interrupted inside this person: nothing of it is written.
      report.interrupted = true;
      report.persons.push(outcome);
      break;
    }
    if (faces.length > 0) {
      const added = await store.addFaces(person.name, faces, modelId);
      outcome.enrolled = added.added.length;
      // Another writer may have stored the same bytes meanwhile: report them as duplicates.
      const dup = new Set(added.duplicates);
      faces.forEach((f, i) => {
        if (f.sourceSha256 && dup.has(f.sourceSha256)) outcome.skipped.push({ file: faceFiles[i]!, reason: 'duplicate', message: 'already enrolled' });
      });
    }
    outcome.committed = true;
    const onlyDuplicates = outcome.skipped.length > 0 && outcome.skipped.every((s) => s.reason === 'duplicate');
    outcome.noUsablePhoto = outcome.enrolled === 0 && !onlyDuplicates && person.gallery.length > 0 && !(await store.getPerson(person.name));
    report.persons.push(outcome);
    report.enrolled += outcome.enrolled;
    for (const s of outcome.skipped) report.skipped[s.reason]++;
    probeFaces.push(...personProbes);
    emit({ kind: 'person', outcome });
  }
  // Let photos already in flight finish before the caller closes the pool.
  await Promise.allSettled(started);

  if (holdout > 0 && !report.interrupted) {
    report.holdout = await identifyHoldout(store, probeFaces, { holdout, tolerance: options.tolerance ?? DEFAULT_TOLERANCE, knn: options.knn ?? 1, notProbed });
  }
  return report;
}

async function identifyHoldout(
  store: GalleryStore,
  probes: readonly { job: Job; face?: FaceResult; problem?: string }[],
  opts: { holdout: number; tolerance: number; knn: number; notProbed: string[] },
): Promise<HoldoutReport> {
  const records = await store.listFaces();
  const index = records.length > 0 ? FaceIndex.fromRecords(records) : undefined;
  const results: HoldoutProbe[] = probes.map(({ job, face, problem }) => {
    if (!face?.encoding || !index) return { file: job.file, person: job.person, predicted: null, distance: null, problem: problem ?? 'the gallery is empty' };
    const r = index.identify(face.encoding, { tolerance: opts.tolerance, knn: opts.knn, topK: 1 });
    return { file: job.file, person: job.person, predicted: r.name, distance: r.distance };
  });
  const scored = results.filter((p) => p.problem === undefined);
  const metrics = evaluateIdentification(
    scored.map((p) => ({ label: p.person, predicted: p.predicted, distance: p.distance })),
    scored.map((p) => p.person),
  );
  return {
    holdout: opts.holdout,
    tolerance: opts.tolerance,
    probes: results,
    scored: scored.length,
    correct: metrics.known.correct,
    misidentified: metrics.known.misidentified,
    rejected: metrics.known.rejected,
    unscored: results.length - scored.length,
    top1Accuracy: metrics.known.top1Accuracy,
    notProbed: opts.notProbed,
  };
}
