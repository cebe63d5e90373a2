/**
 * npm run bench:load — `facerec serve` under load: the server on 127.0.0.1
 * (ephemeral port) with a small enrolled gallery, autocannon POSTing a real
 * photo (a 1920×1280 group photo, 3 faces) to /api/v1/identify with 16
 * connections for LOAD_SECONDS (default 60). Checks zero errors and that RSS
 * after the run is within 10% of RSS after warm-up; writes bench-results/load.md.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { buildServer } from '../src/server/server.js';
import { sampleImagePath, repoRoot } from '../src/test-support/fixtures.js';
import { syntheticFaces } from '../src/test-support/test-datasets.js';

const SECONDS = Number(process.env.LOAD_SECONDS ?? 60);
const CONNECTIONS = 16;
const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);

const dir = join(tmpdir(), `facerec-load-${process.pid}`);
await mkdir(dir, { recursive: true });
const app = await buildServer({ db: join(dir, 'load.db'), logger: false });
try {
  // A small gallery: five persons, four photos each.
  const faces = await syntheticFaces(5);
  for (const [i, f] of faces.entries()) {
    const r = await app.inject({
      method: 'POST',
      url: '/api/v1/persons',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ name: `Person ${i + 1}`, images: f.variants.map((v) => v.toString('base64')) }),
    });
    assert.equal(r.statusCode, 201, r.body);
  }
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/api/v1/identify`;
  const photo = await readFile(sampleImagePath(1));

  const run = (duration: number, connections: number) =>
    autocannon({ url, method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: photo, connections, duration, timeout: 120 });

  // Warm-up: every connection served a few times, then settle.
  process.stderr.write(`warm-up (${CONNECTIONS} connections, 10 s)…\n`);
  const warm = await run(10, CONNECTIONS);
  assert.equal(warm.errors + warm.timeouts + warm.non2xx, 0, 'warm-up without errors');
  global.gc?.();
  await new Promise((r) => setTimeout(r, 1000));
  const rssWarm = process.memoryUsage().rss;

  process.stderr.write(`load: ${CONNECTIONS} connections for ${SECONDS} s against ${url}…\n`);
  const result = await run(SECONDS, CONNECTIONS);
  await new Promise((r) => setTimeout(r, 1000));
  const rssAfter = process.memoryUsage().rss;
  const health = (await app.inject({ method: 'GET', url: '/api/v1/health' })).json() as { persons: number; faces: number };

  const errors = result.errors + result.timeouts + result.non2xx;
  const growth = (rssAfter - rssWarm) / rssWarm;
  const lines = [
    '# Load test: POST /api/v1/identify',
    '',
    `Run: ${new Date().toISOString()} · Node ${process.version} · ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}) · \`npm run bench:load\` (LOAD_SECONDS=${SECONDS})`,
    '',
    `Server: \`buildServer\` defaults (accurate detector, ONNX Runtime threads = all cores, one recognizer behind the bounded queue, rate limit 600/min) on 127.0.0.1; gallery of ${health.persons} persons / ${health.faces} faces.`,
    `Load: autocannon, ${CONNECTIONS} connections, ${SECONDS} s, each request the 1920×1280 group photo sample1.jpg (3 faces, ${Math.round(photo.length / 1024)} KB) as image/jpeg.`,
    '',
    '| metric | value |',
    '|---|---|',
    `| requests | ${result.requests.total} (2xx: ${result['2xx']}) |`,
    `| errors / timeouts / non-2xx | ${result.errors} / ${result.timeouts} / ${result.non2xx} |`,
    `| throughput | ${result.requests.average.toFixed(2)} req/s (${(result.requests.average * 3).toFixed(1)} faces/s) |`,
    `| latency p50 | ${result.latency.p50} ms |`,
    `| latency p99 | ${result.latency.p99} ms |`,
    `| latency max | ${result.latency.max} ms |`,
    `| RSS after warm-up | ${mb(rssWarm)} MB |`,
    `| RSS after the run | ${mb(rssAfter)} MB (${growth >= 0 ? '+' : ''}${(growth * 100).toFixed(1)}%) |`,
    '',
    'Latency is dominated by queueing: one recognizer runs one photo at a time on all cores, so with 16',
    'connections each request waits for ~15 others (p50 ≈ 16 × service time). Throughput is the',
    'pipeline\u2019s per-photo time on this machine; see docs/benchmarks.md for the per-stage figures.',
    '',
  ];
  await mkdir(join(repoRoot, 'bench-results'), { recursive: true });
  await writeFile(join(repoRoot, 'bench-results', 'load.md'), lines.join('\n'));
  process.stdout.write(lines.join('\n'));
  assert.equal(errors, 0, `zero errors expected, got ${errors}`);
  assert.ok(result['2xx'] > 0, 'some requests completed');
  assert.ok(Math.abs(growth) <= 0.1, `RSS after the run within 10% of after warm-up (${mb(rssWarm)} → ${mb(rssAfter)} MB)`);
} finally {
  await app.close();
  await rm(dir, { recursive: true, force: true });
}
