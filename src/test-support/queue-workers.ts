/**
 * Real `facerec worker` child processes for queue tests and benchmarks: spawned
 * as node + tsx on src/cli/bin.ts (one process each, so SIGKILL hits the worker
 * itself), ready once they print their "ready" line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './fixtures.js';

export interface WorkerProcess {
  child: ChildProcess;
  /** Everything the worker wrote to stderr so far. */
  log(): string;
  /** SIGTERM and wait: resolves with the exit code (null when killed by a signal). */
  stop(): Promise<number | null>;
  kill(): Promise<void>;
}

export async function spawnWorker(args: string[], timeoutMs = 60_000): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'src', 'cli', 'bin.ts'), 'worker', ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`facerec worker not ready within ${timeoutMs} ms: ${stderr}`)), timeoutMs);
    const check = () => {
      if (stderr.includes('facerec worker: ready')) {
        clearTimeout(timer);
        child.stderr!.off('data', check);
        resolve();
      }
    };
    child.stderr!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`facerec worker exited (${code}) before it was ready: ${stderr}`));
    });
  });
  return {
    child,
    log: () => stderr,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
