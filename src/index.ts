/**
 * facerec — face recognition on ONNX Runtime, in face_recognition's four steps:
 *
 *   1. detect     faceLocations / batchFaceLocations
 *   2. landmarks  faceLandmarks (68 points, named groups, 5 points)
 *   3. encode     faceEncodings (dlib-aligned 150×150 chip → 128 numbers)
 *   4. match      compareFaces / faceDistance (Euclidean, tolerance 0.6)
 *
 * The free functions share one lazily created FaceRecognizer per detector; for
 * control over threads and lifetime, create a FaceRecognizer and dispose() it.
 */
import { FaceRecognizer, type EncodeOptions, type FaceLandmarksResult, type FaceRecognizerOptions } from './face-recognizer.js';
import type { DetectOptions, DetectorKind } from './detect/face-detector.js';
import type { FaceBox, FaceDetection, FaceEncoding, RgbImage } from './types.js';

export { loadImage, DEFAULT_MAX_PIXELS, type LoadImageOptions } from './image/load-image.js';
export { compareFaces, faceDistance, euclideanDistance, DEFAULT_TOLERANCE } from './match/face-distance.js';
export { FaceRecognizer, resolveDetectorName } from './face-recognizer.js';
export type { Face, FaceLandmarksResult, FaceRecognizerOptions, EncodeOptions } from './face-recognizer.js';
export type { DetectOptions, DetectorKind } from './detect/face-detector.js';
export { toLandmarkGroups, toFivePoints, type FaceLandmarkGroups } from './landmarks/landmark-groups.js';
export { FacerecError, type FacerecErrorCode } from './errors.js';
export { writeAnnotatedImage, type Annotation } from './image/annotate.js';
export type { FaceBox, FaceDetection, FaceEncoding, Point, RgbImage } from './types.js';

const defaults = new Map<string, Promise<FaceRecognizer>>();

function defaultRecognizer(detector: FaceRecognizerOptions['detector'] = 'accurate'): Promise<FaceRecognizer> {
  const key = String(detector);
  let r = defaults.get(key);
  if (!r) {
    r = FaceRecognizer.create({ detector });
    defaults.set(key, r);
    r.catch(() => defaults.delete(key));
  }
  return r;
}

/** Frees the models the free functions loaded (they are reloaded on next use). */
export async function disposeDefaultRecognizers(): Promise<void> {
  const all = [...defaults.values()];
  defaults.clear();
  await Promise.all(all.map(async (r) => (await r).dispose()));
}

type ModelOption = { model?: DetectorKind | 'hog' | 'cnn' };

/** Step 1: face boxes in the image, best first. `model`: 'accurate' (default) or 'fast'. */
export async function faceLocations(image: RgbImage, options: DetectOptions & ModelOption = {}): Promise<FaceDetection[]> {
  return (await defaultRecognizer(options.model)).faceLocations(image, options);
}

/** Step 1 on several images at once; one list per image. */
export async function batchFaceLocations(images: readonly RgbImage[], options: DetectOptions & ModelOption = {}): Promise<FaceDetection[][]> {
  return (await defaultRecognizer(options.model)).batchFaceLocations(images, options);
}

/** Step 2: 68 landmarks (and named groups) per face, for the given boxes or for every detected face. */
export async function faceLandmarks(image: RgbImage, faceLocations?: readonly FaceBox[], options: DetectOptions & ModelOption = {}): Promise<FaceLandmarksResult[]> {
  return (await defaultRecognizer(options.model)).faceLandmarks(image, faceLocations, options);
}

/** Step 3: a 128-number encoding per face, for the given boxes or for every detected face. */
export async function faceEncodings(
  image: RgbImage,
  knownFaceLocations?: readonly FaceBox[],
  options: EncodeOptions & DetectOptions & ModelOption = {},
): Promise<FaceEncoding[]> {
  return (await defaultRecognizer(options.model)).faceEncodings(image, knownFaceLocations, options);
}
