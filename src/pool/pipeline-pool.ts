/**
 * Runs the pipeline over many files on N worker threads (default: all cores).
 * Each worker owns its sessions with one ORT thread, which scales better than
 * one session with N threads on small per-face work. One worker = in-process.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { checkNumber } from '../errors.js';
import { FaceRecognizer } from '../face-recognizer.js';
import { runTask, type FileResult, type PipelineTaskOptions, type RecognizerConfig, type TaskKind, type TaskKinds } from './pipeline-task.js';

export interface PipelinePool {
  readonly workers: number;
  /** The pipeline (detect, and landmarks/encodings on request) on one image file. */
  process(file: string, options: PipelineTaskOptions): Promise<FileResult>;
  /** Any task kind on one image file. */
  run<K extends TaskKind>(kind: K, file: string, options: TaskKinds[K]['options']): Promise<TaskKinds[K]['result']>;
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
  let nextId = 0;
  const run = <K extends TaskKind>(kind: K, file: string, options: TaskKinds[K]['options']) => {
    const next = queue.then(() => runTask(recognizer, { id: nextId++, kind, file, options }) as Promise<TaskKinds[K]['result']>);
    queue = next.catch(() => undefined);
    return next;
  };
  return {
    workers: 1,
    run,
    process: (file, options) => run('pipeline', file, options),
    close: () => recognizer.dispose(),
  };
}

/**
 * The worker's entry. Built code runs dist/pool/pipeline-worker.js directly; under
 * tsx (tests, benchmarks) the worker is a .ts file, so a tiny bootstrap registers
 * tsx's loader in the thread before importing it.
 */
function workerEntry(): { entry: string | URL; eval: boolean } {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return { entry: new URL('./pipeline-worker.js', here), eval: false };
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const worker = new URL('./pipeline-worker.ts', here).href;
  return { entry: `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(worker)}); });`, eval: true };
}

async function threadPool(config: RecognizerConfig, count: number): Promise<PipelinePool> {
  const { entry, eval: isEval } = workerEntry();
  interface Slot {
    worker: Worker;
    busy: boolean;
  }
  const pending = new Map<number, { resolve: (r: unknown) => void; reject: (e: Error) => void; slot: Slot }>();
  const waiting: { id: number; kind: TaskKind; file: string; options: unknown }[] = [];
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
      const worker = new Worker(entry, { workerData: config, eval: isEval });
      const slot: Slot = { worker, busy: false };
      slots.push(slot);
      return new Promise<void>((resolve, reject) => {
        worker.on('message', (msg: { type: string; id?: number; result?: unknown; message?: string }) => {
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

  const run = <K extends TaskKind>(kind: K, file: string, options: TaskKinds[K]['options']) => {
    const id = nextId++;
    return new Promise<TaskKinds[K]['result']>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (r: unknown) => void, reject, slot: undefined as unknown as Slot });
      waiting.push({ id, kind, file, options });
      dispatch();
    });
  };
  return {
    workers: count,
    run,
    process: (file: string, options: PipelineTaskOptions): Promise<FileResult> => run('pipeline', file, options),
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
