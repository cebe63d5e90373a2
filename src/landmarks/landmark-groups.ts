/**
 * Named landmark groups in face_recognition's terms, so results can be
 * compared key by key with the Python library's `face_landmarks()`.
 *
 * Points are in the iBUG-300W 68-point order that both dlib's
 * shape_predictor_68_face_landmarks and face-api's landmark nets use.
 * "left"/"right" follow face_recognition (and face-api): `left_eye` is
 * points 36–41, the eye on the image's left (the person's right eye).
 */
import type { Point } from '../types.js';

/** The keys of face_recognition's `face_landmarks(model='large')`, in its order. */
export const LANDMARK_GROUP_NAMES = [
  'chin',
  'left_eyebrow',
  'right_eyebrow',
  'nose_bridge',
  'nose_tip',
  'left_eye',
  'right_eye',
  'top_lip',
  'bottom_lip',
] as const;
export type LandmarkGroupName = (typeof LANDMARK_GROUP_NAMES)[number];
export type FaceLandmarkGroups = Record<LandmarkGroupName, Point[]>;

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

/**
 * Which of the 68 points make up each group, exactly as face_recognition's
 * `face_landmarks()` slices them — including its lips, which each run around
 * the outer edge and come back along the inner edge:
 * top_lip = 48–54 + 64, 63, 62, 61, 60; bottom_lip = 54–59 + 48, 60, 67, 66, 65, 64.
 */
export const LANDMARK_GROUP_INDICES: Readonly<Record<LandmarkGroupName, readonly number[]>> = {
  chin: range(0, 17),
  left_eyebrow: range(17, 22),
  right_eyebrow: range(22, 27),
  nose_bridge: range(27, 31),
  nose_tip: range(31, 36),
  left_eye: range(36, 42),
  right_eye: range(42, 48),
  top_lip: [...range(48, 55), 64, 63, 62, 61, 60],
  bottom_lip: [...range(54, 60), 48, 60, 67, 66, 65, 64],
};

function check68(points: readonly Point[]): void {
  if (points.length !== 68) throw new Error(`expected the 68 landmarks of one face, got ${points.length} points`);
}

/** face_recognition's `face_landmarks(model='large')` dictionary for one face's 68 points. */
export function toLandmarkGroups(points: readonly Point[]): FaceLandmarkGroups {
  check68(points);
  const groups = {} as FaceLandmarkGroups;
  for (const name of LANDMARK_GROUP_NAMES) groups[name] = LANDMARK_GROUP_INDICES[name].map((i) => ({ ...points[i]! }));
  return groups;
}

/**
 * The 68-point indices standing in for dlib's 5-point model
 * (shape_predictor_5_face_landmarks), in its order:
 * 0 = 45 outer corner and 1 = 42 inner corner of face_recognition's `right_eye`,
 * 2 = 36 outer corner and 3 = 39 inner corner of its `left_eye`,
 * 4 = 33 the base of the nose (middle of the nostrils).
 * These are also the source points of dlib's 5-point face-chip template
 * (`get_face_chip_details`), i.e. what alignment maps onto the template.
 */
export const FIVE_POINT_INDICES = [45, 42, 36, 39, 33] as const;

/** The five alignment source indices 45, 42, 36, 39, 33 (dlib 5-point / face-chip template order). */
export function fivePointSourceIndices(): readonly number[] {
  return FIVE_POINT_INDICES;
}

/** One face's 5 points in dlib's 5-point order (see `FIVE_POINT_INDICES`), taken from its 68. */
export function toFivePoints(points: readonly Point[]): Point[] {
  check68(points);
  return FIVE_POINT_INDICES.map((i) => ({ ...points[i]! }));
}

export type SmallFaceLandmarkGroups = { nose_tip: Point[]; left_eye: Point[]; right_eye: Point[] };

/**
 * face_recognition's `face_landmarks(model='small')` dictionary, built from
 * the 5 points as it does: nose_tip = [p4], left_eye = [p2, p3], right_eye = [p0, p1]
 * — i.e. nose_tip [33], left_eye [36, 39], right_eye [45, 42] of the 68.
 */
export function toSmallLandmarkGroups(points: readonly Point[]): SmallFaceLandmarkGroups {
  const [p0, p1, p2, p3, p4] = toFivePoints(points) as [Point, Point, Point, Point, Point];
  return { nose_tip: [p4], left_eye: [p2, p3], right_eye: [p0, p1] };
}
