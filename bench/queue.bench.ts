/**
 * npm run bench:queue — throughput of `facerec worker` processes on one identify
 * job of QUEUE_PHOTOS (default 200) real LFW photos, against a 20-person gallery,
 * through a real Redis. Configurations on this machine's cores (2 here):
 *   - 1 worker process × 1 pipeline thread (the per-core baseline)
 *   - 1 worker process × 2 threads (--concurrency 2: all cores in one process)
 *   - 2 worker processes × 1 thread each (--concurrency 1: each its share of the cores)
 * Workers are started and loaded before the clock starts; the clock runs from
 * `enqueue` to the last photo done. QUEUE_RUNS (default 3) runs per
 * configuration, interleaved; medians. Writes bench-results/queue.md.
 */
import assert from 'node:assert/strict';
import { mkdir, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { enrollPersons } from '../src/enroll/enroll.js';
import { SqliteGalleryStore } from '../src/gallery/sqlite-gallery-store.js';
import { createPipelinePool } from '../src/pool/pipeline-pool.js';
import { enqueueJob } from '../src/queue/enqueue.js';
import { jobProgress } from '../src/queue/job-progress.js';
import { connectRedis } from '../src/queue/queue-connection.js';
import { repoRoot, sharedData, sharedDataSkip } from '../src/test-support/fixtures.js';
import { spawnWorker, type WorkerProcess } from '../src/test-support/queue-workers.js';
import { startRedis } from '../src/test-support/redis-server.js';
import { markdownTable, median } from './bench-support.js';

const PHOTOS = Number(process.env.QUEUE_PHOTOS ?? 200);
const RUNS = Number(process.env.QUEUE_RUNS ?? 3);
const lfw = sharedData('lfw-view1/lfw');
if (!lfw) {
  console.log(`bench:queue ${sharedDataSkip('lfw-view1/lfw')}`);
  process.exit(0);
}
const server = await startRedis();
if ('skip' in server) {
  console.log(`bench:queue ${server.skip}`);
  process.exit(0);
}

const dir = join(tmpdir(), `facerec-queue-bench-${process.pid}`);
const photosDir = join(dir, 'photos');
await mkdir(photosDir, { recursive: true });
const db = join(dir, 'bench.db');
const redis = await connectRedis(server.url);
const running: WorkerProcess[] = [];
try {
  // Gallery: the first photo of 20 persons with ≥ 2; the job: other photos (their second ones first).
  const persons = (await readdir(lfw)).sort();
  const galleryPersons: { name: string; files: string[] }[] = [];
  let photos = 0;
  for (const person of persons) {
    const files = (await readdir(join(lfw, person))).filter((f) => f.endsWith('.jpg')).sort();
    let rest = files;
    if (galleryPersons.length < 20 && files.length >= 2) {
      galleryPersons.push({ name: person, files: [join(lfw, person, files[0]!)] });
      rest = files.slice(1);
    }
    for (const f of rest.slice(0, 1)) {
      if (photos < PHOTOS) {
        await symlink(join(lfw, person, f), join(photosDir, f));
        photos++;
      }
    }
    if (photos >= PHOTOS && galleryPersons.length >= 20) break;
  }
  const store = await SqliteGalleryStore.open(db);
  const pool = await createPipelinePool({}, availableParallelism());
  const enrolled = await enrollPersons(store, pool, galleryPersons);
  await pool.close();
  await store.close();
  console.log(`gallery: ${enrolled.enrolled} faces; job: ${photos} photos; ${RUNS} runs per configuration`);

  const configs = [
    { label: '1 worker × 1 thread', processes: 1, concurrency: 1 },
    { label: '1 worker × 2 threads', processes: 1, concurrency: 2 },
    { label: '2 workers × 1 thread', processes: 2, concurrency: 1 },
  ];
  const rates = new Map<string, number[]>(configs.map((c) => [c.label, []]));
  for (let run = 0; run < RUNS; run++) {
    for (const c of configs) {
      const workers: WorkerProcess[] = await Promise.all(Array.from({ length: c.processes }, () => spawnWorker(['--redis', server.url, '--concurrency', String(c.concurrency)])));
      running.push(...workers);
      const t0 = performance.now();
      const job = await enqueueJob(redis, { kind: 'identify', dir: photosDir, db });
      let p = await jobProgress(redis, job.id);
      while (!p.finished) {
        await new Promise((r) => setTimeout(r, 100));
        p = await jobProgress(redis, job.id);
      }
      const seconds = (performance.now() - t0) / 1000;
      assert.equal(p.done, photos, `every photo done (${p.failed} failed)`);
      for (const w of workers) assert.equal(await w.stop(), 0, w.log());
      running.length = 0;
      const rate = photos / seconds;
      rates.get(c.label)!.push(rate);
      console.log(`run ${run + 1}: ${c.label}: ${photos} photos in ${seconds.toFixed(1)} s = ${rate.toFixed(2)} photos/s`);
    }
  }
  const base = median(rates.get(configs[0]!.label)!);
  const rows = configs.map((c) => {
    const r = rates.get(c.label)!;
    return [c.label, median(r).toFixed(2), r.map((x) => x.toFixed(2)).join(', '), `${(median(r) / base).toFixed(2)}×`];
  });
  const table = markdownTable(['configuration', 'photos/s (median)', 'runs', 'vs 1 × 1'], rows);
  const lines = [
    `# bench:queue — ${new Date().toISOString()}`,
    '',
    `${cpus()[0]?.model ?? 'cpu'} × ${availableParallelism()}; identify job of ${photos} LFW photos (250×250), gallery of ${enrolled.enrolled} faces, SQLite job_results; Redis ${server.url.replace(/\/\d+$/, '')}.`,
    '',
    table,
    '',
  ];
  console.log(`\n${table}`);
  await mkdir(join(repoRoot, 'bench-results'), { recursive: true });
  await writeFile(join(repoRoot, 'bench-results', 'queue.md'), lines.join('\n'));
} finally {
  for (const w of running) await w.kill();
  redis.disconnect();
  await server.stop();
  await rm(dir, { recursive: true, force: true });
}
