/**
 * SORT-like face tracking: each track predicts its box with a constant velocity
 * (centre and size, smoothed by an alpha-beta filter instead of SORT's Kalman
 * filter), detections are associated to the predicted boxes greedily by IoU
 * (highest first, at least `minIou`), an unmatched detection starts a new track
 * and a track unmatched for more than `maxMissed` detection rounds ends.
 *
 * Between detection rounds (`--every N`) the caller only calls predict(): boxes
 * glide along their velocity, so annotations keep up with moving faces.
 */
import type { FaceBox, FaceDetection } from '../types.js';

export interface Track {
  readonly id: number;
  /** The current box: the matched detection, or the prediction between/after detections. */
  box: FaceBox;
  /** Velocity in pixels per frame: centre x, centre y, width, height. */
  vx: number;
  vy: number;
  vw: number;
  vh: number;
  /** Detections matched so far. */
  hits: number;
  /** Detection rounds in a row without a match (0 = matched in the last round). */
  missed: number;
  /** Score of the last matched detection. */
  score: number;
  /** Frame index of the last matched detection. */
  lastDetectedFrame: number;
  readonly firstFrame: number;
}

export interface TrackerOptions {
  /** Least IoU between a predicted box and a detection to associate them (default 0.3, SORT's). */
  minIou?: number;
  /** A track ends after this many detection rounds in a row without a match (default 10). */
  maxMissed?: number;
  /** Velocity smoothing: the share of the newly measured velocity (0–1, default 0.5). */
  velocityGain?: number;
}

export interface TrackUpdate {
  /** Tracks matched in this round, with the detection each got. */
  matched: { track: Track; detection: FaceDetection }[];
  /** Tracks started from unmatched detections. */
  created: Track[];
  /** Tracks that ended in this round (missed too often); no longer in `tracks`. */
  ended: Track[];
}

export function iou(a: FaceBox, b: FaceBox): number {
  const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
  const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  const union = (a.right - a.left) * (a.bottom - a.top) + (b.right - b.left) * (b.bottom - b.top) - inter;
  return union > 0 ? inter / union : 0;
}

const centre = (b: FaceBox) => ({ x: (b.left + b.right) / 2, y: (b.top + b.bottom) / 2, w: b.right - b.left, h: b.bottom - b.top });
const fromCentre = (x: number, y: number, w: number, h: number): FaceBox => ({ top: y - h / 2, right: x + w / 2, bottom: y + h / 2, left: x - w / 2 });

export class FaceTracker {
  readonly minIou: number;
  readonly maxMissed: number;
  readonly velocityGain: number;
  #tracks: Track[] = [];
  #nextId = 1;
  #frame = -1;

  constructor(options: TrackerOptions = {}) {
    this.minIou = options.minIou ?? 0.3;
    this.maxMissed = options.maxMissed ?? 10;
    this.velocityGain = options.velocityGain ?? 0.5;
  }

  /** Live tracks, oldest first. */
  get tracks(): readonly Track[] {
    return this.#tracks;
  }

  /** Advances every track by one frame along its velocity. Call once per frame, before update(). */
  predict(frame: number): void {
    const steps = this.#frame < 0 ? 0 : frame - this.#frame;
    this.#frame = frame;
    if (steps <= 0) return;
    for (const t of this.#tracks) {
      const c = centre(t.box);
      const w = Math.max(1, c.w + t.vw * steps);
      const h = Math.max(1, c.h + t.vh * steps);
      t.box = fromCentre(c.x + t.vx * steps, c.y + t.vy * steps, w, h);
    }
  }

  /** Associates this frame's detections with the (predicted) tracks. */
  update(detections: readonly FaceDetection[]): TrackUpdate {
    const frame = this.#frame;
    const pairs: { t: number; d: number; iou: number }[] = [];
    this.#tracks.forEach((track, t) =>
      detections.forEach((det, d) => {
        const v = iou(track.box, det.box);
        if (v >= this.minIou) pairs.push({ t, d, iou: v });
      }),
    );
    // Greedy: best overlap first (ties: older track, better detection); each side used once.
    pairs.sort((a, b) => b.iou - a.iou || a.t - b.t || a.d - b.d);
    const usedT = new Set<number>();
    const usedD = new Set<number>();
    const matched: TrackUpdate['matched'] = [];
    for (const p of pairs) {
      if (usedT.has(p.t) || usedD.has(p.d)) continue;
      usedT.add(p.t);
      usedD.add(p.d);
      const track = this.#tracks[p.t]!;
      const detection = detections[p.d]!;
      this.#correct(track, detection, frame);
      matched.push({ track, detection });
    }
    const ended: Track[] = [];
    const kept: Track[] = [];
    this.#tracks.forEach((track, t) => {
      if (!usedT.has(t) && ++track.missed > this.maxMissed) ended.push(track);
      else kept.push(track);
    });
    const created: Track[] = [];
    detections.forEach((det, d) => {
      if (usedD.has(d)) return;
      const track: Track = { id: this.#nextId++, box: { ...det.box }, vx: 0, vy: 0, vw: 0, vh: 0, hits: 1, missed: 0, score: det.score, lastDetectedFrame: frame, firstFrame: frame };
      created.push(track);
      kept.push(track);
    });
    this.#tracks = kept;
    return { matched, created, ended };
  }

  /** Ends every live track (end of the video) and returns them. */
  flush(): Track[] {
    const all = this.#tracks;
    this.#tracks = [];
    return all;
  }

  #correct(track: Track, detection: FaceDetection, frame: number): void {
    const before = centre(track.box);
    const measured = centre(detection.box);
    const dt = Math.max(1, frame - track.lastDetectedFrame);
    // The residual against the prediction refines the velocity (alpha-beta filter, alpha = 1).
    const g = this.velocityGain / dt;
    track.vx += g * (measured.x - before.x);
    track.vy += g * (measured.y - before.y);
    track.vw += g * (measured.w - before.w);
    track.vh += g * (measured.h - before.h);
    track.box = { ...detection.box };
    track.hits++;
    track.missed = 0;
    track.score = detection.score;
    track.lastDetectedFrame = frame;
  }
}
