/** The live WebSocket's liveness switch (query `liveness=true` or a config message), against a real listening server. */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import sharp from 'sharp';
import WebSocket from 'ws';
import { humanModelsDir, HUMAN_MODELS_MISSING } from '../liveness/liveness-models.js';
import { disposeSharedLivenessChecker } from '../liveness/shared-checker.js';
import { sampleImagePath } from '../test-support/fixtures.js';
import { tempDir } from '../test-support/test-datasets.js';
import { RecognizerSet } from './recognition-queue.js';
import { buildServer } from './server.js';

const skip = humanModelsDir() ? false : `skipped: ${HUMAN_MODELS_MISSING}`;
let recognizers: RecognizerSet;
let app: FastifyInstance;
let base: string;
let frame: Buffer;
const sockets: WebSocket[] = [];

before(async () => {
  const dir = await tempDir('live-liveness');
  recognizers = new RecognizerSet(2);
  app = await buildServer({ db: join(dir, 'live.db'), logger: false, rateLimit: 0, recognizers });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `ws://127.0.0.1:${(app.server.address() as AddressInfo).port}/api/v1/live`;
  frame = await sharp(await readFile(sampleImagePath(1))).resize(960).jpeg().toBuffer();
});

after(async () => {
  for (const ws of sockets) ws.terminate();
  await app.close();
  await recognizers.dispose();
  await disposeSharedLivenessChecker();
});

type Msg = { type: string; faces?: { liveness?: { real: number; live: number; spoof: boolean } }[]; timings?: Record<string, number>; [k: string]: unknown };

function open(url: string): Promise<{ ws: WebSocket; next: () => Promise<Msg> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    sockets.push(ws);
    const messages: Msg[] = [];
    const waiters: ((m: Msg) => void)[] = [];
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as Msg;
      const w = waiters.shift();
      if (w) w(m);
      else messages.push(m);
    });
    const next = () => (messages.length > 0 ? Promise.resolve(messages.shift()!) : new Promise<Msg>((r) => waiters.push(r)));
    ws.once('open', () => resolve({ ws, next }));
    ws.once('error', reject);
  });
}

test('liveness is off by default, on with ?liveness=true and switchable by a config message', { skip }, async () => {
  const { ws, next } = await open(base);
  ws.send(frame);
  const off = await next();
  assert.equal(off.type, 'result');
  assert.ok(off.faces!.length >= 3);
  assert.ok(off.faces!.every((f) => f.liveness === undefined));
  assert.equal(off.timings!.livenessMs, undefined);

  ws.send(JSON.stringify({ type: 'config', liveness: true }));
  assert.equal((await next()).liveness, true);
  ws.send(frame);
  const on = await next();
  assert.equal(on.type, 'result');
  for (const f of on.faces!) assert.ok(f.liveness && f.liveness.real >= 0 && f.liveness.real <= 1 && typeof f.liveness.spoof === 'boolean');
  assert.equal(typeof on.timings!.livenessMs, 'number');

  ws.send(JSON.stringify({ type: 'config', liveness: 'yes' }));
  const bad = await next();
  assert.equal(bad.type, 'error');
  assert.match((bad.error as { message: string }).message, /config field "liveness"/);
  ws.close();

  const q = await open(`${base}?liveness=true`);
  q.ws.send(frame);
  const r = await q.next();
  assert.ok(r.faces!.every((f) => f.liveness !== undefined));
  q.ws.close();
});
