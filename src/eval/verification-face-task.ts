/**
 * Per-image work of a verification benchmark (LFW-style: one person per photo):
 * find the subject's face, then encode it under several encoding variants so
 * they can be compared on identical detections and landmarks.
 */
import type { EncodeOptions, FaceRecognizer } from '../face-recognizer.js';
import { loadImage } from '../image/load-image.js';
import type { FaceBox, Point, RgbImage } from '../types.js';
import { faceQuality, type FaceQualityComponents } from '../quality/face-quality.js';

/**
 * How the subject's face was found:
 * - `detected`: a face scored at least the normal threshold (0.5);
 * - `low-score`: none did, but one scored at least `lowScoreThreshold` (the
 *   detector is known to under-score some clear frontal faces);
 * - `centre-box`: nothing at all; a fixed box in the image centre was used.
 */
export type SubjectSource = 'detected' | 'low-score' | 'centre-box';

export interface VerificationFaceOptions {
  variants: EncodeOptions[];
  /** Try faces scoring down to this when none reaches 0.5; 0 disables. Default 0.2. */
  lowScoreThreshold?: number;
  maxPixels?: number;
  /** Also measure the subject face's quality (src/quality), for quality curves. */
  quality?: boolean;
}

export interface VerificationFaceResult {
  file: string;
  source?: SubjectSource;
  score?: number;
  /** One encoding per requested variant. */
  encodings: Float32Array[];
  /** When source is 'low-score': the encodings the centre-box fallback would have given, to measure what the low-score rule gains. */
  centreBoxEncodings?: Float32Array[];
  /** When asked for: the subject face's quality score, components and reasons. */
  quality?: { score: number; components: FaceQualityComponents; reasons: string[] };
  error?: { code: string; message: string };
}

const NORMAL_THRESHOLD = 0.5;

function centreDistance(box: FaceBox, image: RgbImage): number {
  const cx = (box.left + box.right) / 2 - image.width / 2;
  const cy = (box.top + box.bottom) / 2 - image.height / 2;
  return Math.hypot(cx, cy);
}

/** A box covering the middle of the photo, shaped like a typical detector box (LFW faces sit centred). */
export function centreBox(image: RgbImage): FaceBox {
  const side = Math.min(image.width, image.height) * 0.45;
  const cx = image.width / 2;
  const cy = image.height / 2;
  return { top: cy - side / 2, bottom: cy + side / 2, left: cx - side / 2, right: cx + side / 2 };
}

async function encodeVariants(recognizer: FaceRecognizer, image: RgbImage, box: FaceBox, variants: readonly EncodeOptions[], onLandmarks?: (points: Point[]) => void): Promise<Float32Array[]> {
  const [landmarks] = (await recognizer.faceLandmarks(image, [box])).map((l) => l.points);
  onLandmarks?.(landmarks!);
  const out: Float32Array[] = [];
  for (const variant of variants) out.push((await recognizer.encodeLandmarks(image, [landmarks!], variant))[0]!);
  return out;
}

export async function runVerificationFaceTask(recognizer: FaceRecognizer, file: string, options: VerificationFaceOptions): Promise<VerificationFaceResult> {
  try {
    const image = await loadImage(file, { maxPixels: options.maxPixels });
    const lowest = options.lowScoreThreshold ?? 0.2;
    // Normal detection first (its zoom-out pass catches close-ups); only when it finds nothing, accept weaker faces.
    const strong = await recognizer.faceLocations(image, { minScore: NORMAL_THRESHOLD });
    const weak = strong.length === 0 && lowest > 0 ? await recognizer.faceLocations(image, { minScore: lowest, zoomOut: 'always' }) : [];
    const pool = strong.length > 0 ? strong : weak;
    let box: FaceBox;
    let source: SubjectSource;
    let score: number | undefined;
    if (pool.length > 0) {
      // The subject of a one-person photo: the face nearest the centre.
      const best = pool.reduce((a, b) => (centreDistance(b.box, image) < centreDistance(a.box, image) ? b : a));
      box = best.box;
      score = best.score;
      source = strong.length > 0 ? 'detected' : 'low-score';
    } else {
      box = centreBox(image);
      source = 'centre-box';
    }
    let quality: VerificationFaceResult['quality'];
    const encodings = await encodeVariants(recognizer, image, box, options.variants, (points) => {
      if (!options.quality || points.length !== 68) return;
      const q = faceQuality(image, box, points);
      quality = { score: q.score, components: q.components, reasons: q.reasons };
    });
    const centreBoxEncodings = source === 'low-score' ? await encodeVariants(recognizer, image, centreBox(image), options.variants) : undefined;
    return { file, source, score, encodings, centreBoxEncodings, ...(quality ? { quality } : {}) };
  } catch (err) {
    const e = err as Error & { code?: string };
    return { file, encodings: [], error: { code: e.code ?? 'INTERNAL', message: e.message } };
  }
}
