import { DEFAULT_REDIS_URL } from '../queue/redis-url.js';
import type { JobProgress } from '../queue/queue-types.js';
import { openJobResultStore } from '../queue/job-result-store.js';
import { parseCommandLine, UsageError, type CommandContext } from './cli-support.js';

export const jobsHelp = `Usage: facerec jobs [options] [JOB_ID]

Shows the progress of batch jobs on the Redis queue (facerec enqueue): photos
done, failed, active and waiting, the rate and the time left; with JOB_ID, also
every failed photo with its error. --results also prints an identify job's
results from its database (job_results table).

Options:
  --redis URL    Redis server of the queue (default ${DEFAULT_REDIS_URL})
  --db DB        database of --results (default: the job's own)
  --results      JOB_ID's results: path,face,name,distance per face (JSON with --json)
  --json         one JSON object (JOB_ID) or array (all jobs)
  -h, --help     show this help

Examples:
  facerec jobs
  facerec jobs 20261128-021500-a1b2c3 --json
`;

const options = {
  redis: { type: 'string' },
  db: { type: 'string' },
  results: { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const duration = (s: number | null) => (s === null ? '?' : s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.round((s % 3600) / 60)).padStart(2, '0')}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`);

/** One line per job, e.g. `20261128-… identify 120/300 done, 2 failed, 4 active, 174 waiting, 9.5/s, ETA 19s`. */
export function jobLine(p: JobProgress): string {
  const state = p.finished ? 'finished' : `${p.active} active, ${p.waiting} waiting, ${p.rate === null ? '?' : p.rate.toFixed(1)}/s, ETA ${duration(p.etaSeconds)}`;
  return `${p.id} ${p.kind} ${p.done}/${p.total} done, ${p.failed} failed, ${state}`;
}

export async function runJobs(argv: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parseCommandLine('jobs', argv, options);
  if (values.help) {
    ctx.stdout.write(jobsHelp);
    return 0;
  }
  if (positionals.length > 1) throw new UsageError('facerec jobs: give at most one JOB_ID (see facerec jobs --help)');
  if (values.results && positionals.length === 0) throw new UsageError('facerec jobs: --results needs a JOB_ID');
  const { connectRedis } = await import('../queue/queue-connection.js');
  const { jobProgress, listJobs } = await import('../queue/job-progress.js');
  const redis = await connectRedis(values.redis ?? DEFAULT_REDIS_URL);
  try {
    if (positionals.length === 0) {
      const jobs = await listJobs(redis);
      if (values.json) ctx.stdout.write(`${JSON.stringify(jobs.map(({ failedPhotos: _f, ...rest }) => rest))}\n`);
      else if (jobs.length === 0) ctx.stdout.write('no jobs (queue photos with facerec enqueue DIR --job enroll|identify)\n');
      else for (const p of jobs) ctx.stdout.write(`${jobLine(p)}\n`);
      return 0;
    }
    const p = await jobProgress(redis, positionals[0]!);
    if (values.results) {
      const store = await openJobResultStore(values.db ?? p.db);
      try {
        const rows = await store.listResults(p.id);
        if (values.json) ctx.stdout.write(`${JSON.stringify(rows)}\n`);
        else for (const r of rows) ctx.stdout.write(`${r.path},${r.faceIndex},${r.faceIndex < 0 ? 'no_persons_found' : (r.name ?? 'unknown_person')},${r.distance ?? ''}\n`);
      } finally {
        await store.close();
      }
      return 0;
    }
    if (values.json) {
      ctx.stdout.write(`${JSON.stringify(p)}\n`);
      return 0;
    }
    ctx.stdout.write(`${jobLine(p)}\n`);
    ctx.stdout.write(`  folder ${p.dir}\n  database ${p.db}\n  created ${p.createdAt}\n`);
    if (p.failedPhotos.length > 0) {
      ctx.stdout.write(`failed photos (${p.failedPhotos.length}):\n`);
      for (const f of p.failedPhotos) ctx.stdout.write(`  ${f.path}: ${f.error}\n`);
    }
  } finally {
    redis.disconnect();
  }
  return 0;
}
