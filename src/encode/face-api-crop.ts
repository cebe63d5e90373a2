/**
 * face-api's own chip for `withFaceDescriptors()`: an axis-aligned box from
 * the landmarks (`FaceLandmarks.align(null, { useDlibAlignment: true })`), cut
 * out by `extractFaceTensors` (clipped at the image borders), zero-padded to a
 * centred square and resized to 150×150 with tfjs's resizeBilinear. Same
 * arithmetic step for step, so descriptors match face-api's.
 */
import { padToSquare, resizeBilinear } from '../image/resize.js';
import type { Point, RgbImage } from '../types.js';
import { CHIP_SIZE, assertFaceInputs, type FaceChip } from './chip.js';

export interface PixelBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

// face-api's alignment constants (classes/FaceLandmarks.ts)
const REL_X = 0.5;
const REL_Y = 0.43;
const REL_SCALE = 0.45;

/** face-api's getCenterPoint: a running sum from (0,0), then a division. */
function centre(points: readonly Point[]): Point {
  let x = 0;
  let y = 0;
  for (const p of points) {
    x += p.x;
    y += p.y;
  }
  return { x: x / points.length, y: y / points.length };
}

/**
 * The box face-api's `alignDlib()` makes from 68 landmarks (image pixels).
 * face-api also caps width/height at `landmarkImage.width + x`, where
 * landmarkImage is the crop the landmark net saw; that cap only binds for a
 * face whose box starts at the image's left/top edge, and is not reproduced.
 */
export function faceApiAlignedBox(landmarks: readonly Point[]): PixelBox {
  const leftEye = centre(landmarks.slice(36, 42));
  const rightEye = centre(landmarks.slice(42, 48));
  const mouth = centre(landmarks.slice(48, 68));
  const distToMouth = (p: Point) => Math.sqrt((mouth.x - p.x) ** 2 + (mouth.y - p.y) ** 2);
  const eyeToMouth = (distToMouth(leftEye) + distToMouth(rightEye)) / 2;
  const size = Math.floor(eyeToMouth / REL_SCALE);
  const ref = centre([leftEye, rightEye, mouth]);
  const x = Math.floor(Math.max(0, ref.x - REL_X * size));
  const y = Math.floor(Math.max(0, ref.y - REL_Y * size));
  return { x, y, width: size, height: size };
}

/** face-api's `Box.clipAtImageBorders` (which floors its result). */
export function clipAtImageBorders(box: PixelBox, imageWidth: number, imageHeight: number): PixelBox {
  const clippedX = Math.max(box.x, 0);
  const clippedY = Math.max(box.y, 0);
  const newWidth = box.x + box.width - clippedX;
  const newHeight = box.y + box.height - clippedY;
  return {
    x: Math.floor(clippedX),
    y: Math.floor(clippedY),
    width: Math.floor(Math.min(newWidth, imageWidth - clippedX)),
    height: Math.floor(Math.min(newHeight, imageHeight - clippedY)),
  };
}

/** Cuts `box` (integer, inside the image) out of an RGB image, centre-pads it square and resizes it to a chip. */
export function boxToChip(image: RgbImage, box: PixelBox): FaceChip {
  const { x, y, width, height } = box;
  const crop = new Float32Array(width * height * 3);
  for (let r = 0; r < height; r++) {
    const src = ((y + r) * image.width + x) * 3;
    for (let i = 0; i < width * 3; i++) crop[r * width * 3 + i] = image.data[src + i]!;
  }
  const square = padToSquare(crop, width, height, 3, true);
  if (square.size === CHIP_SIZE) return square.data;
  return resizeBilinear(square.data, square.size, square.size, 3, CHIP_SIZE, CHIP_SIZE);
}

/** face-api's descriptor chip for one face (the parity path). */
export function faceApiCrop(image: RgbImage, landmarks: readonly Point[]): FaceChip {
  assertFaceInputs(image, landmarks, 'faceApiCrop');
  const box = clipAtImageBorders(faceApiAlignedBox(landmarks), image.width, image.height);
  if (box.width <= 0 || box.height <= 0) {
    throw new Error(`faceApiCrop: the face box from these landmarks lies outside the ${image.width}×${image.height} image`);
  }
  return boxToChip(image, box);
}
