/**
 * One run over a video file, stream or camera:
 *
 *   ffmpeg decode → detect (every N frames) → track → encode new/stale tracks
 *   → vote identities → draw → ffmpeg encode / JPEG previews, events on track end.
 *
 * Faces are encoded per TRACK, not per frame: up to 3 times on a track's first
 * good detections, then once every `recheckSeconds`. Everything seen is flushed
 * as events when the input ends, fails or is stopped (signal), and the output
 * file is closed properly in every one of those cases.
 */
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { DEFAULT_ENCODE_OPTIONS, FaceRecognizer } from '../face-recognizer.js';
import type { DetectOptions } from '../detect/face-detector.js';
import { embeddingModelId } from '../encode/embedding-model-id.js';
import { galleryFaceIndex } from '../enroll/enroll.js';
import { checkChoice, checkNumber, FacerecError, invalidArgument } from '../errors.js';
import type { GalleryStore } from '../gallery/gallery-store.js';
import { FaceIndex } from '../match/face-index.js';
import type { FaceBox, RgbImage } from '../types.js';
import { inputKind, probeVideo, type VideoProbe } from './ffmpeg.js';
import { startDecoder, type FrameDecoder } from './frame-decoder.js';
import { FrameEncoder } from './frame-encoder.js';
import { drawMarks, faceCropJpeg, frameJpeg, KNOWN_RGB, LabelCache, PENDING_RGB, UNKNOWN_RGB, type FrameMark } from './frame-render.js';
import { candidatesOf, NO_IDENTITY, voteIdentity, type CandidateDistances, type TrackIdentity } from './track-identity.js';
import { FaceTracker, type Track } from './tracker.js';
import { personPresence } from './video-summary.js';

export interface VideoSessionOptions {
  /** File path, rtsp/http(s) URL or /dev/videoN. */
  input: string;
  gallery: { store: GalleryStore } | { index: FaceIndex; modelId: string } | null;
  /** Default 'fast'. Ignored when `recognizer` is given (its detector is used). */
  detector?: 'fast' | 'accurate';
  /** Run the detector every N frames (default 1); tracks are predicted in between. */
  every?: number;
  /** Default 'none'. 'unknown' also blurs faces not identified yet. */
  blur?: 'unknown' | 'all' | 'none';
  /** Default 0.6. */
  tolerance?: number;
  /** Annotated MP4 (fragmented: playable even if the run is cut short). */
  outPath?: string | null;
  /** events.jsonl (+ thumbnails in a folder beside it). */
  eventsPath?: string | null;
  /** Default: true for URLs/devices, false for files. */
  reconnect?: boolean;
  /** Shared recognizer (not disposed by the session). */
  recognizer?: FaceRecognizer;
  /** Stop: flush tracks, close output cleanly. */
  signal?: AbortSignal;
  /** jpeg only when wantJpeg. */
  onFrame?: (frame: { index: number; timestamp: number; width: number; height: number; jpeg?: Uint8Array; tracks: TrackSnapshot[] }) => void;
  /** Produce annotated JPEG previews for onFrame. */
  wantJpeg?: boolean | ((index: number) => boolean);
  onEvent?: (event: TrackEvent) => void;
  onProgress?: (p: { frames: number; fps: number; totalFrames: number | null; etaSeconds: number | null }) => void;
  /** Reconnects, warnings. */
  onLog?: (message: string) => void;
  /** First reconnect delay in ms (default 1000), doubled per failed attempt up to `reconnectMaxDelayMs` (default 30000). */
  reconnectDelayMs?: number;
  reconnectMaxDelayMs?: number;
  /** Seconds between re-checks of a track's identity (default 2). */
  recheckSeconds?: number;
  /** Smallest face side (px) worth encoding (default 40). */
  minEncodeSize?: number;
  /** Detector options (default: score > 0.5; `accurate` without its zoom-out second pass). */
  detectOptions?: DetectOptions;
}

export interface TrackSnapshot {
  trackId: number;
  box: FaceBox;
  person: string | null;
  distance: number | null;
  /** 'pending' until the track's first encoding, then 'known' or 'unknown'. */
  status?: 'pending' | 'known' | 'unknown';
}

export interface TrackEvent {
  trackId: number;
  person: string | null;
  firstTimestamp: number;
  lastTimestamp: number;
  framesSeen: number;
  bestDistance: number | null;
  thumbnailPath: string | null;
}

export interface VideoSummary {
  frames: number;
  seconds: number;
  fps: number;
  events: TrackEvent[];
  persons: { person: string | null; secondsOnScreen: number; tracks: number }[];
  error?: string;
}

/** Per-track bookkeeping beside the tracker's geometry. */
interface TrackState {
  firstTimestamp: number;
  lastTimestamp: number;
  framesSeen: number;
  confirmed: boolean;
  encodings: CandidateDistances[];
  lastEncodeTimestamp: number;
  identity: TrackIdentity;
  thumbnail: { jpeg: Buffer; quality: number } | null;
}

const INITIAL_ENCODINGS = 3;
/** Keeps the vote bounded on long tracks: the first encodings and the most recent ones. */
const MAX_ENCODINGS = 9;

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}

async function buildIndex(gallery: VideoSessionOptions['gallery'], modelId: string): Promise<FaceIndex> {
  if (gallery === null) return new FaceIndex({ modelId });
  if ('store' in gallery) return galleryFaceIndex(gallery.store, modelId);
  if (gallery.modelId !== modelId) {
    throw new FacerecError('MODEL_MISMATCH', `The gallery index holds faces of model ${gallery.modelId}, but video faces are encoded with ${modelId}; encodings of different models cannot be compared.`);
  }
  return gallery.index;
}

/** Events file (one JSON line per finished track, written at once) and thumbnails beside it. */
class EventSink {
  private constructor(
    readonly file: FileHandle | null,
    readonly thumbnailDir: string | null,
  ) {}
  static async open(eventsPath: string | null | undefined): Promise<EventSink> {
    if (!eventsPath) return new EventSink(null, null);
    await mkdir(dirname(eventsPath), { recursive: true });
    const thumbnailDir = join(dirname(eventsPath), `${basename(eventsPath, extname(eventsPath))}-thumbnails`);
    await mkdir(thumbnailDir, { recursive: true });
    try {
      return new EventSink(await open(eventsPath, 'w'), thumbnailDir);
    } catch (err) {
      throw new FacerecError('IO_ERROR', `Cannot write the events file "${eventsPath}": ${(err as Error).message}`);
    }
  }
  async write(event: TrackEvent, thumbnail: Buffer | null): Promise<TrackEvent> {
    let thumbnailPath: string | null = null;
    if (this.thumbnailDir && thumbnail) {
      thumbnailPath = join(this.thumbnailDir, `track-${String(event.trackId).padStart(6, '0')}.jpg`);
      const f = await open(thumbnailPath, 'w');
      await f.writeFile(thumbnail);
      await f.close();
    }
    const done = { ...event, thumbnailPath };
    if (this.file) {
      const { thumbnailPath: thumbnail, ...rest } = done;
      await this.file.write(`${JSON.stringify({ ...rest, thumbnail })}\n`);
    }
    return done;
  }
  async close(): Promise<void> {
    await this.file?.close();
  }
}

export async function runVideoSession(options: VideoSessionOptions): Promise<VideoSummary> {
  const { input, signal } = options;
  if (typeof input !== 'string' || input === '') throw invalidArgument('input', 'a video file path, a stream URL or /dev/videoN', input);
  const every = checkNumber('every', options.every ?? 1, { min: 1, max: 1000, integer: true });
  const blur = checkChoice('blur', options.blur ?? 'none', ['unknown', 'all', 'none'] as const);
  const tolerance = checkNumber('tolerance', options.tolerance ?? 0.6, { min: 0, max: 2 });
  const detectorName = checkChoice('detector', options.detector ?? 'fast', ['fast', 'accurate'] as const);
  const recheckSeconds = checkNumber('recheckSeconds', options.recheckSeconds ?? 2, { min: 0.1 });
  const minEncodeSize = checkNumber('minEncodeSize', options.minEncodeSize ?? 40, { min: 1 });
  const kind = inputKind(input);
  const live = kind !== 'file';
  const reconnect = options.reconnect ?? live;
  const log = options.onLog ?? (() => {});

  const probe: VideoProbe = await probeVideo(input);
  const modelId = embeddingModelId(DEFAULT_ENCODE_OPTIONS);
  const galleryIndex = await buildIndex(options.gallery, modelId);
  const recognizer = options.recognizer ?? (await FaceRecognizer.create({ detector: detectorName, threads: 2 }));
  const detectOptions: DetectOptions = { zoomOut: 'never', ...(options.detectOptions ?? {}) };
  if (recognizer.detectorKind !== 'accurate') delete detectOptions.zoomOut;

  const { width, height, fps } = probe;
  const tracker = new FaceTracker({ maxMissed: Math.max(2, Math.round((0.5 * fps) / every)) });
  const minHits = Math.max(1, Math.min(3, Math.round((0.1 * fps) / every)));
  const states = new Map<number, TrackState>();
  const labels = new LabelCache();
  const events: TrackEvent[] = [];
  let sink: EventSink | null = null;
  let encoder: FrameEncoder | null = null;
  let frames = 0;
  const started = performance.now();
  let lastProgress = 0;
  let error: string | undefined;

  const timestampOf = (index: number) => (live ? (performance.now() - started) / 1000 : index / fps);

  async function finishTracks(ended: readonly Track[]): Promise<void> {
    for (const track of ended) {
      const st = states.get(track.id);
      states.delete(track.id);
      if (!st?.confirmed) continue;
      const event = await sink!.write(
        {
          trackId: track.id,
          person: st.identity.person,
          firstTimestamp: round3(st.firstTimestamp),
          lastTimestamp: round3(st.lastTimestamp),
          framesSeen: st.framesSeen,
          bestDistance: st.identity.bestDistance === null || !Number.isFinite(st.identity.bestDistance) ? null : round4(st.identity.bestDistance),
          thumbnailPath: null,
        },
        st.thumbnail?.jpeg ?? null,
      );
      events.push(event);
      options.onEvent?.(event);
    }
  }

  async function processFrame(image: RgbImage, index: number): Promise<void> {
    const timestamp = timestampOf(index);
    tracker.predict(index);
    if (index % every === 0) {
      const detections = await recognizer.faceLocations(image, detectOptions);
      const update = tracker.update(detections);
      for (const t of update.created) {
        states.set(t.id, {
          firstTimestamp: timestamp,
          lastTimestamp: timestamp,
          framesSeen: 0,
          confirmed: false,
          encodings: [],
          lastEncodeTimestamp: -Infinity,
          identity: NO_IDENTITY,
          thumbnail: null,
        });
      }
      await finishTracks(update.ended);
    }
    const visible = tracker.tracks.filter((t) => t.missed === 0 && t.hits >= minHits);
    // Encode only tracks detected in this very frame, on a decent face, when due.
    const due = visible.filter((t) => {
      const st = states.get(t.id)!;
      if (t.lastDetectedFrame !== index) return false;
      const side = Math.min(t.box.right - t.box.left, t.box.bottom - t.box.top);
      if (side < minEncodeSize) return false;
      const gap = st.encodings.length < INITIAL_ENCODINGS ? 0.1 : recheckSeconds;
      return timestamp - st.lastEncodeTimestamp >= gap;
    });
    if (due.length > 0) {
      const encodings = await recognizer.faceEncodings(image, due.map((t) => t.box));
      for (let i = 0; i < due.length; i++) {
        const t = due[i]!;
        const st = states.get(t.id)!;
        st.encodings.push(candidatesOf(galleryIndex, encodings[i]!));
        if (st.encodings.length > MAX_ENCODINGS) st.encodings.splice(INITIAL_ENCODINGS, 1);
        st.lastEncodeTimestamp = timestamp;
        st.identity = voteIdentity(st.encodings, tolerance);
        // The thumbnail: the largest, best-scored face among the encoded frames.
        const quality = t.score * (t.box.right - t.box.left);
        if (sink!.thumbnailDir && (!st.thumbnail || quality > st.thumbnail.quality)) st.thumbnail = { jpeg: await faceCropJpeg(image, t.box), quality };
      }
    }
    for (const t of visible) {
      const st = states.get(t.id)!;
      st.confirmed = true;
      st.framesSeen++;
      st.lastTimestamp = timestamp;
    }

    const wantJpeg = typeof options.wantJpeg === 'function' ? options.wantJpeg(index) : Boolean(options.wantJpeg);
    const snapshots: TrackSnapshot[] = visible.map((t) => {
      const id = states.get(t.id)!.identity;
      return { trackId: t.id, box: { ...t.box }, person: id.person, distance: id.distance, status: id.votes === 0 ? 'pending' : id.person ? 'known' : 'unknown' };
    });
    let jpeg: Uint8Array | undefined;
    if (encoder || wantJpeg) {
      const marks: FrameMark[] = snapshots.map((s) => ({
        box: s.box,
        label: `#${s.trackId} ${s.status === 'pending' ? '...' : (s.person ?? 'unknown')}`,
        color: s.status === 'known' ? KNOWN_RGB : s.status === 'pending' ? PENDING_RGB : UNKNOWN_RGB,
        blur: blur === 'all' || (blur === 'unknown' && s.status !== 'known'),
      }));
      await drawMarks(image, marks, labels);
      if (wantJpeg) jpeg = await frameJpeg(image);
      if (encoder) await encoder.write(image.data);
    }
    options.onFrame?.({ index, timestamp, width, height, jpeg, tracks: snapshots });
    frames++;
    const now = performance.now();
    if (now - lastProgress >= 250) {
      lastProgress = now;
      reportProgress(now);
    }
  }

  function reportProgress(now: number): void {
    const rate = frames / Math.max((now - started) / 1000, 1e-3);
    const total = probe.totalFrames;
    options.onProgress?.({ frames, fps: rate, totalFrames: total, etaSeconds: total === null ? null : Math.max(0, (total - frames) / rate) });
  }

  let decoder: FrameDecoder | null = null;
  const onAbort = () => decoder?.stop();
  signal?.addEventListener('abort', onAbort);
  try {
    sink = await EventSink.open(options.eventsPath);
    if (options.outPath) {
      await mkdir(dirname(options.outPath), { recursive: true });
      encoder = new FrameEncoder(options.outPath, { width, height, fps });
    }
    let delay = options.reconnectDelayMs ?? 1000;
    const maxDelay = options.reconnectMaxDelayMs ?? 30_000;
    let frameIndex = 0;
    while (!signal?.aborted) {
      decoder = startDecoder(input, { width, height });
      let got = 0;
      try {
        for await (const frame of decoder.frames) {
          if (signal?.aborted) break;
          await processFrame(frame.image, frameIndex++);
          got++;
        }
      } catch (err) {
        decoder.stop();
        // Frames already processed still become events (finally below), then the error surfaces.
        throw err;
      }
      const end = await decoder.ended;
      if (signal?.aborted) break;
      if (!reconnect) {
        const total = probe.totalFrames;
        const short = kind === 'file' && total !== null && got < total - Math.max(2, Math.round(total * 0.02));
        if (end.error || short) {
          const what = kind === 'file' ? `The video file "${input}" is truncated or corrupt` : `The ${kind === 'device' ? 'camera' : 'stream'} "${input}" failed`;
          const counted = total !== null ? `${got} of ${total} frames` : `${got} frames`;
          error = `${what}: decoding stopped after ${counted}${end.error ? ` (ffmpeg: ${end.error})` : ''}; the events seen so far were written`;
        }
        break;
      }
      if (got > 0) delay = options.reconnectDelayMs ?? 1000;
      log(`${input}: ${end.error ? `stream failed (${end.error})` : 'stream ended'} after ${got} frames; reconnecting in ${(delay / 1000).toFixed(1)} s`);
      await sleep(delay, signal);
      delay = Math.min(delay * 2, maxDelay);
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    decoder?.stop();
    try {
      if (sink) await finishTracks(tracker.flush());
    } finally {
      await sink?.close();
      if (encoder) await encoder.close().catch((err: Error) => log(err.message));
      if (!options.recognizer) await recognizer.dispose();
    }
  }
  reportProgress(performance.now());
  const elapsed = (performance.now() - started) / 1000;
  const seconds = live ? elapsed : frames / fps;
  return {
    frames,
    seconds: round3(seconds),
    fps: frames / Math.max(elapsed, 1e-3),
    events,
    persons: personPresence(events, live ? 0 : 1 / fps),
    ...(error !== undefined ? { error } : {}),
  };
}

const round3 = (v: number) => Math.round(v * 1000) / 1000;
const round4 = (v: number) => Math.round(v * 10000) / 10000;
