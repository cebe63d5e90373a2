/**
 * One photo through the recognition pipeline, stage by stage (decode, detect,
 * landmarks, encode), timed, on a FaceRecognizer; plus the face thumbnails the
 * gallery stores.
 */
import sharp from 'sharp';
import type { DetectorKind } from '../detect/face-detector.js';
import { DEFAULT_ENCODE_OPTIONS, type FaceRecognizer } from '../face-recognizer.js';
import { loadImage } from '../image/load-image.js';
import type { FaceBox, Point, RgbImage } from '../types.js';

export interface AnalysedFace {
  box: FaceBox;
  score: number;
  landmarks: Point[];
  encoding: Float32Array | null;
}

export interface StageTimings {
  decodeMs: number;
  detectMs: number;
  landmarksMs: number;
  encodeMs: number;
}

export interface Analysis {
  image: RgbImage;
  faces: AnalysedFace[];
  timings: StageTimings;
}

export interface AnalyseOptions {
  /** Label used in error messages (e.g. the field name). */
  label: string;
  maxPixels: number;
  /** Run the encoder (default true). */
  encode?: boolean;
}

const ms = (t0: number) => performance.now() - t0;

export async function analysePhoto(recognizer: FaceRecognizer, bytes: Uint8Array, options: AnalyseOptions): Promise<Analysis> {
  let t = performance.now();
  const image = await loadImage(bytes, { maxPixels: options.maxPixels, label: options.label });
  const decodeMs = ms(t);
  t = performance.now();
  const detections = await recognizer.faceLocations(image);
  const detectMs = ms(t);
  t = performance.now();
  const marks = detections.length > 0 ? await recognizer.faceLandmarks(image, detections.map((d) => d.box)) : [];
  const landmarksMs = ms(t);
  t = performance.now();
  const encodings =
    options.encode === false || detections.length === 0
      ? []
      : await recognizer.encodeLandmarks(
          image,
          marks.map((m) => m.points),
          DEFAULT_ENCODE_OPTIONS,
        );
  const encodeMs = ms(t);
  return {
    image,
    faces: detections.map((d, i) => ({ box: d.box, score: d.score, landmarks: marks[i]?.points ?? [], encoding: encodings[i] ?? null })),
    timings: { decodeMs, detectMs, landmarksMs, encodeMs },
  };
}

export const boxArea = (b: FaceBox) => (b.right - b.left) * (b.bottom - b.top);

export function largestFace<T extends { box: FaceBox }>(faces: readonly T[]): T | undefined {
  return faces.reduce<T | undefined>((best, f) => (best === undefined || boxArea(f.box) > boxArea(best.box) ? f : best), undefined);
}

export const THUMBNAIL_SIZE = 112;

/** A THUMBNAIL_SIZE-px square JPEG of the face with a margin, clipped to the image. */
export async function faceThumbnail(image: RgbImage, box: FaceBox): Promise<Uint8Array> {
  const side = Math.max(box.right - box.left, box.bottom - box.top) * 1.4;
  const cx = (box.left + box.right) / 2;
  const cy = (box.top + box.bottom) / 2;
  const left = Math.max(0, Math.floor(cx - side / 2));
  const top = Math.max(0, Math.floor(cy - side / 2));
  const width = Math.max(1, Math.min(image.width - left, Math.ceil(side)));
  const height = Math.max(1, Math.min(image.height - top, Math.ceil(side)));
  const out = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .extract({ left, top, width, height })
    .resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: 'cover' })
    .jpeg({ quality: 82 })
    .toBuffer();
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

let placeholder: Promise<Buffer> | undefined;
/** A neutral grey JPEG for faces stored without a thumbnail (e.g. enrolled by the CLI). */
export function placeholderThumbnail(): Promise<Buffer> {
  placeholder ??= sharp({ create: { width: THUMBNAIL_SIZE, height: THUMBNAIL_SIZE, channels: 3, background: '#9ca3af' } })
    .jpeg({ quality: 80 })
    .toBuffer();
  return placeholder;
}

export type { DetectorKind };
