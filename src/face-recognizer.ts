/**
 * FaceRecognizer owns the ONNX sessions of the four pipeline steps —
 * detect → landmarks → align + encode → (match is pure, see match/) — and
 * exposes them in face_recognition's vocabulary. Create one, reuse it, dispose() it.
 */
import { FaceDetector, type DetectOptions, type DetectorKind } from './detect/face-detector.js';
import { LandmarkDetector, type LandmarkModel } from './landmarks/landmark-net.js';
import { toLandmarkGroups, toFivePoints, type FaceLandmarkGroups } from './landmarks/landmark-groups.js';
import { FaceEncoder, type Alignment } from './encode/face-encoder.js';
import { checkChoice, checkNumber, invalidArgument } from './errors.js';
import type { FaceBox, FaceDetection, FaceEncoding, Point, RgbImage } from './types.js';

export const DETECTOR_NAMES = ['accurate', 'fast'] as const;
/** face_recognition's model names, accepted as aliases: hog → fast, cnn → accurate. */
export const DETECTOR_ALIASES: Readonly<Record<string, DetectorKind>> = { hog: 'fast', cnn: 'accurate' };

export interface FaceRecognizerOptions {
  /** 'accurate' (SSD-MobileNetV1, default) or 'fast' (Tiny face detector); 'cnn'/'hog' are aliases. */
  detector?: DetectorKind | 'cnn' | 'hog';
  /** 'full' 68-point net (default) or 'tiny'. */
  landmarkModel?: LandmarkModel;
  /** ONNX Runtime threads per inference. 1 suits worker pools; default 1. */
  threads?: number;
}

export interface EncodeOptions {
  /**
   * How the 150×150 chip is cut: 'dlib' (default: 5-point similarity transform,
   * eyes level), 'face-api' (its axis-aligned crop) or 'dlib+face-api' (both,
   * descriptors averaged: best on LFW's upright faces, twice the encoder work).
   */
  alignment?: Alignment;
  /** Re-sample the face this many times with small random shifts and average (dlib's num_jitters). Higher is slower and slightly more accurate. Default 1. */
  numJitters?: number;
  /** Also encode the mirror image and average (measured gain on LFW). */
  flip?: boolean;
}

/** Everything known about one face after the full pipeline. */
export interface Face {
  box: FaceBox;
  score: number;
  landmarks: Point[];
  encoding: FaceEncoding;
}

export interface FaceLandmarksResult {
  /** The 68 points in iBUG-300W order. */
  points: Point[];
  /** Named groups as face_recognition returns them (chin, left_eye, …). */
  groups: FaceLandmarkGroups;
  /** Five points: see landmark-groups.ts for their order. */
  fivePoints: Point[];
}

export function resolveDetectorName(name: unknown): DetectorKind {
  if (typeof name === 'string' && name in DETECTOR_ALIASES) return DETECTOR_ALIASES[name]!;
  return checkChoice('detector', name, [...DETECTOR_NAMES, 'hog', 'cnn'] as const) as DetectorKind;
}

export class FaceRecognizer {
  private constructor(
    readonly detectorKind: DetectorKind,
    readonly landmarkModel: LandmarkModel,
    private readonly detector: FaceDetector,
    private readonly landmarker: LandmarkDetector,
    private readonly encoder: FaceEncoder,
  ) {}

  static async create(options: FaceRecognizerOptions = {}): Promise<FaceRecognizer> {
    const detectorKind = resolveDetectorName(options.detector ?? 'accurate');
    const landmarkModel = checkChoice('landmarkModel', options.landmarkModel ?? 'full', ['full', 'tiny'] as const);
    const threads = checkNumber('threads', options.threads ?? 1, { min: 0, max: 64, integer: true });
    const [detector, landmarker, encoder] = await Promise.all([
      FaceDetector.create(detectorKind, { threads }),
      LandmarkDetector.create(landmarkModel, { threads }),
      FaceEncoder.create({ threads }),
    ]);
    return new FaceRecognizer(detectorKind, landmarkModel, detector, landmarker, encoder);
  }

  /** Step 1 — boxes of the faces in the image, best score first. */
  async faceLocations(image: RgbImage, options: DetectOptions = {}): Promise<FaceDetection[]> {
    return this.detector.detect(image, detectOptions(options));
  }

  /** Step 1 on many images; one result list per image, in order. */
  async batchFaceLocations(images: readonly RgbImage[], options: DetectOptions = {}): Promise<FaceDetection[][]> {
    const out: FaceDetection[][] = [];
    for (const image of images) out.push(await this.detector.detect(image, detectOptions(options)));
    return out;
  }

  /** Step 2 — 68 landmarks per face; detects faces first unless `faceLocations` are given. */
  async faceLandmarks(image: RgbImage, faceLocations?: readonly FaceBox[], detectOpts: DetectOptions = {}): Promise<FaceLandmarksResult[]> {
    const boxes = faceLocations ?? (await this.detector.detect(image, detectOptions(detectOpts))).map((d) => d.box);
    checkBoxes(boxes);
    if (boxes.length === 0) return [];
    const all = await this.landmarker.detect(image, [...boxes]);
    return all.map((points) => ({ points, groups: toLandmarkGroups(points), fivePoints: toFivePoints(points) }));
  }

  /** Step 3 — a 128-number encoding per face; detects faces first unless `knownFaceLocations` are given. */
  async faceEncodings(
    image: RgbImage,
    knownFaceLocations?: readonly FaceBox[],
    options: EncodeOptions & DetectOptions = {},
  ): Promise<FaceEncoding[]> {
    const boxes = knownFaceLocations ?? (await this.detector.detect(image, detectOptions(options))).map((d) => d.box);
    checkBoxes(boxes);
    if (boxes.length === 0) return [];
    const landmarks = await this.landmarker.detect(image, [...boxes]);
    return this.encoder.encode(image, landmarks, encodeOptions(options));
  }

  /** Step 3 for faces whose 68 landmarks are already known (one encoding per landmark set). */
  async encodeLandmarks(image: RgbImage, landmarks: readonly (readonly Point[])[], options: EncodeOptions = {}): Promise<FaceEncoding[]> {
    if (landmarks.length === 0) return [];
    return this.encoder.encode(image, landmarks, encodeOptions(options));
  }

  /** The whole pipeline: detection, landmarks and encoding of every face, batched. */
  async detectFaces(image: RgbImage, options: EncodeOptions & DetectOptions & { encode?: boolean } = {}): Promise<Face[]> {
    const detections = await this.detector.detect(image, detectOptions(options));
    if (detections.length === 0) return [];
    const landmarks = await this.landmarker.detect(
      image,
      detections.map((d) => d.box),
    );
    const encodings =
      options.encode === false ? detections.map(() => new Float32Array(0)) : await this.encoder.encode(image, landmarks, encodeOptions(options));
    return detections.map((d, i) => ({ box: d.box, score: d.score, landmarks: landmarks[i]!, encoding: encodings[i]! }));
  }

  async dispose(): Promise<void> {
    await Promise.all([this.detector.dispose(), this.landmarker.dispose(), this.encoder.dispose()]);
  }
}

const DETECT_KEYS = ['minScore', 'minFaceSize', 'inputSize', 'maxFaces', 'upsample', 'zoomOut'] as const;

/** Only the detector's own options, without undefined ones, so callers may pass one mixed options object. */
function detectOptions(options: DetectOptions): DetectOptions {
  const out: Record<string, unknown> = {};
  for (const key of DETECT_KEYS) if (options[key] !== undefined) out[key] = options[key];
  return out as DetectOptions;
}

/**
 * What faceEncodings does unless told otherwise (see docs/accuracy.md): the
 * dlib-aligned chip averaged with its mirror image. Adding face-api's crop scored
 * higher on LFW's upright faces but matched different people on tilted ones.
 */
export const DEFAULT_ENCODE_OPTIONS: Readonly<Required<EncodeOptions>> = { alignment: 'dlib', numJitters: 1, flip: true };

function encodeOptions(options: EncodeOptions) {
  return {
    alignment: checkChoice('alignment', options.alignment ?? DEFAULT_ENCODE_OPTIONS.alignment, ['dlib', 'face-api', 'dlib+face-api'] as const),
    numJitters: checkNumber('numJitters', options.numJitters ?? DEFAULT_ENCODE_OPTIONS.numJitters, { min: 1, max: 100, integer: true }),
    flip: options.flip ?? DEFAULT_ENCODE_OPTIONS.flip,
  };
}

function checkBoxes(boxes: readonly FaceBox[]): void {
  if (!Array.isArray(boxes)) throw invalidArgument('faceLocations', 'an array of {top, right, bottom, left} boxes', boxes);
  boxes.forEach((b, i) => {
    const ok = b && [b.top, b.right, b.bottom, b.left].every((v) => typeof v === 'number' && Number.isFinite(v)) && b.right > b.left && b.bottom > b.top;
    if (!ok) throw invalidArgument(`faceLocations[${i}]`, 'a box with finite top < bottom and left < right', JSON.stringify(b));
  });
}
