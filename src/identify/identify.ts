/**
 * Identification of the faces in image files, against a gallery (a GalleryStore's
 * faces in a FaceIndex) or against a folder of known people (face_recognition's
 * CLI: one photo per person, file stem = name). Shared by the CLI and servers.
 */
import { DEFAULT_ENCODE_OPTIONS, type EncodeOptions } from '../face-recognizer.js';
import type { DetectOptions } from '../detect/face-detector.js';
import { embeddingModelId } from '../encode/embedding-model-id.js';
import { assertGalleryModel } from '../enroll/enroll.js';
import { FacerecError } from '../errors.js';
import type { FaceRecord, GalleryStore } from '../gallery/gallery-store.js';
import type { Annotation } from '../image/annotate.js';
import { FaceIndex } from '../match/face-index.js';
import { DEFAULT_TOLERANCE, euclideanDistance } from '../match/face-distance.js';
import type { PipelinePool } from '../pool/pipeline-pool.js';
import type { FaceResult, FileResult } from '../pool/pipeline-task.js';
import type { FaceBox, Point } from '../types.js';
import { basename, extname } from 'node:path';

export interface Candidate {
  name: string;
  distance: number;
}

/** What is known about one face after matching. */
export interface FaceIdentity {
  /** The identified person, or null when no known face is within the tolerance. */
  name: string | null;
  /** Distance to the nearest face of the answer (or of the nearest person when unknown). */
  distance: number;
  /** 0..1, as the FaceIndex computes it. */
  confidence: number;
  /** Nearest persons, best first (top-k). */
  candidates: Candidate[];
  /**
   * The lines face_recognition's CLI prints for this face: every known person within
   * the tolerance (known-folder mode), or the identified person (gallery mode).
   */
  matches: Candidate[];
}

export interface IdentifiedFace extends FaceIdentity {
  box: FaceBox;
  score: number;
  /** The face's encoding and landmarks (kept so unknown faces can be saved: identify --save-unknown). */
  encoding?: Float32Array;
  landmarks?: Point[];
}

export interface FileIdentification {
  file: string;
  width?: number;
  height?: number;
  faces: IdentifiedFace[];
  /** Set when the file could not be read; the batch goes on. */
  error?: { code: string; message: string };
}

export interface MatchOptions {
  /** Largest distance that still counts as the same person (default 0.6, as face_recognition). */
  tolerance?: number;
  /** Vote among the K nearest faces (default 1: the nearest face decides). */
  knn?: number;
  /** How many candidates to report (default 3). */
  topK?: number;
}

/** Anything that names a face from its encoding. */
export interface Identifier {
  identify(encoding: Float32Array): FaceIdentity;
}

/** A face to identify against: an enrolled face or a known-folder photo. */
export interface KnownFace {
  name: string;
  embedding: Float32Array;
  sourcePath?: string | null;
}

/** FaceRecord-shaped rows for FaceIndex.fromRecords, for faces that never were in a store. */
export function toFaceRecords(known: readonly KnownFace[], modelId: string): FaceRecord[] {
  const ids = new Map<string, number>();
  const now = new Date().toISOString();
  return known.map((k, i) => {
    if (!ids.has(k.name)) ids.set(k.name, ids.size + 1);
    return {
      id: i + 1,
      personId: ids.get(k.name)!,
      personName: k.name,
      embedding: k.embedding,
      modelId,
      sourcePath: k.sourcePath ?? null,
      sourceSha256: null,
      box: null,
      landmarks: null,
      quality: null,
      createdAt: now,
    };
  });
}

function withDefaults(options: MatchOptions) {
  // knn 1 is the nearest-face rule; FaceIndex's default (no knn) is the same rule.
  return { tolerance: options.tolerance ?? DEFAULT_TOLERANCE, knn: options.knn !== undefined && options.knn > 1 ? options.knn : undefined, topK: options.topK ?? 3 };
}

/** An Identifier over a FaceIndex: one answer per face (the gallery mode). */
export function indexIdentifier(index: FaceIndex, options: MatchOptions = {}): Identifier {
  const opts = withDefaults(options);
  return {
    identify(encoding) {
      const r = index.identify(encoding, opts);
      return {
        name: r.name,
        distance: r.distance,
        confidence: r.confidence,
        candidates: r.candidates.map((c) => ({ name: c.name, distance: c.distance })),
        matches: r.name === null ? [] : [{ name: r.name, distance: r.distance }],
      };
    },
  };
}

/**
 * The known-folder mode: `identify` gives the FaceIndex's answer, and `matches` lists
 * every known person within the tolerance in folder order, as face_recognition prints them.
 */
export function knownFacesIdentifier(known: readonly KnownFace[], options: MatchOptions = {}): Identifier {
  const opts = withDefaults(options);
  const inner = indexIdentifier(FaceIndex.fromRecords(toFaceRecords(known, 'known-folder')), opts);
  return {
    identify(encoding) {
      const r = inner.identify(encoding);
      const matches = known.map((k) => ({ name: k.name, distance: euclideanDistance(k.embedding, encoding) })).filter((m) => m.distance <= opts.tolerance);
      return { ...r, matches };
    },
  };
}

/** The ANN index of a large gallery (see FaceIndex's annThreshold and prepareAnn). */
export interface GalleryAnnOptions {
  /** Faces from which searches use the ANN index (default 500,000; 0 = always exact). */
  threshold?: number;
  /** Where the ANN index is persisted and caught up from (null: built in memory each time). */
  path?: string | null;
  /** Told why a persisted ANN index was rebuilt. */
  log?: (message: string) => void;
}

export interface GalleryIndex {
  index: FaceIndex;
  modelId: string;
  persons: number;
  faces: number;
}

/**
 * Loads a gallery's faces into a FaceIndex. Throws a FacerecError when the gallery has
 * no person yet, or was made by another embedding model than `modelId`.
 */
export async function loadGalleryIndex(
  store: GalleryStore,
  galleryLabel: string,
  modelId = embeddingModelId(DEFAULT_ENCODE_OPTIONS),
  ann: GalleryAnnOptions = {},
): Promise<GalleryIndex> {
  const persons = await store.listPersons();
  const faces = await store.listFaces();
  if (persons.length === 0 || faces.length === 0) {
    throw new FacerecError('NOT_FOUND', `The gallery ${galleryLabel} has no persons yet; enrol some with facerec enroll DATASET_DIR`);
  }
  await assertGalleryModel(store, modelId, galleryLabel);
  const index = FaceIndex.fromRecords(faces, { modelId, ...(ann.threshold !== undefined ? { annThreshold: ann.threshold } : {}) });
  await index.prepareAnn(ann.path ?? null, ann.log);
  return { index, modelId, persons: persons.length, faces: faces.length };
}

export interface PipelineSettings {
  encode?: EncodeOptions;
  detect?: DetectOptions;
  maxPixels?: number;
}

function pipelineOptions(settings: PipelineSettings) {
  return { ...(settings.detect ?? {}), ...DEFAULT_ENCODE_OPTIONS, ...(settings.encode ?? {}), maxPixels: settings.maxPixels, encode: true };
}

export interface KnownFolderScan {
  known: KnownFace[];
  /** face_recognition's warnings: no face (file ignored), several faces (first used), unreadable. */
  warnings: string[];
}

/**
 * face_recognition's scan_known_people: each photo is one person named by its file stem;
 * the first face (best score) of a photo with several is used, a photo without a face is
 * ignored with a warning. Files are processed on the pool, results kept in file order.
 */
export async function scanKnownPeople(pool: PipelinePool, files: readonly string[], settings: PipelineSettings = {}): Promise<KnownFolderScan> {
  const opts = pipelineOptions(settings);
  const results = await Promise.all(files.map((f) => pool.process(f, opts)));
  const known: KnownFace[] = [];
  const warnings: string[] = [];
  for (const r of results) {
    if (r.error) {
      warnings.push(`WARNING: ${r.error.message}. Ignoring file.`);
      continue;
    }
    if (r.faces.length > 1) warnings.push(`WARNING: More than one face found in ${r.file}. Only considering the first face.`);
    const first = r.faces[0];
    if (!first?.encoding) {
      warnings.push(`WARNING: No faces found in ${r.file}. Ignoring file.`);
      continue;
    }
    known.push({ name: basename(r.file, extname(r.file)), embedding: first.encoding, sourcePath: r.file });
  }
  return { known, warnings };
}

function identifyFileResult(r: FileResult, identifier: Identifier): FileIdentification {
  if (r.error) return { file: r.file, faces: [], error: r.error };
  return {
    file: r.file,
    width: r.width,
    height: r.height,
    faces: r.faces.filter((f): f is FaceResult & { encoding: Float32Array } => Boolean(f.encoding)).map((f) => ({ box: f.box, score: f.score, ...identifier.identify(f.encoding), encoding: f.encoding, ...(f.landmarks ? { landmarks: f.landmarks } : {}) })),
  };
}

/**
 * Identifies every face of every file on the pool; yields results in input order as
 * soon as each is ready (the pool keeps working ahead). Unreadable files come back
 * with `error` set, the others go on.
 */
export async function* identifyFiles(
  pool: PipelinePool,
  files: readonly string[],
  identifier: Identifier,
  settings: PipelineSettings = {},
): AsyncGenerator<FileIdentification> {
  const opts = pipelineOptions(settings);
  // A bounded look-ahead keeps memory flat on folders of thousands of photos.
  const window = Math.max(4, pool.workers * 4);
  const pending: Promise<FileResult>[] = [];
  let next = 0;
  const fill = () => {
    while (next < files.length && pending.length < window) pending.push(pool.process(files[next++]!, opts));
  };
  fill();
  while (pending.length > 0) {
    const r = await pending.shift()!;
    fill();
    yield identifyFileResult(r, identifier);
  }
}

/** The face_recognition CLI's lines for one file: `file,name` per match, unknown_person, or no_persons_found. */
export function faceRecognitionLines(r: FileIdentification, showDistance = false): string[] {
  if (r.error) return [];
  const line = (name: string, distance: number | null) => (showDistance ? `${r.file},${name},${distance === null ? 'None' : String(distance)}` : `${r.file},${name}`);
  if (r.faces.length === 0) return [line('no_persons_found', null)];
  const lines: string[] = [];
  for (const f of r.faces) {
    if (f.matches.length === 0) lines.push(line('unknown_person', null));
    else for (const m of f.matches) lines.push(line(m.name, m.distance));
  }
  return lines;
}

const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;

/** The `--json` document of one file. */
export function identificationJson(r: FileIdentification): Record<string, unknown> {
  if (r.error) return { file: r.file, error: r.error };
  return {
    file: r.file,
    width: r.width,
    height: r.height,
    faces: r.faces.map((f) => ({
      box: { top: round(f.box.top, 2), right: round(f.box.right, 2), bottom: round(f.box.bottom, 2), left: round(f.box.left, 2) },
      score: round(f.score, 4),
      name: f.name,
      distance: round(f.distance, 6),
      confidence: round(f.confidence, 4),
      candidates: f.candidates.map((c) => ({ name: c.name, distance: round(c.distance, 6) })),
      ...(f.matches.length > 1 ? { matches: f.matches.map((m) => ({ name: m.name, distance: round(m.distance, 6) })) } : {}),
    })),
  };
}

export const KNOWN_COLOR = '#22c55e';
export const UNKNOWN_COLOR = '#ef4444';

/** Boxes with the name in a bar under each face: green for a known person, red for an unknown one. */
export function identificationAnnotations(r: FileIdentification): Annotation[] {
  return r.faces.map((f) => ({ box: f.box, label: f.name ?? 'Unknown', color: f.name === null ? UNKNOWN_COLOR : KNOWN_COLOR }));
}
