/**
 * One unit of pipeline work on one image file, shared by the in-process runner
 * and the worker threads so both produce identical results.
 */
import { FacerecError } from '../errors.js';
import type { EncodeOptions, FaceRecognizer, FaceRecognizerOptions } from '../face-recognizer.js';
import type { DetectOptions } from '../detect/face-detector.js';
import { loadImage } from '../image/load-image.js';
import { runVerificationFaceTask, type VerificationFaceOptions, type VerificationFaceResult } from '../eval/verification-face-task.js';
import type { FaceBox, Point } from '../types.js';
import { faceQuality, type FaceQualityOptions } from '../quality/face-quality.js';

export interface PipelineTaskOptions extends DetectOptions, EncodeOptions {
  /** Which steps to run after detection. */
  landmarks?: boolean;
  encode?: boolean;
  maxPixels?: number;
  /** Measure each face's quality (needs landmarks; see src/quality). */
  quality?: boolean | FaceQualityOptions;
}

export interface FaceResult {
  box: FaceBox;
  score: number;
  landmarks?: Point[];
  encoding?: Float32Array;
  /** When asked for (options.quality): the face's quality score and what is wrong with it. */
  quality?: { score: number; reasons: string[] };
}

export interface FileResult {
  file: string;
  width?: number;
  height?: number;
  faces: FaceResult[];
  /** Set when the file could not be processed; the batch goes on. */
  error?: { code: string; message: string };
  /** Milliseconds spent on this file (decode + pipeline). */
  ms: number;
}

export interface RecognizerConfig extends FaceRecognizerOptions {}

export async function runPipelineTask(recognizer: FaceRecognizer, file: string, options: PipelineTaskOptions): Promise<FileResult> {
  const start = performance.now();
  try {
    const image = await loadImage(file, { maxPixels: options.maxPixels });
    let faces: FaceResult[];
    if (options.encode || options.landmarks || options.quality) {
      const full = await recognizer.detectFaces(image, { ...options, encode: options.encode ?? false });
      const qualityOptions = typeof options.quality === 'object' ? options.quality : {};
      faces = full.map((f) => ({
        box: f.box,
        score: f.score,
        landmarks: f.landmarks,
        ...(options.encode ? { encoding: f.encoding } : {}),
        ...(options.quality && f.landmarks?.length === 68 ? { quality: pickQuality(faceQuality(image, f.box, f.landmarks, qualityOptions)) } : {}),
      }));
    } else {
      faces = (await recognizer.faceLocations(image, options)).map((d) => ({ box: d.box, score: d.score }));
    }
    return { file, width: image.width, height: image.height, faces, ms: performance.now() - start };
  } catch (err) {
    const code = err instanceof FacerecError ? err.code : 'INTERNAL';
    const message = err instanceof FacerecError ? err.message : `Failed on "${file}": ${(err as Error).message}`;
    return { file, faces: [], error: { code, message }, ms: performance.now() - start };
  }
}

const pickQuality = (q: { score: number; reasons: string[] }) => ({ score: q.score, reasons: q.reasons });

/** The kinds of per-file work a pool runs, with their options and results. */
export interface TaskKinds {
  pipeline: { options: PipelineTaskOptions; result: FileResult };
  'verification-face': { options: VerificationFaceOptions; result: VerificationFaceResult };
}
export type TaskKind = keyof TaskKinds;

export interface TaskMessage<K extends TaskKind = TaskKind> {
  id: number;
  kind: K;
  file: string;
  options: TaskKinds[K]['options'];
}

export async function runTask(recognizer: FaceRecognizer, msg: TaskMessage): Promise<unknown> {
  if (msg.kind === 'verification-face') return runVerificationFaceTask(recognizer, msg.file, msg.options as VerificationFaceOptions);
  return runPipelineTask(recognizer, msg.file, msg.options as PipelineTaskOptions);
}
