export {
  FaceDetector,
  DETECTOR_KINDS,
  parseDetectorKind,
  resolveDetectOptions,
  planPasses,
  finalizeDetections,
  validateImage,
  type DetectorKind,
  type DetectOptions,
  type ResolvedDetectOptions,
  type FaceDetectorCreateOptions,
  type DetectionPass,
  type PreparedInput,
  type StageTimings,
} from './face-detector.js';
export { prepareInput, type Normalisation, type Window } from './preprocess.js';
export { ssdMobilenetV1Converter } from './ssd-mobilenet-v1/graph.js';
export { tinyFaceDetectorConverter } from './tiny-face-detector/graph.js';
