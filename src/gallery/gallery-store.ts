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

export interface GalleryChange {
  kind: 'face-added' | 'face-deleted' | 'person-deleted' | 'person-renamed' | 'persons-merged';
  personId: number;
  faceIds?: number[];
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
  exportGallery(): Promise<GalleryExport>;
  /** Adds an export's persons and faces (duplicates by sha256 skipped), atomically; returns counts. */
  importGallery(data: GalleryExport): Promise<{ persons: number; faces: number; duplicates: number }>;
  close(): Promise<void>;
}
