import { tfjsWeightsSha256 } from '../models/tfjs-weights.js';
import type { Alignment } from './face-encoder.js';

let weightsSha: string | undefined;

/**
 * Names the embedding space a face encoding lives in: the encoder weights (by
 * hash) and the chip alignment (and flip averaging). Encodings with different ids
 * are not comparable, so a gallery refuses to mix them.
 * Example: `dlib-resnet128:c2cf51e4:dlib+flip`.
 */
export function embeddingModelId(options: { alignment: Alignment; flip: boolean }): string {
  weightsSha ??= tfjsWeightsSha256('face_recognition').slice(0, 8);
  return `dlib-resnet128:${weightsSha}:${options.alignment}${options.flip ? '+flip' : ''}`;
}
