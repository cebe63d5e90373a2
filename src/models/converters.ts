/** Every model facerec converts, for `facerec models` and the install step. */
import { ssdMobilenetV1Converter, tinyFaceDetectorConverter } from '../detect/index.js';
import { faceLandmark68Converter, faceLandmark68TinyConverter } from '../landmarks/graph.js';
import { faceRecognitionConverter } from '../encode/resnet-graph.js';
import { ageGenderConverter, faceExpressionConverter } from '../attributes/graphs.js';
import type { ModelConverter } from './model-cache.js';

export const ALL_CONVERTERS: readonly ModelConverter[] = [
  ssdMobilenetV1Converter,
  tinyFaceDetectorConverter,
  faceLandmark68Converter,
  faceLandmark68TinyConverter,
  faceRecognitionConverter,
  ageGenderConverter,
  faceExpressionConverter,
];
