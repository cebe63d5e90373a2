/**
 * The gallery: persons and their enrolled faces (embeddings with provenance).
 * One interface, several stores (SQLite now, PostgreSQL later), all held to the
 * same contract suite (gallery-contract.ts). Async so network stores fit.
 */
import type { FaceBox, Point } from '../types.js';

export interface PersonRecord {
  id: number;
  name: string;
  createdAt: string;
  faceCount: number;
}

export interface FaceRecord {
  id: number;
  personId: number;
  personName: string;
  embedding: Float32Array;
  /** Which encoder produced the embedding (see embeddingModelId); faces of different models never mix. */
  modelId: string;
  sourcePath: string | null;
  /** sha256 of the source file's bytes: the duplicate check of re-runs. */
  sourceSha256: string | null;
  box: FaceBox | null;
  landmarks: Point[] | null;
  quality: number | null;
  createdAt: string;
  /** A small JPEG of the face crop (about 112 px square) for user interfaces; null or absent when none was stored. */
  thumbnail?: Uint8Array | null;
}

export interface NewFace {
  embedding: Float32Array;
  sourcePath?: string | null;
  sourceSha256?: string | null;
  box?: FaceBox | null;
  landmarks?: Point[] | null;
  quality?: number | null;
  /** A small JPEG of the face crop (about 112 px square), optional. */
  thumbnail?: Uint8Array | null;
}

export interface AddFacesResult {
  /**
   * The person after the call. When nothing was added (all duplicates) to a person
   * who did not exist, the person is not created: `id` is 0 and `faceCount` 0.
   */
  person: PersonRecord;
  added: FaceRecord[];
  /** sourceSha256 values already enrolled (for any person): skipped, not added again. */
  duplicates: string[];
}

/** A portable copy of a whole gallery (export/import, backups, moves between stores). */
export interface GalleryExport {
  format: 'facerec-gallery';
  version: 1;
  modelId: string | null;
  exportedAt: string;
  persons: {
    name: string;
    createdAt: string;
    faces: (Omit<NewFace, 'embedding' | 'thumbnail'> & {
      embedding: string /* base64 of little-endian float32 */;
      createdAt: string;
      /** base64 of the JPEG thumbnail; absent when the face has none. */
      thumbnail?: string | null;
    })[];
  }[];
}

/** A face seen but not identified (identify, video, cluster input), kept so it can be clustered and named later. */
export interface UnknownFaceRecord {
  id: number;
  embedding: Float32Array;
  modelId: string;
  sourcePath: string | null;
  sourceSha256: string | null;
  box: FaceBox | null;
  landmarks: Point[] | null;
  quality: number | null;
  /** Cluster label from the last `facerec cluster --unknown` run; null when not clustered or noise. */
  clusterId: number | null;
  createdAt: string;
  thumbnail?: Uint8Array | null;
}

export interface GalleryChange {
  kind: 'face-added' | 'face-deleted' | 'person-deleted' | 'person-renamed' | 'persons-merged';
  personId: number;
  faceIds?: number[];
}

/**
 * What other processes changed (several API nodes on one PostgreSQL gallery):
 * the faces touched by changes up to `seq`, and the current state of those still
 * stored. Apply as: remove every id of `faceIds` from the index, then add `faces`.
 */
export interface GalleryUpdate {
  seq: number;
  faceIds: number[];
  faces: Pick<FaceRecord, 'id' | 'personName' | 'embedding'>[];
}

export interface WatchChangesOptions {
  /** Deliver changes after this seq (from changeSeq() read before loading the gallery); default: from now. */
  afterSeq?: number;
  /** The safety-net poll, in case a notification is lost (default 5000 ms). */
  pollIntervalMs?: number;
  /** Connection problems of the feed (it keeps retrying). */
  onError?: (err: unknown) => void;
}

export interface GalleryStore {
  /** The embedding model of this gallery: fixed by the first enrolled face, null while empty. */
  modelId(): Promise<string | null>;
  listPersons(): Promise<PersonRecord[]>;
  getPerson(name: string): Promise<PersonRecord | undefined>;
  /**
   * Adds faces to a person, creating the person if needed, in ONE transaction:
   * either every new face and the person are stored, or nothing is. Faces whose
   * sourceSha256 is already stored are skipped and reported. Throws
   * MODEL_MISMATCH if `modelId` differs from the gallery's.
   */
  addFaces(personName: string, faces: readonly NewFace[], modelId: string): Promise<AddFacesResult>;
  hasSource(sourceSha256: string): Promise<boolean>;
  /** All faces, or one person's (NOT_FOUND if no such person), oldest first. */
  listFaces(personName?: string): Promise<FaceRecord[]>;
  /** Deletes one face (NOT_FOUND if unknown); deleting a person's last face deletes the person: every person has ≥ 1 face. */
  deleteFace(faceId: number): Promise<void>;
  deletePerson(name: string): Promise<void>;
  /** NOT_FOUND if `from` does not exist, ALREADY_EXISTS if `to` does (merge instead). */
  renamePerson(from: string, to: string): Promise<PersonRecord>;
  /** Moves every face of `from` to `into` and deletes `from`, atomically. */
  mergePersons(from: string, into: string): Promise<PersonRecord>;
  /** Stores faces of people not in the gallery (MODEL_MISMATCH as addFaces); returns their ids. Same sha256 + same box twice is stored once. */
  addUnknownFaces(faces: readonly NewFace[], modelId: string): Promise<number[]>;
  /** All unknown faces, oldest first (thumbnails included). */
  listUnknownFaces(): Promise<UnknownFaceRecord[]>;
  /** Records cluster labels (id → label or null), atomically. */
  setUnknownClusters(labels: ReadonlyMap<number, number | null>): Promise<void>;
  /**
   * Names unknown faces: moves them to person `personName` (created if needed) as
   * enrolled faces and removes them from the unknown list, in ONE transaction.
   * NOT_FOUND naming the first missing id.
   */
  enrolUnknownFaces(ids: readonly number[], personName: string): Promise<AddFacesResult>;
  deleteUnknownFaces(ids: readonly number[]): Promise<void>;
  /** A small stored setting (e.g. "identify.tolerance" written by `facerec calibrate`); null when unset. Keys: /^[a-z][a-z0-9._-]{0,99}$/ else INVALID_ARGUMENT. */
  getSetting(key: string): Promise<string | null>;
  /** Stores (or with null removes) a setting. */
  setSetting(key: string, value: string | null): Promise<void>;
  exportGallery(): Promise<GalleryExport>;
  /** Adds an export's persons and faces (duplicates by sha256 skipped), atomically; returns counts. */
  importGallery(data: GalleryExport): Promise<{ persons: number; faces: number; duplicates: number }>;
  close(): Promise<void>;
  /** Multi-node stores only (PostgreSQL): the newest change number, read BEFORE loading faces for watchChanges. */
  changeSeq?(): Promise<number>;
  /** Multi-node stores only: follows other processes' writes (see GalleryUpdate); returns a stop function. Single-process stores (SQLite) leave it out. */
  watchChanges?(listener: (update: GalleryUpdate) => Promise<void> | void, options?: WatchChangesOptions): () => Promise<void>;
}
