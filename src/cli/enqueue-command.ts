import { DEFAULT_DB } from '../enroll/gallery-db.js';
import { DEFAULT_REDIS_URL } from '../queue/redis-url.js';
import { JOB_KINDS, type JobKind } from '../queue/queue-types.js';
import { parseCommandLine, parseNumberOption, UsageError, type CommandContext } from './cli-support.js';
import { Progress } from './progress.js';

export const enqueueHelp = `Usage: facerec enqueue DIR --job enroll|identify [options]

Puts a folder of photos on the Redis job queue, one item per photo, for
"facerec worker" processes on any number of machines. Prints the job id; follow
it with "facerec jobs JOB_ID".
  --job enroll     DIR is a dataset (DIR/<Person Name>/*.jpg, or DIR/<name>.jpg):
                   faces are enrolled into the gallery
  --job identify   every image below DIR is identified against the gallery; the
                   results go to the table job_results of the same database
Workers open each photo by its absolute path, so every worker machine must see
DIR at the SAME path (a shared mount, e.g. NFS at /mnt/photos).

Options:
  --job KIND       enroll or identify (required)
  --redis URL      Redis server of the queue (default ${DEFAULT_REDIS_URL})
  --db DB          gallery: a SQLite file (one machine) or a postgres:// URL
                   (several machines); default ${DEFAULT_DB}. Workers use it unless
                   started with their own --db
  --tolerance X    identify: largest distance still called a match (default 0.6)
  --json           print the job record as JSON
  -h, --help       show this help

Examples:
  facerec enqueue /mnt/photos/staff --job enroll --db postgres://facerec@db/facerec --redis redis://queue:6379
  facerec enqueue ../shared/data/lfw-view1/lfw --job identify --db facerec.db
`;

const options = {
  job: { type: 'string' },
  redis: { type: 'string' },
  db: { type: 'string' },
  tolerance: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function runEnqueue(argv: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parseCommandLine('enqueue', argv, options);
  if (values.help) {
    ctx.stdout.write(enqueueHelp);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('facerec enqueue: give exactly one DIR of photos (see facerec enqueue --help)');
  if (values.job === undefined) throw new UsageError('facerec enqueue: --job is required: enroll or identify');
  if (!JOB_KINDS.includes(values.job as JobKind)) throw new UsageError(`facerec enqueue: --job expects enroll or identify, got "${values.job}"`);
  const tolerance = parseNumberOption('enqueue', 'tolerance', values.tolerance, 0, 2);
  // Loaded on demand: the Redis client costs ~0.7 s of start-up that other commands should not pay.
  const { connectRedis } = await import('../queue/queue-connection.js');
  const { enqueueJob } = await import('../queue/enqueue.js');
  const redis = await connectRedis(values.redis ?? DEFAULT_REDIS_URL);
  try {
    let progress: Progress | undefined;
    const record = await enqueueJob(redis, {
      kind: values.job as JobKind,
      dir: positionals[0]!,
      db: values.db ?? DEFAULT_DB,
      ...(tolerance !== undefined ? { tolerance } : {}),
      onHashed: (_done, total) => (progress ??= new Progress(total, 'hashing', ctx.stderr)).tick(),
    });
    if (values.json) ctx.stdout.write(`${JSON.stringify(record)}\n`);
    else {
      ctx.stdout.write(`${record.id}\n`);
      ctx.stderr.write(`facerec enqueue: job ${record.id}: ${record.total} photos to ${record.kind} into ${record.db}; follow it with: facerec jobs ${record.id}\n`);
    }
  } finally {
    redis.disconnect();
  }
  return 0;
}
