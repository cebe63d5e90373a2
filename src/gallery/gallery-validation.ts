/**
 * Checks shared by every GalleryStore (and the export file reader): person
 * names, model ids and new faces. Each failure is an INVALID_ARGUMENT naming the
 * field and what is accepted.
 */
import { FacerecError, invalidArgument } from '../errors.js';
import type { FaceBox, Point } from '../types.js';
import type { NewFace } from './gallery-store.js';

export const MAX_NAME_LENGTH = 200;
// C0 and C1 control characters, DEL, and line/paragraph separators.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u;

/**
 * A person name as stored: trimmed and NFC-normalised (so "é" typed either way is
 * one person), non-empty, at most 200 characters, no control characters. Any
 * other Unicode, spaces and slashes are fine: names are data, never paths.
 */
export function normalizePersonName(name: unknown, field = 'name'): string {
  if (typeof name !== 'string') throw invalidArgument(field, 'a person name (a string)', name);
  const n = name.normalize('NFC').trim();
  if (n.length === 0) throw invalidArgument(field, 'a non-empty person name', name);
  if ([...n].length > MAX_NAME_LENGTH) throw invalidArgument(field, `a person name of at most ${MAX_NAME_LENGTH} characters`, `a name of ${[...n].length} characters`);
  if (CONTROL.test(n)) throw invalidArgument(field, 'a person name without control characters (tabs, newlines, …)', name);
  return n;
}

export function checkModelId(modelId: unknown, field = 'modelId'): string {
  if (typeof modelId !== 'string' || modelId.trim() === '' || modelId.length > 200 || CONTROL.test(modelId)) {
    throw invalidArgument(field, 'an embedding model id such as "dlib-resnet128:c2cf51e4:dlib+flip"', modelId);
  }
  return modelId;
}

export function modelMismatch(given: string, gallery: string, what = 'The faces'): FacerecError {
  return new FacerecError(
    'MODEL_MISMATCH',
    `${what} were encoded by model "${given}" but this gallery holds faces of model "${gallery}"; encodings of different models cannot be compared — use the gallery's model or a separate gallery.`,
  );
}

export function checkEmbedding(e: unknown, field: string, dimension?: number | null): Float32Array {
  if (!(e instanceof Float32Array)) throw invalidArgument(field, 'a Float32Array embedding', e);
  if (e.length === 0) throw invalidArgument(field, 'a non-empty embedding', 'length 0');
  if (dimension != null && e.length !== dimension) throw invalidArgument(field, `an embedding of length ${dimension} (the gallery's dimension)`, `length ${e.length}`);
  for (let i = 0; i < e.length; i++) if (!Number.isFinite(e[i]!)) throw invalidArgument(`${field}[${i}]`, 'a finite number', e[i]);
  return e;
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

export function checkSha256(v: unknown, field: string): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string' || !/^[0-9a-fA-F]{64}$/.test(v)) throw invalidArgument(field, 'a sha256 of 64 hex digits or null', v);
  return v.toLowerCase();
}

export function checkBox(v: unknown, field: string): FaceBox | null {
  if (v === undefined || v === null) return null;
  const b = v as Record<string, unknown>;
  if (typeof v !== 'object' || !finite(b.top) || !finite(b.right) || !finite(b.bottom) || !finite(b.left)) {
    throw invalidArgument(field, 'a box {top, right, bottom, left} of finite numbers or null', v);
  }
  return { top: b.top, right: b.right, bottom: b.bottom, left: b.left };
}

export function checkLandmarks(v: unknown, field: string): Point[] | null {
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v)) throw invalidArgument(field, 'an array of points {x, y} or null', v);
  return v.map((p: unknown, i) => {
    const q = p as Record<string, unknown>;
    if (!p || typeof p !== 'object' || !finite(q.x) || !finite(q.y)) throw invalidArgument(`${field}[${i}]`, 'a point {x, y} of finite numbers', p);
    return { x: q.x, y: q.y };
  });
}

export interface CheckedFace {
  embedding: Float32Array;
  sourcePath: string | null;
  sourceSha256: string | null;
  box: FaceBox | null;
  landmarks: Point[] | null;
  quality: number | null;
  thumbnail: Uint8Array | null;
}

/** At most 256 KB: a thumbnail is a small JPEG, not a photo. */
export const MAX_THUMBNAIL_BYTES = 256 * 1024;

export function checkThumbnail(v: unknown, field: string): Uint8Array | null {
  if (v === undefined || v === null) return null;
  if (!(v instanceof Uint8Array) || v.length === 0 || v.length > MAX_THUMBNAIL_BYTES) {
    throw invalidArgument(field, `JPEG bytes (a non-empty Uint8Array of at most ${MAX_THUMBNAIL_BYTES} bytes) or null`, v instanceof Uint8Array ? `${v.length} bytes` : v);
  }
  return v;
}

/** Validates a NewFace (field names prefixed by `field`, e.g. "faces[2]"). */
export function checkNewFace(f: unknown, field: string, dimension?: number | null): CheckedFace {
  if (!f || typeof f !== 'object') throw invalidArgument(field, 'a face {embedding, sourcePath?, sourceSha256?, box?, landmarks?, quality?}', f);
  const face = f as NewFace;
  const sourcePath = face.sourcePath ?? null;
  if (sourcePath !== null && typeof sourcePath !== 'string') throw invalidArgument(`${field}.sourcePath`, 'a string or null', sourcePath);
  const quality = face.quality ?? null;
  if (quality !== null && !finite(quality)) throw invalidArgument(`${field}.quality`, 'a finite number or null', quality);
  return {
    embedding: checkEmbedding(face.embedding, `${field}.embedding`, dimension),
    sourcePath,
    sourceSha256: checkSha256(face.sourceSha256, `${field}.sourceSha256`),
    box: checkBox(face.box, `${field}.box`),
    landmarks: checkLandmarks(face.landmarks, `${field}.landmarks`),
    quality,
    thumbnail: checkThumbnail(face.thumbnail, `${field}.thumbnail`),
  };
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** An embedding as little-endian float32 bytes (the BLOB and base64 format). */
export function embeddingToBytes(e: Float32Array): Buffer {
  if (LITTLE_ENDIAN) return Buffer.from(e.buffer.slice(e.byteOffset, e.byteOffset + e.byteLength));
  const out = Buffer.alloc(e.length * 4);
  for (let i = 0; i < e.length; i++) out.writeFloatLE(e[i]!, i * 4);
  return out;
}

/** Inverse of embeddingToBytes; always a fresh, aligned Float32Array. */
export function bytesToEmbedding(bytes: Uint8Array, field: string): Float32Array {
  if (bytes.length === 0 || bytes.length % 4 !== 0) throw invalidArgument(field, 'little-endian float32 bytes (a multiple of 4)', `${bytes.length} bytes`);
  const out = new Float32Array(bytes.length / 4);
  if (LITTLE_ENDIAN) new Uint8Array(out.buffer).set(bytes);
  else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  }
  return out;
}
