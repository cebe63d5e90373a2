import { resolveDetectorName } from '../face-recognizer.js';
import { defaultWorkerCount } from '../pool/pipeline-pool.js';
import { DEFAULT_REDIS_URL } from '../queue/redis-url.js';
import { parseCommandLine, parseIntegerOption, UsageError, type CommandContext } from './cli-support.js';

export const workerHelp = `Usage: facerec worker [options]

Processes photos from the Redis job queue (see facerec enqueue) on all local
cores until stopped (Ctrl-C or SIGTERM finish the photos in hand first). Start
one per machine; every machine needs the photos at the same paths (a shared
mount) and the same database (a postgres:// URL for several machines).
Delivery is at least once: if a worker dies, its photos are retried by the
others after a few seconds, and results are written idempotently (no
duplicates). A photo failing 3 times goes to the job's failed list.

Options:
  --redis URL        Redis server of the queue (default ${DEFAULT_REDIS_URL})
  --db DB            use this database for every job instead of the one given to
                     facerec enqueue (SQLite file or postgres:// URL)
  --concurrency N    photos processed in parallel: pipeline threads (default
                     ${defaultWorkerCount()}, all cores)
  --model NAME       detector: accurate (default) or fast
  -h, --help         show this help

Examples:
  facerec worker --redis redis://queue:6379 --db postgres://facerec@db/facerec
  facerec worker --concurrency 1
`;

const options = {
  redis: { type: 'string' },
  db: { type: 'string' },
  concurrency: { type: 'string' },
  model: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function runWorker(argv: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parseCommandLine('worker', argv, options);
  if (values.help) {
    ctx.stdout.write(workerHelp);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`facerec worker: takes no arguments, got "${positionals[0]}" (photos are queued with facerec enqueue)`);
  const concurrency = parseIntegerOption('worker', 'concurrency', values.concurrency, 1, 256) ?? defaultWorkerCount();
  let detector;
  try {
    detector = resolveDetectorName(values.model ?? 'accurate');
  } catch {
    throw new UsageError(`facerec worker: --model expects accurate or fast, got "${values.model}"`);
  }
  const redisUrl = values.redis ?? DEFAULT_REDIS_URL;
  const { startQueueWorker } = await import('../queue/queue-worker.js');
  const worker = await startQueueWorker({
    redisUrl,
    concurrency,
    detector,
    ...(values.db !== undefined ? { db: values.db } : {}),
    log: (line) => ctx.stderr.write(`${line}\n`),
  });
  ctx.stderr.write(`facerec worker: ready, ${worker.threads} pipeline thread(s), queue at ${redisUrl}${values.db ? `, database ${values.db}` : ''}\n`);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      ctx.stderr.write(`facerec worker: ${signal}: finishing the photos in hand\n`);
      resolve();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  await worker.close();
  ctx.stderr.write(`facerec worker: stopped after ${worker.processed} photos\n`);
  return 0;
}
