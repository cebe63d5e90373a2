/**
 * Runs camera monitors: one video session (src/video) per started monitor, with
 * reconnection, the latest annotated JPEG for previews, and the recent events
 * persisted in a MonitorStore.
 *
 * A monitor's state: `connecting` until its first frame, `running` while frames
 * arrive, `reconnecting` (with the last error) after a drop or a failed start,
 * `stopped` when not running. The session itself reconnects after a drop; when
 * it cannot even start (the stream is unreachable, so probing fails) this
 * manager retries with the same doubling backoff. Stopping aborts the session,
 * which flushes its open tracks as events and closes cleanly.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FacerecError } from '../../errors.js';
import type { FaceRecognizer } from '../../face-recognizer.js';
import type { TrackEvent, VideoSessionOptions, VideoSummary } from '../../video/video-session.js';
import type { MonitorDetector, MonitorEventRecord, MonitorRecord, MonitorStore, NewMonitor } from './monitor-store.js';

export type RunVideoSession = (options: VideoSessionOptions) => Promise<VideoSummary>;
export type MonitorState = 'stopped' | 'connecting' | 'running' | 'reconnecting';

export interface MonitorStatus {
  state: MonitorState;
  /** The last stream error (kept while reconnecting, cleared once frames arrive again). */
  lastError: string | null;
  /** Frames processed since the monitor was started. */
  frames: number;
  /** When the latest frame was processed (ISO 8601), or null. */
  lastFrameAt: string | null;
  width: number | null;
  height: number | null;
}

export interface MonitorManagerOptions {
  store: MonitorStore;
  /** The gallery faces are matched against, asked for at each session start. */
  gallery: () => VideoSessionOptions['gallery'];
  /** A shared recognizer per detector (not disposed by the manager). */
  recognizer: (detector: MonitorDetector) => Promise<FaceRecognizer>;
  /** The video engine (injectable for tests). */
  runSession: RunVideoSession;
  /** Events kept per monitor (default 200). */
  keepEvents?: number;
  /** First retry delay after a failed start (default 1000 ms), doubled up to `retryMaxDelayMs` (default 30000). */
  retryDelayMs?: number;
  retryMaxDelayMs?: number;
  /** Session reconnect delays (passed through; defaults of the session otherwise). */
  reconnectDelayMs?: number;
  /** A preview JPEG is made at least this often even when nobody watches (default 1000 ms). */
  idlePreviewMs?: number;
  log?: (message: string) => void;
}

/** A preview viewer: each new JPEG, then end() when the monitor stops. */
export interface FrameListener {
  frame(jpeg: Uint8Array): void;
  end(): void;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** One started monitor: its session loop, status, latest frame and viewers. */
class MonitorRun {
  readonly abort = new AbortController();
  readonly status: MonitorStatus = { state: 'connecting', lastError: null, frames: 0, lastFrameAt: null, width: null, height: null };
  latestJpeg: Uint8Array | null = null;
  #lastJpegAt = 0;
  readonly listeners = new Set<FrameListener>();
  readonly #pendingWrites = new Set<Promise<unknown>>();
  done: Promise<void> = Promise.resolve();

  constructor(
    readonly monitor: MonitorRecord,
    readonly options: MonitorManagerOptions,
  ) {}

  start(): void {
    this.done = this.#loop();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.done;
    await Promise.allSettled([...this.#pendingWrites]);
  }

  async #loop(): Promise<void> {
    const { signal } = this.abort;
    const o = this.options;
    const log = o.log ?? (() => {});
    const firstDelay = o.retryDelayMs ?? 1000;
    let delay = firstDelay;
    while (!signal.aborted) {
      if (this.status.state !== 'reconnecting') this.status.state = 'connecting';
      const framesBefore = this.status.frames;
      let dir: string | null = null;
      try {
        dir = await mkdtemp(join(tmpdir(), `facerec-monitor-${this.monitor.id}-`));
        const summary = await o.runSession({
          input: this.monitor.url,
          gallery: o.gallery(),
          detector: this.monitor.detector,
          recognizer: await o.recognizer(this.monitor.detector),
          reconnect: true,
          ...(o.reconnectDelayMs !== undefined ? { reconnectDelayMs: o.reconnectDelayMs } : {}),
          signal,
          eventsPath: join(dir, 'events.jsonl'),
          wantJpeg: () => this.listeners.size > 0 || Date.now() - this.#lastJpegAt >= (o.idlePreviewMs ?? 1000),
          onFrame: (frame) => {
            const s = this.status;
            s.state = 'running';
            s.lastError = null;
            s.frames++;
            s.lastFrameAt = new Date().toISOString();
            s.width = frame.width;
            s.height = frame.height;
            if (frame.jpeg) {
              this.latestJpeg = frame.jpeg;
              this.#lastJpegAt = Date.now();
              for (const l of this.listeners) l.frame(frame.jpeg);
            }
          },
          onEvent: (event) => this.#track(this.#saveEvent(event)),
          onLog: (message) => {
            // The session says "… reconnecting in N s" after a drop.
            if (/reconnecting/i.test(message)) {
              this.status.state = 'reconnecting';
              this.status.lastError = message;
            }
            log(`monitor ${this.monitor.id} (${this.monitor.name}): ${message}`);
          },
        });
        if (signal.aborted) break;
        this.status.lastError = summary.error ?? 'The stream ended.';
      } catch (err) {
        if (signal.aborted) break;
        this.status.lastError = messageOf(err);
      } finally {
        // Thumbnails were copied into the store as each event arrived.
        await Promise.allSettled([...this.#pendingWrites]);
        if (dir) await rm(dir, { recursive: true, force: true }).catch(() => {});
      }
      if (this.status.frames > framesBefore) delay = firstDelay;
      this.status.state = 'reconnecting';
      log(`monitor ${this.monitor.id} (${this.monitor.name}): ${this.status.lastError}; retrying in ${(delay / 1000).toFixed(1)} s`);
      await sleep(delay, signal);
      delay = Math.min(delay * 2, o.retryMaxDelayMs ?? 30_000);
    }
    this.status.state = 'stopped';
  }

  #track(p: Promise<unknown>): void {
    this.#pendingWrites.add(p);
    void p.finally(() => this.#pendingWrites.delete(p));
  }

  async #saveEvent(event: TrackEvent): Promise<void> {
    try {
      const thumbnail = event.thumbnailPath ? await readFile(event.thumbnailPath).catch(() => null) : null;
      // Session timestamps are relative to the stream; the event list shows wall-clock times.
      const now = Date.now();
      const span = Math.max(0, event.lastTimestamp - event.firstTimestamp) * 1000;
      await this.options.store.addEvent(
        this.monitor.id,
        {
          trackId: event.trackId,
          person: event.person,
          firstSeenAt: new Date(now - span).toISOString(),
          lastSeenAt: new Date(now).toISOString(),
          framesSeen: event.framesSeen,
          bestDistance: event.bestDistance,
          thumbnail,
        },
        this.options.keepEvents ?? 200,
      );
    } catch (err) {
      // A monitor deleted while its last tracks were flushing has nowhere to keep them.
      this.options.log?.(`monitor ${this.monitor.id}: event not saved: ${messageOf(err)}`);
    }
  }
}

const STOPPED: MonitorStatus = { state: 'stopped', lastError: null, frames: 0, lastFrameAt: null, width: null, height: null };

export class MonitorManager {
  readonly #runs = new Map<number, MonitorRun>();
  #closed = false;

  constructor(readonly options: MonitorManagerOptions) {}

  get store(): MonitorStore {
    return this.options.store;
  }

  list(): Promise<MonitorRecord[]> {
    return this.store.listMonitors();
  }

  get(id: number): Promise<MonitorRecord | null> {
    return this.store.getMonitor(id);
  }

  status(id: number): MonitorStatus {
    const run = this.#runs.get(id);
    return run ? { ...run.status } : { ...STOPPED };
  }

  /** Creates a monitor; `enabled` also starts it. */
  async create(monitor: NewMonitor): Promise<MonitorRecord> {
    const record = await this.store.createMonitor(monitor);
    if (record.enabled) this.#launch(record);
    return record;
  }

  async #require(id: number): Promise<MonitorRecord> {
    const m = await this.store.getMonitor(id);
    if (!m) throw new FacerecError('NOT_FOUND', `There is no monitor with id ${id} (path parameter "id").`);
    return m;
  }

  /** Enables and starts the monitor (a no-op when it already runs). */
  async start(id: number): Promise<MonitorRecord> {
    await this.#require(id);
    const m = (await this.store.setEnabled(id, true))!;
    if (!this.#runs.has(id)) this.#launch(m);
    return m;
  }

  /** Disables the monitor and waits until its session has closed. */
  async stop(id: number): Promise<MonitorRecord> {
    await this.#require(id);
    const m = (await this.store.setEnabled(id, false))!;
    await this.#halt(id);
    return m;
  }

  /** Stops the monitor and deletes it with its events. */
  async delete(id: number): Promise<void> {
    await this.#require(id);
    await this.#halt(id);
    await this.store.deleteMonitor(id);
  }

  /** Starts every enabled monitor (at server start). */
  async restoreEnabled(): Promise<number> {
    let n = 0;
    for (const m of await this.store.listMonitors()) {
      if (m.enabled && !this.#runs.has(m.id)) {
        this.#launch(m);
        n++;
      }
    }
    return n;
  }

  events(id: number, limit: number): Promise<MonitorEventRecord[]> {
    return this.store.listEvents(id, limit);
  }

  latestJpeg(id: number): Uint8Array | null {
    return this.#runs.get(id)?.latestJpeg ?? null;
  }

  /** Gives `listener` each new preview JPEG of a running monitor; returns the unsubscribe function, or null when it is not running. */
  subscribe(id: number, listener: FrameListener): (() => void) | null {
    const run = this.#runs.get(id);
    if (!run) return null;
    run.listeners.add(listener);
    return () => run.listeners.delete(listener);
  }

  /** True while the monitor's run exists (its MJPEG viewers should keep the connection). */
  isRunning(id: number): boolean {
    return this.#runs.has(id);
  }

  /** Stops every session WITHOUT disabling the monitors: they restart with the server. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#runs.keys()].map((id) => this.#halt(id)));
  }

  #launch(m: MonitorRecord): void {
    if (this.#closed) return;
    const run = new MonitorRun(m, this.options);
    this.#runs.set(m.id, run);
    run.start();
  }

  async #halt(id: number): Promise<void> {
    const run = this.#runs.get(id);
    if (!run) return;
    this.#runs.delete(id);
    await run.stop();
    for (const l of run.listeners) l.end();
    run.listeners.clear();
  }
}
