/** A decoded image: 8-bit RGB, row-major, no padding between rows. */
export interface RgbImage {
  width: number;
  height: number;
  /** width × height × 3 bytes, R G B. */
  data: Uint8Array;
  /** Where it came from (file path or a label), for error messages. */
  source?: string;
}

/** A face box in pixels, in face_recognition's (top, right, bottom, left) terms. */
export interface FaceBox {
  top: number;
  right: number;
  bottom: number;
  left: number;
}

export interface Point {
  x: number;
  y: number;
}

/** A detected face: its box and the detector's confidence (0..1). */
export interface FaceDetection {
  box: FaceBox;
  score: number;
}

/** A 128-number face encoding (dlib ResNet metric space: same person < 0.6 apart). */
export type FaceEncoding = Float32Array;
