/**
 * The live WebSocket against a listening server on an ephemeral 127.0.0.1 port,
 * with a real `ws` client: one reply per frame (result or dropped), never more
 * replies than frames; config messages; the API key on the upgrade.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import WebSocket from 'ws';
import { syntheticFaces, tempDir, type SyntheticFace } from '../test-support/test-datasets.js';
import { RecognizerSet } from './recognition-queue.js';
import { buildServer } from './server.js';

let dir: string;
let recognizers: RecognizerSet;
let faces: SyntheticFace[];
let app: FastifyInstance;
let base: string;

before(async () => {
  dir = await tempDir('live');
  recognizers = new RecognizerSet(2);
  faces = await syntheticFaces(2);
  app = await buildServer({ db: join(dir, 'live.db'), logger: false, rateLimit: 0, recognizers, apiKey: 'live-key' });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `ws://127.0.0.1:${(app.server.address() as AddressInfo).port}/api/v1/live`;
  const r = await app.inject({
    method: 'POST',
    url: '/api/v1/persons',
    headers: { 'content-type': 'application/json', 'x-api-key': 'live-key' },
    payload: JSON.stringify({ name: 'Ann', image: faces[0]!.variants[0]!.toString('base64') }),
  });
  assert.equal(r.statusCode, 201, r.body);
});

const sockets: WebSocket[] = [];
after(async () => {
  for (const ws of sockets) ws.terminate();
  await app.close();
  await recognizers.dispose();
});

type Msg = { type: string; frame: number | null; [k: string]: unknown };

function open(url: string, headers: Record<string, string> = {}): Promise<{ ws: WebSocket; messages: Msg[]; next: () => Promise<Msg> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    sockets.push(ws);
    const messages: Msg[] = [];
    const waiters: ((m: Msg) => void)[] = [];
    let read = 0;
    ws.on('message', (data, isBinary) => {
      assert.equal(isBinary, false, 'replies are text');
      messages.push(JSON.parse(String(data)) as Msg);
      const w = waiters.shift();
      if (w) w(messages[read++]!);
    });
    const next = () => (read < messages.length ? Promise.resolve(messages[read++]!) : new Promise<Msg>((r) => waiters.push(r)));
    ws.once('open', () => resolve({ ws, messages, next }));
    ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { statusCode: res.statusCode })));
    ws.once('error', reject);
  });
}

test('one result per frame with faces, names, timings and models', async () => {
  const { ws, next } = await open(`${base}?key=live-key&tolerance=0.6`);
  ws.send(faces[0]!.variants[3]!);
  const r = await next();
  assert.equal(r.type, 'result');
  assert.equal(r.frame, 1);
  assert.ok((r.width as number) > 0 && (r.height as number) > 0);
  const f = (r.faces as { name: string | null; box: unknown; landmarks: unknown[]; distance: number; confidence: number }[])[0]!;
  assert.equal(f.name, 'Ann');
  assert.equal(f.landmarks.length, 68);
  assert.ok(f.distance < 0.6 && f.confidence > 0.5);
  const t = r.timings as Record<string, number>;
  for (const k of ['decodeMs', 'detectMs', 'landmarksMs', 'encodeMs', 'matchMs', 'totalMs']) assert.equal(typeof t[k], 'number', k);
  assert.deepEqual((r.model as { detector: string }).detector, 'fast');

  ws.send(faces[1]!.variants[0]!);
  const u = await next();
  assert.equal(u.frame, 2);
  assert.ok((u.faces as { name: string | null }[]).every((x) => x.name === null), 'another person is unknown');
  ws.close();
});

test('three frames sent at once: each gets exactly one reply (results or drops), never more', async () => {
  const { ws, messages, next } = await open(`${base}?key=live-key`);
  for (let i = 0; i < 3; i++) ws.send(faces[0]!.variants[i]!);
  const replies: Msg[] = [];
  for (let i = 0; i < 3; i++) replies.push(await next());
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(messages.length, 3, 'no extra replies');
  assert.deepEqual(replies.map((m) => m.frame).sort(), [1, 2, 3]);
  const byFrame = new Map(replies.map((m) => [m.frame, m.type]));
  assert.equal(byFrame.get(1), 'result', 'the first frame runs');
  assert.equal(byFrame.get(2), 'dropped', 'the middle frame is superseded by the newest');
  assert.equal(byFrame.get(3), 'result', 'the newest frame runs');
  ws.close();
});

test('config messages change the detector and tolerance; bad ones are errors; bad frames are errors', async () => {
  const { ws, next } = await open(base, { 'x-api-key': 'live-key' });
  ws.send(JSON.stringify({ type: 'config', detector: 'accurate', tolerance: 0.3 }));
  assert.deepEqual(await next(), { type: 'config', detector: 'accurate', tolerance: 0.3 });
  ws.send(JSON.stringify({ type: 'config', detector: 'hog9' }));
  const bad = await next();
  assert.equal(bad.type, 'error');
  assert.match((bad.error as { message: string }).message, /"detector"/);
  ws.send('not json');
  assert.equal((await next()).type, 'error');
  ws.send(Buffer.from('not an image'));
  const e = await next();
  assert.deepEqual([e.type, e.frame, (e.error as { code: string }).code], ['error', 1, 'IMAGE_UNSUPPORTED']);
  ws.send(faces[0]!.variants[0]!);
  const r = await next();
  assert.equal(r.type, 'result');
  assert.equal((r.model as { detector: string }).detector, 'accurate');
  ws.close();
});

test('the upgrade needs the API key: 401 without it', async () => {
  await assert.rejects(open(base), (e: { statusCode?: number }) => e.statusCode === 401);
  await assert.rejects(open(`${base}?key=wrong`), (e: { statusCode?: number }) => e.statusCode === 401);
});
