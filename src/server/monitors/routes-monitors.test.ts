/**
 * /api/v1/monitors with the monitor manager running a fake video engine (same
 * contract as src/video's runVideoSession; the real one is exercised by
 * monitors.e2e.test.ts): create/list/start/stop/delete, previews, events,
 * errors naming the field, state after failures, persistence across servers.
 */
import assert from 'node:assert/strict';
import { writeFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { fakeVideoSession } from '../../test-support/fake-video-session.js';
import { tempDir } from '../../test-support/test-datasets.js';
import { RecognizerSet } from '../recognition-queue.js';
import { buildServer, type ServerOptions } from '../server.js';

let dir: string;
let recognizers: RecognizerSet;
let dbs = 0;
const apps: FastifyInstance[] = [];

async function server(options: Partial<ServerOptions> = {}, db = join(dir, `g${++dbs}.db`)): Promise<FastifyInstance> {
  const app = await buildServer({ db, logger: false, rateLimit: 0, recognizers, ...options });
  apps.push(app);
  return app;
}

/** Polls `fn` until it returns a truthy value (or fails after `ms`). */
async function until<T>(what: string, fn: () => Promise<T | undefined | null | false>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const json = (r: { body: string }) => JSON.parse(r.body);

before(async () => {
  dir = await tempDir('monitor-routes');
  recognizers = new RecognizerSet(1);
});
after(async () => {
  for (const app of apps) await app.close();
  await recognizers.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe('monitor routes', () => {
  test('create, list, watch the preview, see events, stop, start, delete', async () => {
    const session = fakeVideoSession({ eventEvery: 4 });
    const app = await server({ monitors: { runSession: session } });
    const created = await app.inject({ method: 'POST', url: '/api/v1/monitors', payload: { name: ' Front door ', url: 'rtsp://admin:secret@10.0.0.5:554/stream1' } });
    assert.equal(created.statusCode, 201, created.body);
    const m = json(created);
    assert.equal(m.name, 'Front door');
    assert.equal(m.url, 'rtsp://admin:***@10.0.0.5:554/stream1', 'the password is not shown');
    assert.equal(m.detector, 'fast');
    assert.equal(m.enabled, true);
    // The session got the real URL, a reconnecting session and the chosen detector.
    await until('the session to start', async () => session.calls.length === 1);
    assert.equal(session.calls[0]!.input, 'rtsp://admin:secret@10.0.0.5:554/stream1');
    assert.equal(session.calls[0]!.reconnect, true);
    assert.equal(session.calls[0]!.detector, 'fast');

    await until('running', async () => json(await app.inject(`/api/v1/monitors/${m.id}`)).status.state === 'running');
    const list = json(await app.inject('/api/v1/monitors'));
    assert.deepEqual(list.monitors.map((x: { id: number }) => x.id), [m.id]);

    const preview = await until('a preview frame', async () => {
      const r = await app.inject(`/api/v1/monitors/${m.id}/preview.jpg`);
      return r.statusCode === 200 ? r : null;
    });
    assert.equal(preview.headers['content-type'], 'image/jpeg');
    assert.deepEqual([...preview.rawPayload.subarray(0, 2)], [0xff, 0xd8]);

    const events = await until('two events', async () => {
      const e = json(await app.inject(`/api/v1/monitors/${m.id}/events`)).events;
      return e.length >= 2 ? e : null;
    });
    assert.equal(events[0].person, 'Ada');
    assert.ok(events[0].trackId > events[1].trackId, 'newest first');
    assert.ok(Date.parse(events[0].firstSeenAt) <= Date.parse(events[0].lastSeenAt));
    const thumb = await app.inject(events[0].thumbnail);
    assert.equal(thumb.statusCode, 200);
    assert.deepEqual([...thumb.rawPayload.subarray(0, 2)], [0xff, 0xd8]);

    const stopped = await app.inject({ method: 'POST', url: `/api/v1/monitors/${m.id}/stop` });
    assert.equal(stopped.statusCode, 200);
    assert.equal(json(stopped).enabled, false);
    assert.equal(json(stopped).status.state, 'stopped');
    assert.equal(session.calls[0]!.signal?.aborted, true, 'stop aborts the session');
    const missing = await app.inject(`/api/v1/monitors/${m.id}/preview.jpg`);
    assert.equal(missing.statusCode, 404);
    assert.match(json(missing).error.message, /no frame yet/);

    const started = await app.inject({ method: 'POST', url: `/api/v1/monitors/${m.id}/start` });
    assert.equal(json(started).enabled, true);
    await until('a second session', async () => session.calls.length === 2);

    const del = await app.inject({ method: 'DELETE', url: `/api/v1/monitors/${m.id}` });
    assert.equal(del.statusCode, 204);
    assert.equal(session.calls[1]!.signal?.aborted, true, 'delete stops the session');
    assert.equal((await app.inject(`/api/v1/monitors/${m.id}`)).statusCode, 404);
    assert.deepEqual(json(await app.inject('/api/v1/monitors')).monitors, []);
  });

  test('bad input is a 400 naming the field; an unknown id is a 404', async () => {
    const app = await server({ monitors: { runSession: fakeVideoSession() } });
    const post = (payload: unknown) => app.inject({ method: 'POST', url: '/api/v1/monitors', payload: payload as object });
    const cases: [unknown, RegExp][] = [
      [{ url: 'rtsp://cam/1' }, /"name" is required/],
      [{ name: 'x' }, /"url" is required/],
      [{ name: '   ', url: 'rtsp://cam/1' }, /"name" is blank/],
      [{ name: 'x', url: 'ftp://cam/1' }, /"url" has the scheme "ftp"/],
      [{ name: 'x', url: 'http://' }, /"url" is not a valid URL/],
      [{ name: 'x', url: '/etc/passwd' }, /"url" must be an rtsp:\/\/.*local file paths are accepted only when the server allows them/],
      [{ name: 'x', url: '/dev/sda' }, /"url" names the device/],
      [{ name: 'x', url: 'rtsp://cam/1', detector: 'slow' }, /"detector" must be one of "fast", "accurate"/],
      [{ name: 'x', url: 'rtsp://cam/1', colour: 'red' }, /"colour" is not allowed/],
    ];
    for (const [payload, message] of cases) {
      const r = await post(payload);
      assert.equal(r.statusCode, 400, `${JSON.stringify(payload)} → ${r.body}`);
      assert.match(json(r).error.message, message, JSON.stringify(payload));
    }
    assert.equal((await post({ name: 'cam', url: '/dev/video0', enabled: false })).statusCode, 201);

    const bad = await app.inject('/api/v1/monitors/abc');
    assert.equal(bad.statusCode, 400);
    assert.match(json(bad).error.message, /"id" must be integer/);
    const badLimit = await app.inject('/api/v1/monitors/1/events?limit=0');
    assert.equal(badLimit.statusCode, 400);
    assert.match(json(badLimit).error.message, /"limit" must be >= 1/);

    for (const [method, url] of [
      ['GET', '/api/v1/monitors/999'],
      ['DELETE', '/api/v1/monitors/999'],
      ['POST', '/api/v1/monitors/999/start'],
      ['POST', '/api/v1/monitors/999/stop'],
      ['GET', '/api/v1/monitors/999/events'],
      ['GET', '/api/v1/monitors/999/preview.jpg'],
      ['GET', '/api/v1/monitors/999/preview.mjpg'],
      ['GET', '/api/v1/monitors/999/events/1/thumbnail'],
    ] as const) {
      const r = await app.inject({ method, url });
      assert.equal(r.statusCode, 404, `${method} ${url}`);
      assert.equal(json(r).error.code, 'NOT_FOUND');
    }
    const notRunning = await app.inject('/api/v1/monitors/1/preview.mjpg');
    assert.equal(notRunning.statusCode, 409);
    assert.match(json(notRunning).error.message, /not running/);
  });

  test('local file paths are accepted only when the server allows them', async () => {
    const file = join(dir, 'clip.mp4');
    await writeFile(file, 'not really a video');
    const strict = await server({ monitors: { runSession: fakeVideoSession() } });
    const r1 = await strict.inject({ method: 'POST', url: '/api/v1/monitors', payload: { name: 'f', url: file, enabled: false } });
    assert.equal(r1.statusCode, 400);
    const open = await server({ monitors: { runSession: fakeVideoSession(), allowFiles: true } });
    assert.equal((await open.inject({ method: 'POST', url: '/api/v1/monitors', payload: { name: 'f', url: file, enabled: false } })).statusCode, 201);
    const r2 = await open.inject({ method: 'POST', url: '/api/v1/monitors', payload: { name: 'f', url: 'relative/clip.mp4' } });
    assert.match(json(r2).error.message, /"url" is a relative file path/);
    const r3 = await open.inject({ method: 'POST', url: '/api/v1/monitors', payload: { name: 'f', url: join(dir, 'absent.mp4') } });
    assert.match(json(r3).error.message, /"url" names no file/);
  });

  test('a stream that cannot be opened shows "reconnecting" with its error, and is retried', async () => {
    const session = fakeVideoSession();
    const app = await server({ monitors: { runSession: session, retryDelayMs: 20 } });
    const m = json(await app.inject({ method: 'POST', url: '/api/v1/monitors', payload: { name: 'dead', url: 'rtsp://unreachable.invalid/x' } }));
    const status = await until('reconnecting', async () => {
      const s = json(await app.inject(`/api/v1/monitors/${m.id}`)).status;
      return s.state === 'reconnecting' && session.calls.length >= 3 ? s : null;
    });
    assert.match(status.lastError, /Connection refused/);
    const stopped = json(await app.inject({ method: 'POST', url: `/api/v1/monitors/${m.id}/stop` }));
    assert.equal(stopped.status.state, 'stopped');
    const calls = session.calls.length;
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(session.calls.length, calls, 'no retries after stop');
  });

  test('monitors and events survive a restart; enabled ones start again, disabled ones do not', async () => {
    const db = join(dir, 'persist.db');
    const first = fakeVideoSession({ eventEvery: 3 });
    const app1 = await server({ monitors: { runSession: first } }, db);
    const on = json(await app1.inject({ method: 'POST', url: '/api/v1/monitors', payload: { name: 'On', url: 'http://cam.local/on.mjpg', detector: 'accurate' } }));
    const off = json(await app1.inject({ method: 'POST', url: '/api/v1/monitors', payload: { name: 'Off', url: 'rtsp://cam.local/off', enabled: false } }));
    await until('an event', async () => json(await app1.inject(`/api/v1/monitors/${on.id}/events`)).events.length > 0);
    await app1.close();
    assert.equal(first.calls[0]!.signal?.aborted, true, 'closing the server stops its sessions');
    const eventsBefore = (await (async () => {
      const app = await server({ monitors: { runSession: fakeVideoSession(), autostart: false } }, db);
      const e = json(await app.inject(`/api/v1/monitors/${on.id}/events?limit=1000`)).events;
      await app.close();
      return e;
    })()) as { trackId: number }[];
    assert.ok(eventsBefore.length > 0, 'events were persisted (including the track flushed at close)');

    const second = fakeVideoSession();
    const app2 = await server({ monitors: { runSession: second } }, db);
    const list = json(await app2.inject('/api/v1/monitors')).monitors;
    assert.deepEqual(list.map((m: { id: number; name: string; enabled: boolean; detector: string }) => [m.id, m.name, m.enabled, m.detector]), [
      [on.id, 'On', true, 'accurate'],
      [off.id, 'Off', false, 'fast'],
    ]);
    await until('the enabled monitor to run again', async () => json(await app2.inject(`/api/v1/monitors/${on.id}`)).status.state === 'running');
    assert.deepEqual(second.calls.map((c) => c.input), ['http://cam.local/on.mjpg'], 'only the enabled monitor restarted');
    assert.equal(second.calls[0]!.detector, 'accurate');
    assert.equal(json(await app2.inject(`/api/v1/monitors/${off.id}`)).status.state, 'stopped');
    const events = json(await app2.inject(`/api/v1/monitors/${on.id}/events?limit=1000`)).events;
    assert.ok(events.length >= eventsBefore.length);
  });

  test('the MJPEG preview streams JPEG parts and ends when the monitor stops', async () => {
    const app = await server({ monitors: { runSession: fakeVideoSession({ frameMs: 15 }) } });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const m = json(await app.inject({ method: 'POST', url: '/api/v1/monitors', payload: { name: 'm', url: 'rtsp://cam/m' } }));
    const res = await fetch(`${base}${m.preview}`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'multipart/x-mixed-replace; boundary=facerec-frame');
    const reader = res.body!.getReader();
    let bytes = Buffer.alloc(0);
    while ((bytes.toString('latin1').match(/--facerec-frame\r\n/g) ?? []).length < 4) {
      const { value, done } = await reader.read();
      assert.ok(!done, 'the stream stays open while the monitor runs');
      bytes = Buffer.concat([bytes, value]);
    }
    const text = bytes.toString('latin1');
    const first = /--facerec-frame\r\nContent-Type: image\/jpeg\r\nContent-Length: (\d+)\r\n\r\n/.exec(text);
    assert.ok(first, 'a part header');
    const start = first.index + first[0].length;
    const part = bytes.subarray(start, start + Number(first[1]));
    assert.deepEqual([...part.subarray(0, 2)], [0xff, 0xd8], 'a JPEG part starts with SOI');
    assert.deepEqual([...part.subarray(-2)], [0xff, 0xd9], 'and ends with EOI');

    await fetch(`${base}/api/v1/monitors/${m.id}/stop`, { method: 'POST' });
    for (;;) {
      const { done } = await reader.read();
      if (done) break;
    }
  });

  test('closing the server ends open MJPEG previews instead of hanging on them', async () => {
    const session = fakeVideoSession({ frameMs: 15 });
    const app = await buildServer({ db: join(dir, 'close.db'), logger: false, rateLimit: 0, recognizers, monitors: { runSession: session } });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const m = json(await app.inject({ method: 'POST', url: '/api/v1/monitors', payload: { name: 'm', url: 'rtsp://cam/m' } }));
    await until('a frame', async () => (await app.inject(`/api/v1/monitors/${m.id}/preview.jpg`)).statusCode === 200);
    const res = await fetch(`${base}${m.preview}`);
    const reader = res.body!.getReader();
    await reader.read();
    const t0 = Date.now();
    await app.close();
    assert.ok(Date.now() - t0 < 5000, `closed in ${Date.now() - t0} ms`);
    for (;;) {
      const { done } = await reader.read();
      if (done) break;
    }
    assert.equal(session.calls[0]!.signal?.aborted, true);
  });

  test('the monitor routes are described in the OpenAPI document and on /api', async () => {
    const app = await server({ monitors: { runSession: fakeVideoSession() } });
    const doc = json(await app.inject('/api/v1/openapi.json'));
    for (const path of ['/api/v1/monitors', '/api/v1/monitors/{id}', '/api/v1/monitors/{id}/start', '/api/v1/monitors/{id}/stop', '/api/v1/monitors/{id}/events', '/api/v1/monitors/{id}/preview.mjpg', '/api/v1/monitors/{id}/preview.jpg']) {
      assert.ok(doc.paths[path], `${path} in openapi.json`);
    }
    const page = await app.inject('/api');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /preview\.mjpg/);
  });

  test('with an API key, monitor routes need it (the preview accepts ?key=)', async () => {
    const app = await server({ apiKey: 'k3y', monitors: { runSession: fakeVideoSession() } });
    assert.equal((await app.inject('/api/v1/monitors')).statusCode, 401);
    assert.equal((await app.inject({ method: 'POST', url: '/api/v1/monitors', payload: { name: 'x', url: 'rtsp://c/x' } })).statusCode, 401);
    const m = json(await app.inject({ method: 'POST', url: '/api/v1/monitors', headers: { 'x-api-key': 'k3y' }, payload: { name: 'x', url: 'rtsp://c/x' } }));
    assert.equal((await app.inject(`/api/v1/monitors/${m.id}/preview.jpg`)).statusCode, 401);
    await until('a frame', async () => (await app.inject(`/api/v1/monitors/${m.id}/preview.jpg?key=k3y`)).statusCode === 200);
  });
});
