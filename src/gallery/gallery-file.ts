/**
 * The portable gallery file: a GalleryExport as JSON, embeddings as base64 of
 * little-endian float32 (bit-exact round trip). Reading validates every field and
 * names the first bad one, e.g. `persons[2].faces[0].embedding`.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { FacerecError, invalidArgument } from '../errors.js';
import type { GalleryExport } from './gallery-store.js';
import { bytesToEmbedding, checkBox, checkEmbedding, checkLandmarks, checkModelId, checkSha256, checkThumbnail, embeddingToBytes, normalizePersonName } from './gallery-validation.js';

export type { GalleryExport } from './gallery-store.js';

export function encodeEmbedding(e: Float32Array): string {
  return embeddingToBytes(e).toString('base64');
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function decodeEmbedding(b64: unknown, field: string): Float32Array {
  if (typeof b64 !== 'string' || b64.length === 0 || b64.length % 4 !== 0 || !BASE64.test(b64)) {
    throw invalidArgument(field, 'base64 of little-endian float32 values', typeof b64 === 'string' && b64.length > 40 ? `${b64.slice(0, 40)}…` : b64);
  }
  return checkEmbedding(bytesToEmbedding(Buffer.from(b64, 'base64'), field), field);
}

/** A face thumbnail (JPEG bytes) as stored in export files: base64. */
export function encodeThumbnail(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

export function decodeThumbnail(b64: unknown, field: string): Uint8Array {
  if (typeof b64 !== 'string' || b64.length === 0 || b64.length % 4 !== 0 || !BASE64.test(b64)) {
    throw invalidArgument(field, 'base64 of JPEG bytes or null', typeof b64 === 'string' && b64.length > 40 ? `${b64.slice(0, 40)}…` : b64);
  }
  return checkThumbnail(new Uint8Array(Buffer.from(b64, 'base64')), field)!;
}

const isIsoDate = (v: unknown): v is string => typeof v === 'string' && v.length <= 64 && !Number.isNaN(Date.parse(v));

/**
 * Checks that `data` is a GalleryExport (format "facerec-gallery", version 1) and
 * returns it with names normalised. `label` (a file name) prefixes the messages.
 * All faces must share one embedding length.
 */
export function validateGalleryExport(data: unknown, label = 'gallery'): GalleryExport {
  const at = (field: string) => `${label}: ${field}`;
  if (!data || typeof data !== 'object' || Array.isArray(data)) throw invalidArgument(at('the file'), 'a facerec gallery export object', data);
  const d = data as Record<string, unknown>;
  if (d.format !== 'facerec-gallery') throw invalidArgument(at('format'), '"facerec-gallery"', d.format);
  if (d.version !== 1) throw invalidArgument(at('version'), '1 (the only version this facerec reads)', d.version);
  const modelId = d.modelId === null ? null : checkModelId(d.modelId, at('modelId'));
  if (!isIsoDate(d.exportedAt)) throw invalidArgument(at('exportedAt'), 'an ISO 8601 date string', d.exportedAt);
  if (!Array.isArray(d.persons)) throw invalidArgument(at('persons'), 'an array', d.persons);
  let dimension: number | null = null;
  const names = new Set<string>();
  const persons = d.persons.map((p: unknown, i) => {
    const f = `persons[${i}]`;
    if (!p || typeof p !== 'object') throw invalidArgument(at(f), 'a person {name, createdAt, faces}', p);
    const person = p as Record<string, unknown>;
    const name = normalizePersonName(person.name, at(`${f}.name`));
    if (names.has(name)) throw invalidArgument(at(`${f}.name`), 'a name not used by an earlier person of the file', name);
    names.add(name);
    if (!isIsoDate(person.createdAt)) throw invalidArgument(at(`${f}.createdAt`), 'an ISO 8601 date string', person.createdAt);
    if (!Array.isArray(person.faces)) throw invalidArgument(at(`${f}.faces`), 'an array', person.faces);
    const faces = person.faces.map((x: unknown, j) => {
      const ff = `${f}.faces[${j}]`;
      if (!x || typeof x !== 'object') throw invalidArgument(at(ff), 'a face {embedding, createdAt, …}', x);
      const face = x as Record<string, unknown>;
      const embedding = decodeEmbedding(face.embedding, at(`${ff}.embedding`));
      if (dimension === null) dimension = embedding.length;
      else if (embedding.length !== dimension) throw invalidArgument(at(`${ff}.embedding`), `${dimension} float32 values like the file's other faces`, `${embedding.length} values`);
      if (!isIsoDate(face.createdAt)) throw invalidArgument(at(`${ff}.createdAt`), 'an ISO 8601 date string', face.createdAt);
      const sourcePath = face.sourcePath ?? null;
      if (sourcePath !== null && typeof sourcePath !== 'string') throw invalidArgument(at(`${ff}.sourcePath`), 'a string or null', sourcePath);
      const quality = face.quality ?? null;
      if (quality !== null && (typeof quality !== 'number' || !Number.isFinite(quality))) throw invalidArgument(at(`${ff}.quality`), 'a finite number or null', quality);
      const thumbnail = face.thumbnail ?? null;
      if (thumbnail !== null) decodeThumbnail(thumbnail, at(`${ff}.thumbnail`));
      return {
        embedding: face.embedding as string,
        createdAt: face.createdAt,
        sourcePath,
        sourceSha256: checkSha256(face.sourceSha256, at(`${ff}.sourceSha256`)),
        box: checkBox(face.box, at(`${ff}.box`)),
        landmarks: checkLandmarks(face.landmarks, at(`${ff}.landmarks`)),
        quality,
        ...(thumbnail !== null ? { thumbnail: thumbnail as string } : {}),
      };
    });
    return { name, createdAt: person.createdAt, faces };
  });
  if (modelId === null && persons.some((p) => p.faces.length > 0)) throw invalidArgument(at('modelId'), 'the model id of the faces (null only for an empty gallery)', null);
  return { format: 'facerec-gallery', version: 1, modelId, exportedAt: d.exportedAt, persons };
}

/** Writes an export as JSON (to a temporary file first, then renamed: never a half-written file). */
export async function writeGalleryFile(path: string, data: GalleryExport): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, `${JSON.stringify(data, null, 1)}\n`);
    await rename(tmp, path);
  } catch (cause) {
    throw new FacerecError('IO_ERROR', `Cannot write the gallery file "${path}": ${(cause as Error).message}`, { cause });
  }
}

/** Reads and validates a gallery file; errors name the file and the field. */
export async function readGalleryFile(path: string): Promise<GalleryExport> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new FacerecError('NOT_FOUND', `The gallery file "${path}" does not exist.`, { cause });
    throw new FacerecError('IO_ERROR', `Cannot read the gallery file "${path}": ${(cause as Error).message}`, { cause });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new FacerecError('INVALID_ARGUMENT', `"${path}" is not a facerec gallery file: it is not valid JSON (${(cause as Error).message}).`, { cause });
  }
  return validateGalleryExport(json, `"${path}"`);
}
