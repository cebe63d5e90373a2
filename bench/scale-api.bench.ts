/**
 * npm run bench:scale-api — 1 vs 2 `facerec serve` nodes sharing one PostgreSQL
 * gallery on this machine. Each node is a real process (`facerec serve --db
 * postgres://… --port 0`); autocannon POSTs a real photo (sample1.jpg, 1920×1280,
 * 3 faces) to /api/v1/identify with CONNECTIONS connections split evenly across
 * the nodes (closed-loop load: the same as round-robin). Configurations, same run:
 *   1 node × ONNX threads = cores, and N nodes × 1 thread (N = 2 by default).
 * SCALE_SECONDS (default 30) per round after a 5 s warm-up, SCALE_ROUNDS (default 3)
 * rounds in ABBA order, medians reported. Writes
 * bench-results/scale-api.md. Uses FACEREC_TEST_POSTGRES_URL's server, else starts one.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { sampleImagePath, repoRoot } from '../src/test-support/fixtures.js';
import { startPostgresDatabase } from '../src/test-support/postgres-server.js';
import { syntheticFaces } from '../src/test-support/test-datasets.js';

const SECONDS = Number(process.env.SCALE_SECONDS ?? 30);
const CONNECTIONS = Number(process.env.SCALE_CONNECTIONS ?? 8);
const CORES = availableParallelism();
const ROUNDS = Number(process.env.SCALE_ROUNDS ?? 3);

interface ServeNode {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** A `facerec serve` process on a free port; resolves once it prints its address. */
async function startNode(db: string, threads: number): Promise<ServeNode> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'src', 'cli', 'bin.ts'), 'serve', '--db', db, '--port', '0', '--threads', String(threads), '--rate-limit', '0', '--queue', '256'], {
    cwd: repoRoot,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`facerec serve did not start within 120 s: ${log}`)), 120_000);
    child.stderr!.on('data', () => {
      const m = /listening on (http:\/\/[^\s)]+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => reject(new Error(`facerec serve exited (${code}): ${log}`)));
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    url,
    child,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

interface Measured {
  label: string;
  nodes: number;
  threads: number;
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  /** req/s of every round. */
  all?: string;
}

const photo = await readFile(sampleImagePath(1));
const pgDb = await startPostgresDatabase();
if ('skip' in pgDb) {
  process.stderr.write(`bench:scale-api ${pgDb.skip}\n`);
  process.exit(0);
}

/** Load split across the nodes: CONNECTIONS / N connections each, all at once. */
async function load(nodes: ServeNode[], seconds: number): Promise<{ requests: number; rps: number; p50: number; p99: number; errors: number }> {
  const per = Math.max(1, Math.round(CONNECTIONS / nodes.length));
  const results = await Promise.all(
    nodes.map((n) =>
      autocannon({ url: `${n.url}/api/v1/identify`, method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: photo, connections: per, duration: seconds, timeout: 120 }),
    ),
  );
  // Latency percentiles of the whole load: the request-weighted mean of each node's (the nodes are symmetric).
  const total = results.reduce((s, r) => s + r.requests.total, 0);
  const weighted = (pick: (r: autocannon.Result) => number) => results.reduce((s, r) => s + pick(r) * r.requests.total, 0) / Math.max(total, 1);
  return {
    requests: total,
    rps: results.reduce((s, r) => s + r.requests.average, 0),
    p50: Math.round(weighted((r) => r.latency.p50)),
    p99: Math.round(weighted((r) => r.latency.p99)),
    errors: results.reduce((s, r) => s + r.errors + r.timeouts + r.non2xx, 0),
  };
}

const measured: Measured[] = [];
try {
  // Enrol a small gallery through a first node (it also applies the migrations).
  const seed = await startNode(pgDb.url, CORES);
  try {
    const faces = await syntheticFaces(5);
    for (const [i, f] of faces.entries()) {
      const r = await fetch(`${seed.url}/api/v1/persons`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: `Person ${i + 1}`, images: f.variants.map((v) => v.toString('base64')) }),
      });
      assert.equal(r.status, 201, await r.text());
    }
  } finally {
    await seed.stop();
  }
  const nodesMax = Number(process.env.SCALE_NODES ?? 2);
  const configs = [
    { label: `1 node × ${CORES} threads`, nodes: 1, threads: CORES },
    { label: `${nodesMax} nodes × ${Math.max(1, Math.floor(CORES / nodesMax))} thread(s)`, nodes: nodesMax, threads: Math.max(1, Math.floor(CORES / nodesMax)) },
  ];
  // Every node is started up front (idle nodes cost memory, not CPU), then the
  // configurations take turns, ROUNDS times: the machine's background load hits both alike.
  const groups: ServeNode[][] = [];
  try {
    for (const c of configs) {
      process.stderr.write(`${c.label}: starting…\n`);
      groups.push(await Promise.all(Array.from({ length: c.nodes }, () => startNode(pgDb.url, c.threads))));
      for (const n of groups[groups.length - 1]!) {
        const h = (await (await fetch(`${n.url}/api/v1/health`)).json()) as { faces: number };
        assert.equal(h.faces, 20, `${n.url} loaded the shared gallery`);
      }
      await load(groups[groups.length - 1]!, 5); // warm-up
    }
    const runs: Measured[][] = configs.map(() => []);
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < configs.length; i++) {
        const k = round % 2 === 0 ? i : configs.length - 1 - i; // ABBA order
        const cfg = configs[k]!;
        process.stderr.write(`round ${round + 1}/${ROUNDS}, ${cfg.label}: ${SECONDS} s with ${CONNECTIONS} connections…\n`);
        const r = await load(groups[k]!, SECONDS);
        runs[k]!.push({ ...cfg, ...r });
        process.stderr.write(`  ${r.rps.toFixed(2)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, errors ${r.errors}\n`);
      }
    }
    for (const list of runs) {
      const byRps = [...list].sort((x, y) => x.rps - y.rps);
      const median = byRps[Math.floor(byRps.length / 2)]!;
      measured.push({ ...median, all: list.map((m) => m.rps.toFixed(2)).join(', '), errors: list.reduce((s, m) => s + m.errors, 0) });
    }
  } finally {
    await Promise.all(groups.flat().map((n) => n.stop()));
  }
} finally {
  await pgDb.stop();
}

const base = measured[0]!;
const lines = [
  '# 1 vs 2 API nodes on one PostgreSQL gallery: POST /api/v1/identify',
  '',
  `Run: ${new Date().toISOString()} · Node ${process.version} · ${CORES} cores (${cpus()[0]?.model ?? 'unknown CPU'}) · \`npm run bench:scale-api\` (SCALE_SECONDS=${SECONDS}, SCALE_CONNECTIONS=${CONNECTIONS})`,
  '',
  `Nodes: \`facerec serve --db postgres://… --threads T\` processes on 127.0.0.1, gallery of 5 persons / 20 faces. Load: autocannon, ${CONNECTIONS} connections split evenly over the nodes, each request sample1.jpg (1920×1280, 3 faces). PostgreSQL, the nodes and autocannon share the machine.`,
  '',
  `Configurations take turns (ABBA order), ${ROUNDS} rounds; the row is the median round by req/s (all rounds listed). Load average at the end: ${loadavg().map((l) => l.toFixed(1)).join(', ')}.`,
  '',
  '| configuration | requests | req/s (median) | vs 1 node | p50 ms | p99 ms | errors (all rounds) | req/s of each round |',
  '|---|---|---|---|---|---|---|---|',
  ...measured.map((m) => `| ${m.label} | ${m.requests} | ${m.rps.toFixed(2)} | ${(m.rps / base.rps).toFixed(2)}× | ${m.p50} | ${m.p99} | ${m.errors} | ${m.all ?? ''} |`),
  '',
];
await mkdir(join(repoRoot, 'bench-results'), { recursive: true });
await writeFile(join(repoRoot, 'bench-results', 'scale-api.md'), lines.join('\n'));
process.stdout.write(lines.join('\n'));
for (const m of measured) assert.equal(m.errors, 0, `${m.label}: zero errors expected`);
