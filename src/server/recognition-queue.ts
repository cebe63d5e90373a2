/**
 * The server's recognition engine: FaceRecognizers (one per detector kind, made
 * on first use, all cores each) behind ONE bounded FIFO queue. At most
 * `concurrency` jobs run at once (default 1: each job already uses every core);
 * at most `maxWaiting` wait; beyond that `run` fails at once with a 503 BUSY
 * ApiError, so a flood of requests never grows memory without bound.
 */
import { availableParallelism } from 'node:os';
import type { DetectorKind } from '../detect/face-detector.js';
import { FaceRecognizer } from '../face-recognizer.js';
import { ApiError } from './api-error.js';

/** Creates and owns the recognizers; shareable between several servers (tests). */
export class RecognizerSet {
  readonly #made = new Map<DetectorKind, Promise<FaceRecognizer>>();
  constructor(readonly threads: number = availableParallelism()) {}

  get(kind: DetectorKind): Promise<FaceRecognizer> {
    let r = this.#made.get(kind);
    if (!r) {
      r = FaceRecognizer.create({ detector: kind, threads: this.threads });
      this.#made.set(kind, r);
      r.catch(() => this.#made.delete(kind));
    }
    return r;
  }

  async dispose(): Promise<void> {
    const all = [...this.#made.values()];
    this.#made.clear();
    await Promise.all(all.map(async (r) => (await r.catch(() => undefined))?.dispose()));
  }
}

export interface QueueStats {
  running: number;
  waiting: number;
  maxWaiting: number;
  rejected: number;
  completed: number;
}

export class RecognitionQueue {
  #running = 0;
  #rejected = 0;
  #completed = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(
    readonly maxWaiting = 32,
    readonly concurrency = 1,
  ) {}

  /** Runs `job` when a slot is free; 503 BUSY at once when `maxWaiting` jobs already wait. */
  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.#running >= this.concurrency) {
      if (this.#waiting.length >= this.maxWaiting) {
        this.#rejected++;
        throw new ApiError(503, 'BUSY', `The recognition queue is full (${this.maxWaiting} requests waiting); retry shortly.`);
      }
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#running++;
    }
    try {
      return await job();
    } finally {
      this.#completed++;
      const next = this.#waiting.shift();
      // The slot passes straight to the next waiter (running count unchanged).
      if (next) next();
      else this.#running--;
    }
  }

  stats(): QueueStats {
    return { running: this.#running, waiting: this.#waiting.length, maxWaiting: this.maxWaiting, rejected: this.#rejected, completed: this.#completed };
  }
}
