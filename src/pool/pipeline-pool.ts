/**
 * Runs the pipeline over many files on N worker threads (default: all cores).
 * Each worker owns its sessions with one ORT thread, which scales better than
 * one session with N threads on small per-face work. One worker = in-process.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { checkNumber } from '../errors.js';
import { FaceRecognizer } from '../face-recognizer.js';
import { runPipelineTask, type FileResult, type PipelineTaskOptions, type RecognizerConfig } from './pipeline-task.js';

export interface PipelinePool {
  readonly workers: number;
  process(file: string, options: PipelineTaskOptions): Promise<FileResult>;
  close(): Promise<void>;
}

export function defaultWorkerCount(): number {
  return availableParallelism();
}

export async function createPipelinePool(config: RecognizerConfig, workers = defaultWorkerCount()): Promise<PipelinePool> {
  checkNumber('workers', workers, { min: 1, max: 256, integer: true });
  if (workers === 1) return inProcessPool(config);
  return threadPool(config, workers);
}

async function inProcessPool(config: RecognizerConfig): Promise<PipelinePool> {
  const recognizer = await FaceRecognizer.create({ ...config, threads: config.threads ?? 1 });
  // One image at a time: ORT sessions are not meant for overlapping runs here.
  let queue: Promise<unknown> = Promise.resolve();
  return {
    workers: 1,
    process(file, options) {
      const next = queue.then(() => runPipelineTask(recognizer, file, options));
      queue = next.catch(() => undefined);
      return next;
    },
    close: () => recognizer.dispose(),
  };
}

/** Under tsx (tests, benchmarks) the worker is a .ts file and needs tsx's loader too. */
function workerUrl(): { url: URL; execArgv: string[] } {
  const here = import.meta.url;
  const ts = here.endsWith('.ts');
  return { url: new URL(`./pipeline-worker.${ts ? 'ts' : 'js'}`, here), execArgv: ts ? ['--import', 'tsx'] : [] };
}

async function threadPool(config: RecognizerConfig, count: number): Promise<PipelinePool> {
  const { url, execArgv } = workerUrl();
  interface Slot {
    worker: Worker;
    busy: boolean;
  }
  const pending = new Map<number, { resolve: (r: FileResult) => void; reject: (e: Error) => void; slot: Slot }>();
  const waiting: { id: number; file: string; options: PipelineTaskOptions }[] = [];
  let nextId = 0;
  const slots: Slot[] = [];

  const dispatch = () => {
    for (const slot of slots) {
      if (slot.busy || waiting.length === 0) continue;
      const task = waiting.shift()!;
      slot.busy = true;
      pending.get(task.id)!.slot = slot;
      slot.worker.postMessage(task);
    }
  };

  await Promise.all(
    Array.from({ length: count }, () => {
      const worker = new Worker(url, { workerData: config, execArgv });
      const slot: Slot = { worker, busy: false };
      slots.push(slot);
      return new Promise<void>((resolve, reject) => {
        worker.on('message', (msg: { type: string; id?: number; result?: FileResult; message?: string }) => {
          if (msg.type === 'ready') resolve();
          else if (msg.type === 'fatal') reject(new Error(`pipeline worker failed to start: ${msg.message}`));
          else if (msg.type === 'result') {
            const entry = pending.get(msg.id!);
            pending.delete(msg.id!);
            slot.busy = false;
            entry?.resolve(msg.result!);
            dispatch();
          }
        });
        worker.on('error', (err) => {
          reject(err);
          for (const [id, entry] of pending) {
            if (entry.slot === slot) {
              pending.delete(id);
              entry.reject(new Error(`pipeline worker crashed: ${err.message}`));
            }
          }
        });
      });
    }),
  );

  return {
    workers: count,
    process(file, options) {
      const id = nextId++;
      return new Promise<FileResult>((resolve, reject) => {
        pending.set(id, { resolve, reject, slot: undefined as unknown as Slot });
        waiting.push({ id, file, options });
        dispatch();
      });
    },
    async close() {
      await Promise.all(
        slots.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.worker.once('exit', () => resolve());
              s.worker.postMessage({ type: 'close' });
            }),
        ),
      );
    },
  };
}
