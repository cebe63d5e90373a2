/**
 * Face detection with face-api's two detectors, converted to ONNX:
 *
 * - `accurate`: SSD-MobileNetV1 at its fixed 512×512 input.
 * - `fast`: the Tiny face detector at `inputSize` (default 416, any multiple of 32).
 *
 * With default options (`upsample: 1`) a detection is exactly face-api's:
 * same padded-square input, same normalisation, same score threshold, NMS and
 * box mapping (see the decode modules). On top of that we clip boxes to the
 * image, drop boxes below `minFaceSize`, sort by score (then top, left) and cut
 * at `maxFaces`.
 *
 * Small faces (`upsample: m`, an integer 1–4):
 * - `fast`: runs the net at `m × inputSize` — one pass, nothing else changes.
 * - `accurate`: the SSD input cannot grow, so besides the usual whole-image
 *   pass the padded square of side S is covered by (m+1)×(m+1) overlapping
 *   square tiles of side S/m (adjacent tiles overlap by S/m², half a tile at
 *   m=2), each resized to 512 — i.e. the image seen m times larger. Tile boxes
 *   that touch an inner tile edge are dropped (likely a cut face; a face that
 *   small sits wholly in a neighbouring tile), and all boxes are merged by
 *   greedy NMS at IoU 0.5 (face-api's SSD threshold). Cost: 1 + (m+1)² forward
 *   passes (10 at m=2). Results then differ from face-api by design.
 */
import { loadConvertedModel } from '../models/model-cache.js';
import { loadTfjsWeights } from '../models/tfjs-weights.js';
import { OnnxSession, type TensorData } from '../runtime/onnx-session.js';
import type { FaceDetection, RgbImage } from '../types.js';
import { mergeDetections } from './nms.js';
import { prepareInput, type Normalisation, type Window } from './preprocess.js';
import { SSD_INPUT_SIZE, ssdMobilenetV1Converter } from './ssd-mobilenet-v1/graph.js';
import {
  decodeSsd,
  locateSsdFaces,
  locateSsdFacesInWindow,
  SSD_DEFAULT_MIN_SCORE,
  SSD_IOU_THRESHOLD,
  ssdAnchors,
  type SsdAnchors,
} from './ssd-mobilenet-v1/decode.js';
import { TINY_MEAN_RGB, tinyFaceDetectorConverter } from './tiny-face-detector/graph.js';
import { locateTinyFaces, TINY_DEFAULT_INPUT_SIZE, TINY_DEFAULT_SCORE_THRESHOLD } from './tiny-face-detector/decode.js';

import { FacerecError } from '../errors.js';

export type DetectorKind = 'fast' | 'accurate';
export const DETECTOR_KINDS: readonly DetectorKind[] = ['fast', 'accurate'];

export interface FaceDetectorCreateOptions {
  /** ONNX Runtime intra-op threads for one inference; 1 (default) suits worker pools, 0 lets ORT use all cores. */
  threads?: number;
}

export interface DetectOptions {
  /** Keep faces scoring strictly above this, 0 < minScore < 1. Default 0.5 (face-api's default for both nets). */
  minScore?: number;
  /** Drop faces whose clipped box has a shorter side below this many pixels. Default 0. */
  minFaceSize?: number;
  /** `fast` only: net input side, a multiple of 32 from 32 to 4096 (default 416). `accurate` accepts only 512. */
  inputSize?: number;
  /** Return at most this many faces (the best-scoring ones). Default: all. */
  maxFaces?: number;
  /** Look for smaller faces, integer 1–4 (default 1 = face-api's behaviour); see the module comment. */
  upsample?: number;
  /**
   * `accurate` only — find faces that fill most of the frame (close-ups, passport
   * crops), which SSD under-scores: a second pass sees the image centred in a
   * canvas twice its size. 'auto' (default) runs it only when the normal pass
   * found no face; 'always' on every image; 'never' keeps face-api's behaviour.
   */
  zoomOut?: ZoomOut;
}

export const ZOOM_OUT_MODES = ['auto', 'always', 'never'] as const;
export type ZoomOut = (typeof ZOOM_OUT_MODES)[number];

export interface ResolvedDetectOptions {
  minScore: number;
  minFaceSize: number;
  inputSize: number;
  maxFaces: number;
  upsample: number;
  zoomOut: ZoomOut;
}

/** One forward pass of a detection: the net input size and the image window it sees. */
export interface DetectionPass {
  inputSize: number;
  /** Square window of the image; for the whole-image pass it is face-api's padded square. */
  window: Window;
  /** True for the whole-image pass, which maps boxes back exactly as face-api does. */
  whole: boolean;
}

export interface PreparedInput {
  pass: DetectionPass;
  /** NCHW float32 [1,3,inputSize,inputSize]. */
  tensor: TensorData;
}

export interface StageTimings {
  preprocessMs: number;
  forwardMs: number;
  postprocessMs: number;
  passes: number;
}

const OPTION_NAMES = ['minScore', 'minFaceSize', 'inputSize', 'maxFaces', 'upsample', 'zoomOut'] as const;
const MAX_INPUT_SIZE = 4096;
const MAX_UPSAMPLE = 4;

function describe(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

/** Checks an image's shape and buffer before any work is done on it. */
export function validateImage(image: RgbImage): void {
  const where = image?.source ? ` (${image.source})` : '';
  if (!image || typeof image !== 'object') throw new FacerecError('INVALID_ARGUMENT', `detect: expected an RgbImage {width, height, data}, got ${describe(image)}`);
  const { width, height, data } = image;
  if (!Number.isInteger(width) || width <= 0 || !Number.isInteger(height) || height <= 0) {
    throw new FacerecError('INVALID_ARGUMENT', `detect: image${where} width and height must be positive integers, got ${describe(width)}×${describe(height)}`);
  }
  if (!(data instanceof Uint8Array) || data.length !== width * height * 3) {
    throw new FacerecError('INVALID_ARGUMENT', `detect: image${where} data must be a Uint8Array of width×height×3 = ${width * height * 3} RGB bytes, got ${data instanceof Uint8Array ? data.length : describe(data)}`);
  }
}

/** Unknown names always throw: there is no silent fallback to another detector. */
export function parseDetectorKind(kind: unknown): DetectorKind {
  if (kind === 'fast' || kind === 'accurate') return kind;
  throw new FacerecError('INVALID_ARGUMENT', `Unknown detector ${describe(kind)}: expected "fast" or "accurate"`);
}

/** Validates detect options for `kind` and fills in defaults; throws a sentence naming the bad option. */
export function resolveDetectOptions(kind: DetectorKind, options: DetectOptions = {}): ResolvedDetectOptions {
  if (options === null || typeof options !== 'object') throw new FacerecError('INVALID_ARGUMENT', `detect options must be an object, got ${describe(options)}`);
  for (const key of Object.keys(options)) {
    if (!(OPTION_NAMES as readonly string[]).includes(key)) {
      throw new FacerecError('INVALID_ARGUMENT', `Unknown detect option "${key}": expected one of ${OPTION_NAMES.join(', ')}`);
    }
  }
  const { minScore, minFaceSize, inputSize, maxFaces, upsample } = options;
  if (minScore !== undefined && !(typeof minScore === 'number' && minScore > 0 && minScore < 1)) {
    throw new FacerecError('INVALID_ARGUMENT', `minScore must be a number greater than 0 and less than 1, got ${describe(minScore)}`);
  }
  if (minFaceSize !== undefined && !(typeof minFaceSize === 'number' && Number.isFinite(minFaceSize) && minFaceSize >= 0)) {
    throw new FacerecError('INVALID_ARGUMENT', `minFaceSize must be a finite number of pixels, 0 or more, got ${describe(minFaceSize)}`);
  }
  if (maxFaces !== undefined && !(typeof maxFaces === 'number' && Number.isInteger(maxFaces) && maxFaces >= 1)) {
    throw new FacerecError('INVALID_ARGUMENT', `maxFaces must be a positive integer, got ${describe(maxFaces)}`);
  }
  if (upsample !== undefined && !(typeof upsample === 'number' && Number.isInteger(upsample) && upsample >= 1 && upsample <= MAX_UPSAMPLE)) {
    throw new FacerecError('INVALID_ARGUMENT', `upsample must be an integer from 1 to ${MAX_UPSAMPLE}, got ${describe(upsample)}`);
  }
  const zoomOut = options.zoomOut ?? 'auto';
  if (!(ZOOM_OUT_MODES as readonly unknown[]).includes(zoomOut)) {
    throw new FacerecError('INVALID_ARGUMENT', `zoomOut must be one of ${ZOOM_OUT_MODES.map((m) => `"${m}"`).join(', ')}, got ${describe(zoomOut)}`);
  }
  const up = upsample ?? 1;
  let size: number;
  if (kind === 'accurate') {
    if (inputSize !== undefined && inputSize !== SSD_INPUT_SIZE) {
      throw new FacerecError('INVALID_ARGUMENT', `inputSize is fixed at ${SSD_INPUT_SIZE} for the "accurate" detector, got ${describe(inputSize)}; use upsample to find smaller faces`);
    }
    size = SSD_INPUT_SIZE;
  } else {
    if (inputSize !== undefined && !(typeof inputSize === 'number' && Number.isInteger(inputSize) && inputSize % 32 === 0 && inputSize >= 32 && inputSize <= MAX_INPUT_SIZE)) {
      throw new FacerecError('INVALID_ARGUMENT', `inputSize must be a multiple of 32 from 32 to ${MAX_INPUT_SIZE}, got ${describe(inputSize)}`);
    }
    size = (inputSize ?? TINY_DEFAULT_INPUT_SIZE) * up;
    if (size > MAX_INPUT_SIZE) throw new FacerecError('INVALID_ARGUMENT', `inputSize × upsample must be at most ${MAX_INPUT_SIZE}, got ${inputSize ?? TINY_DEFAULT_INPUT_SIZE} × ${up} = ${size}`);
  }
  return {
    minScore: minScore ?? (kind === 'accurate' ? SSD_DEFAULT_MIN_SCORE : TINY_DEFAULT_SCORE_THRESHOLD),
    minFaceSize: minFaceSize ?? 0,
    inputSize: size,
    maxFaces: maxFaces ?? Infinity,
    upsample: up,
    zoomOut,
  };
}

/** The forward passes a detection needs (see the module comment for upsampling). */
export function planPasses(kind: DetectorKind, width: number, height: number, opts: ResolvedDetectOptions): DetectionPass[] {
  const side = Math.max(width, height);
  const passes: DetectionPass[] = [{ inputSize: opts.inputSize, window: { x: 0, y: 0, size: side }, whole: true }];
  const m = opts.upsample;
  if (kind === 'accurate' && m > 1) {
    const tile = side / m;
    const step = (side - tile) / m; // m+1 tiles per axis, overlapping by side/m²
    for (let ty = 0; ty <= m; ty++) {
      for (let tx = 0; tx <= m; tx++) {
        const window = { x: Math.round(tx * step), y: Math.round(ty * step), size: Math.round(tile) };
        // Tiles wholly inside face-api's padding (right/bottom) see no image: skip them.
        if (window.x >= width || window.y >= height) continue;
        passes.push({ inputSize: SSD_INPUT_SIZE, window, whole: false });
      }
    }
  }
  return passes;
}

/** Drops tile detections that touch an inner tile edge: they are likely faces cut by the tile. */
function touchesInnerEdge(d: FaceDetection, w: Window, width: number, height: number): boolean {
  const eps = 0.01 * w.size;
  const b = d.box;
  return (
    (w.x > 0 && b.left <= w.x + eps) ||
    (w.y > 0 && b.top <= w.y + eps) ||
    (w.x + w.size < width && b.right >= w.x + w.size - eps) ||
    (w.y + w.size < height && b.bottom >= w.y + w.size - eps)
  );
}

/** Our additions to face-api's output: clip to the image, minFaceSize, deterministic order, maxFaces. */
export function finalizeDetections(faces: readonly FaceDetection[], width: number, height: number, opts: Pick<ResolvedDetectOptions, 'minFaceSize' | 'maxFaces'>): FaceDetection[] {
  const out: FaceDetection[] = [];
  for (const f of faces) {
    const box = {
      top: Math.max(0, f.box.top),
      right: Math.min(width, f.box.right),
      bottom: Math.min(height, f.box.bottom),
      left: Math.max(0, f.box.left),
    };
    const w = box.right - box.left;
    const h = box.bottom - box.top;
    if (!(w > 0 && h > 0)) continue;
    if (Math.min(w, h) < opts.minFaceSize) continue;
    out.push({ box, score: f.score });
  }
  out.sort((a, b) => b.score - a.score || a.box.top - b.box.top || a.box.left - b.box.left);
  return out.length > opts.maxFaces ? out.slice(0, opts.maxFaces) : out;
}

const now = (): number => performance.now();

export class FaceDetector {
  private constructor(
    readonly kind: DetectorKind,
    private readonly session: OnnxSession,
    private readonly anchors: SsdAnchors | undefined,
  ) {}

  /** Loads (converting on first use, then from the model cache) the `accurate` (SSD) or `fast` (Tiny) detector. */
  static async create(kind: DetectorKind, options: FaceDetectorCreateOptions = {}): Promise<FaceDetector> {
    const k = parseDetectorKind(kind);
    if (options === null || typeof options !== 'object') throw new FacerecError('INVALID_ARGUMENT', `FaceDetector options must be an object, got ${describe(options)}`);
    for (const key of Object.keys(options)) {
      if (key !== 'threads') throw new FacerecError('INVALID_ARGUMENT', `Unknown FaceDetector option "${key}": expected threads`);
    }
    const threads = options.threads;
    if (threads !== undefined && !(typeof threads === 'number' && Number.isInteger(threads) && threads >= 0)) {
      throw new FacerecError('INVALID_ARGUMENT', `threads must be a non-negative integer (0 lets ONNX Runtime choose), got ${describe(threads)}`);
    }
    const converter = k === 'accurate' ? ssdMobilenetV1Converter : tinyFaceDetectorConverter;
    const { bytes } = loadConvertedModel(converter);
    const anchors = k === 'accurate' ? ssdAnchors(loadTfjsWeights('ssd_mobilenetv1').get('Output/extra_dim').data) : undefined;
    const session = await OnnxSession.create(converter.model, bytes, { threads: threads ?? 1 });
    return new FaceDetector(k, session, anchors);
  }

  private get normalisation(): Normalisation {
    return this.kind === 'accurate' ? { kind: 'ssd' } : { kind: 'mean', mean: TINY_MEAN_RGB };
  }

  /** Validates and fills in options (throws on bad values). */
  resolveOptions(options?: DetectOptions): ResolvedDetectOptions {
    return resolveDetectOptions(this.kind, options);
  }

  /** The forward passes `detect` would run for this image. */
  plan(image: RgbImage, opts: ResolvedDetectOptions): DetectionPass[] {
    return planPasses(this.kind, image.width, image.height, opts);
  }

  /** Stage 1: the net input tensor for one pass (pad, resize, normalise in one sweep). */
  preprocess(image: RgbImage, pass: DetectionPass): PreparedInput {
    const s = pass.inputSize;
    return { pass, tensor: { data: prepareInput(image, s, this.normalisation, pass.window), dims: [1, 3, s, s] } };
  }

  /** Stage 2: the network itself (ONNX Runtime). */
  async forward(input: PreparedInput): Promise<Record<string, TensorData>> {
    return this.session.run({ image: input.tensor });
  }

  /** Stage 3a: face-api's post-processing for one pass — boxes in image pixels, not yet clipped or sorted. */
  decode(raw: Record<string, TensorData>, image: RgbImage, pass: DetectionPass, opts: ResolvedDetectOptions): FaceDetection[] {
    if (this.kind === 'accurate') {
      const heads = [0, 1, 2, 3, 4, 5].map((i) => raw[`head${i}`]!);
      const decoded = decodeSsd(heads, this.anchors!, opts.minScore);
      if (pass.whole) return locateSsdFaces(decoded, opts.minScore, image.width, image.height);
      return locateSsdFacesInWindow(decoded, opts.minScore, pass.window).filter((d) => !touchesInnerEdge(d, pass.window, image.width, image.height));
    }
    return locateTinyFaces(raw['grid']!, pass.inputSize, opts.minScore, image.width, image.height);
  }

  /** Stage 3b: merge passes (when upsampling), then clip, filter, sort and cut. */
  finalize(perPass: readonly FaceDetection[][], image: RgbImage, opts: ResolvedDetectOptions): FaceDetection[] {
    const all = perPass.length === 1 ? perPass[0]! : mergeDetections(perPass.flat(), SSD_IOU_THRESHOLD);
    return finalizeDetections(all, image.width, image.height, opts);
  }

  /** Detects faces; boxes in pixels of `image`, best first. */
  async detect(image: RgbImage, options?: DetectOptions): Promise<FaceDetection[]> {
    return (await this.detectWithTimings(image, options)).faces;
  }

  /** `detect`, also reporting the time spent in each stage (summed over passes). */
  async detectWithTimings(image: RgbImage, options?: DetectOptions): Promise<{ faces: FaceDetection[]; timings: StageTimings }> {
    const opts = this.resolveOptions(options);
    validateImage(image);
    const timings: StageTimings = { preprocessMs: 0, forwardMs: 0, postprocessMs: 0, passes: 0 };
    const perPass: FaceDetection[][] = [];
    for (const pass of this.plan(image, opts)) {
      const t0 = now();
      const input = this.preprocess(image, pass);
      const t1 = now();
      const raw = await this.forward(input);
      const t2 = now();
      perPass.push(this.decode(raw, image, pass, opts));
      timings.preprocessMs += t1 - t0;
      timings.forwardMs += t2 - t1;
      timings.postprocessMs += now() - t2;
      timings.passes++;
    }
    const needZoomOut = this.kind === 'accurate' && (opts.zoomOut === 'always' || (opts.zoomOut === 'auto' && perPass.every((p) => p.length === 0)));
    if (needZoomOut) {
      // The image centred in a zero canvas twice its size: a large face then looks like the mid-sized faces SSD scores well.
      const side = 2 * Math.max(image.width, image.height);
      const pass: DetectionPass = { inputSize: SSD_INPUT_SIZE, window: { x: Math.floor((image.width - side) / 2), y: Math.floor((image.height - side) / 2), size: side }, whole: false };
      const t0 = now();
      const input = this.preprocess(image, pass);
      const t1 = now();
      const raw = await this.forward(input);
      const t2 = now();
      const heads = [0, 1, 2, 3, 4, 5].map((i) => raw[`head${i}`]!);
      perPass.push(locateSsdFacesInWindow(decodeSsd(heads, this.anchors!, opts.minScore), opts.minScore, pass.window));
      timings.preprocessMs += t1 - t0;
      timings.forwardMs += t2 - t1;
      timings.postprocessMs += now() - t2;
      timings.passes++;
    }
    const t3 = now();
    const faces = this.finalize(perPass, image, opts);
    timings.postprocessMs += now() - t3;
    return { faces, timings };
  }

  /** Frees the native session. */
  async dispose(): Promise<void> {
    await this.session.dispose();
  }
}
