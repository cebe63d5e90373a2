/**
 * Open-set identification accuracy of a folder-per-person dataset, with an
 * in-memory gallery (no database): for each person with at least holdout+1 photos
 * the first photos (by name) are enrolled and the last `holdout` are probes; every
 * K-th such person (0, K, 2K… in name order, as splitGalleryProbes counts) is left
 * out of the gallery entirely and all of its photos probe unknown rejection.
 */
import { DEFAULT_ENCODE_OPTIONS, type EncodeOptions } from '../face-recognizer.js';
import { embeddingModelId } from '../encode/embedding-model-id.js';
import { evaluateIdentification, type IdentificationReport } from '../eval/identification-metrics.js';
import { FaceIndex } from '../match/face-index.js';
import { DEFAULT_TOLERANCE } from '../match/face-distance.js';
import type { PipelinePool } from '../pool/pipeline-pool.js';
import type { FaceResult } from '../pool/pipeline-task.js';
import type { FaceBox } from '../types.js';
import type { DatasetPerson } from '../enroll/dataset-layout.js';
import { toFaceRecords, type KnownFace } from './identify.js';

export interface HoldoutEvaluationOptions {
  /** Photos per person kept out of the gallery as probes (default 1). */
  holdout?: number;
  /** Every K-th person is unknown (default 5; 0 = none). */
  unknownEvery?: number;
  tolerance?: number;
  knn?: number;
  encode?: EncodeOptions;
  maxPixels?: number;
  onProgress?: (done: number, total: number, file: string) => void;
}

export interface ProbeOutcome {
  file: string;
  person: string;
  known: boolean;
  /** The answer (null = called unknown). */
  predicted: string | null;
  distance: number | null;
  /** Nearest person regardless of the tolerance. */
  nearest: string | null;
  /** Set when not scored: no face, unreadable. */
  problem?: string;
}

export interface HoldoutEvaluationReport {
  holdout: number;
  unknownEvery: number;
  tolerance: number;
  knn: number;
  modelId: string;
  persons: {
    total: number;
    /** Persons with too few photos (≤ holdout): not used. */
    tooFewPhotos: string[];
    gallery: string[];
    unknown: string[];
    /** Known persons none of whose gallery photos gave a face: left out, their probes not scored. */
    noGalleryFace: string[];
  };
  galleryFaces: number;
  /** Metrics over the scored probes (the tolerance already applied by the index). */
  metrics: IdentificationReport;
  /** Probes whose nearest gallery person is right, ignoring the tolerance. */
  closedSetTop1: number;
  unscored: number;
  probes: ProbeOutcome[];
  seconds: number;
}

const area = (b: FaceBox) => (b.right - b.left) * (b.bottom - b.top);
const largestFace = (faces: readonly FaceResult[]) =>
  faces.filter((f) => f.encoding && f.encoding.length > 0).reduce<FaceResult | undefined>((best, f) => (!best || area(f.box) > area(best.box) ? f : best), undefined);

export async function evaluateHoldoutIdentification(
  pool: PipelinePool,
  persons: readonly DatasetPerson[],
  options: HoldoutEvaluationOptions = {},
): Promise<HoldoutEvaluationReport> {
  const start = performance.now();
  const holdout = options.holdout ?? 1;
  const unknownEvery = options.unknownEvery ?? 5;
  const tolerance = options.tolerance ?? DEFAULT_TOLERANCE;
  const knn = options.knn ?? 1;
  const encode = { ...DEFAULT_ENCODE_OPTIONS, ...(options.encode ?? {}) };
  const modelId = embeddingModelId(encode);

  const sorted = [...persons].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const tooFewPhotos = sorted.filter((p) => p.files.length < holdout + 1).map((p) => p.name);
  const eligible = sorted.filter((p) => p.files.length >= holdout + 1);
  const unknown = new Set(unknownEvery > 0 ? eligible.filter((_, i) => i % unknownEvery === 0).map((p) => p.name) : []);

  type Job = { person: string; file: string; role: 'gallery' | 'known-probe' | 'unknown-probe' };
  const jobs: Job[] = [];
  for (const p of eligible) {
    const files = [...p.files].sort();
    if (unknown.has(p.name)) for (const file of files) jobs.push({ person: p.name, file, role: 'unknown-probe' });
    else {
      const keep = files.length - holdout;
      files.forEach((file, i) => jobs.push({ person: p.name, file, role: i < keep ? 'gallery' : 'known-probe' }));
    }
  }

  const pipeline = { ...encode, maxPixels: options.maxPixels, encode: true };
  let done = 0;
  const results = await Promise.all(
    jobs.map(async (job) => {
      const r = await pool.process(job.file, pipeline);
      options.onProgress?.(++done, jobs.length, job.file);
      return { job, face: r.error ? undefined : largestFace(r.faces), problem: r.error ? r.error.message : 'no face found' };
    }),
  );

  const galleryFaces: KnownFace[] = [];
  for (const { job, face } of results) if (job.role === 'gallery' && face?.encoding) galleryFaces.push({ name: job.person, embedding: face.encoding, sourcePath: job.file });
  const galleryNames = new Set(galleryFaces.map((f) => f.name));
  const galleryPersons = eligible.filter((p) => !unknown.has(p.name)).map((p) => p.name);
  const noGalleryFace = galleryPersons.filter((n) => !galleryNames.has(n));
  const index = galleryFaces.length > 0 ? FaceIndex.fromRecords(toFaceRecords(galleryFaces, modelId)) : undefined;

  const probes: ProbeOutcome[] = [];
  for (const { job, face, problem } of results) {
    if (job.role === 'gallery') continue;
    const known = job.role === 'known-probe';
    if (known && !galleryNames.has(job.person)) {
      probes.push({ file: job.file, person: job.person, known, predicted: null, distance: null, nearest: null, problem: 'the person has no gallery face' });
      continue;
    }
    if (!face?.encoding || !index) {
      probes.push({ file: job.file, person: job.person, known, predicted: null, distance: null, nearest: null, problem: index ? problem : 'the gallery is empty' });
      continue;
    }
    const r = index.identify(face.encoding, { tolerance, knn, topK: 1 });
    probes.push({ file: job.file, person: job.person, known, predicted: r.name, distance: r.distance, nearest: r.candidates[0]?.name ?? null });
  }
  const scored = probes.filter((p) => p.problem === undefined);
  const metrics = evaluateIdentification(
    scored.map((p) => ({ label: p.person, predicted: p.predicted, distance: p.distance })),
    galleryNames,
  );
  const knownScored = scored.filter((p) => p.known);
  const closedSetTop1 = knownScored.filter((p) => p.nearest === p.person).length / knownScored.length;
  metrics.tolerance = tolerance;
  metrics.known.closedSetTop1 = closedSetTop1;
  return {
    holdout,
    unknownEvery,
    tolerance,
    knn,
    modelId,
    persons: { total: sorted.length, tooFewPhotos, gallery: [...galleryNames].sort(), unknown: [...unknown], noGalleryFace },
    galleryFaces: galleryFaces.length,
    metrics,
    closedSetTop1,
    unscored: probes.length - scored.length,
    probes,
    seconds: (performance.now() - start) / 1000,
  };
}
