/**
 * Unknown faces of identification results, ready for GalleryStore.addUnknownFaces
 * (identify --save-unknown, the API's saveUnknown flag): embedding, source photo
 * and its sha256, box, landmarks, quality and a thumbnail, so they can be
 * clustered and named later (facerec cluster --unknown, the web app).
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { NewFace } from '../gallery/gallery-store.js';
import { loadImage } from '../image/load-image.js';
import { faceQuality } from '../quality/face-quality.js';
import { faceThumbnail } from '../server/pipeline.js';
import { sha256Hex } from '../enroll/enroll.js';
import type { FaceBox, Point, RgbImage } from '../types.js';

/** What is needed of an identified face: its answer, box, encoding and (for the quality score) landmarks. */
export interface MatchedFace {
  name: string | null;
  box: FaceBox;
  encoding?: Float32Array | null;
  landmarks?: Point[] | null;
}

/** The unknown faces of one image as NewFaces (none when every face was named). */
export async function unknownFacesOfImage(image: RgbImage, faces: readonly MatchedFace[], source: { path: string | null; sha256: string | null }): Promise<NewFace[]> {
  const out: NewFace[] = [];
  for (const f of faces) {
    if (f.name !== null || !f.encoding) continue;
    const quality = f.landmarks?.length === 68 ? faceQuality(image, f.box, f.landmarks).score : null;
    out.push({ embedding: f.encoding, sourcePath: source.path, sourceSha256: source.sha256, box: f.box, landmarks: f.landmarks ?? null, quality, thumbnail: await faceThumbnail(image, f.box) });
  }
  return out;
}

/** The unknown faces of a photo file (read again for the thumbnails and sha256). */
export async function unknownFacesOfFile(file: string, faces: readonly MatchedFace[], maxPixels?: number): Promise<NewFace[]> {
  if (!faces.some((f) => f.name === null && f.encoding)) return [];
  const bytes = await readFile(file);
  const image = await loadImage(bytes, { maxPixels, label: file });
  return unknownFacesOfImage(image, faces, { path: resolve(file), sha256: sha256Hex(bytes) });
}
