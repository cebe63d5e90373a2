/**
 * End to end with the real video engine: a monitor watches an HTTP camera
 * stream served by the test (a clip made with ffmpeg, one enrolled person then
 * a stranger), and the API reports the person by name, the stranger as
 * unknown, a real annotated preview frame, and a clean stop.
 * Skips with a message when ffmpeg is missing.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import sharp from 'sharp';
import { startCameraStream, type CameraStream } from '../../test-support/camera-stream.js';
import { tempDir } from '../../test-support/test-datasets.js';
import { RecognizerSet } from '../recognition-queue.js';
import { buildServer } from '../server.js';

const hasFfmpeg = spawnSync('sh', ['-c', 'command -v ffmpeg && command -v ffprobe'], { encoding: 'utf8' }).status === 0;
const skip = hasFfmpeg ? false : 'skipped: ffmpeg is not installed (apt-get install ffmpeg)';

async function until<T>(what: string, fn: () => Promise<T | undefined | null | false>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('a monitor on a real HTTP camera stream (ffmpeg)', { skip, timeout: 180_000 }, () => {
  let dir: string;
  let recognizers: RecognizerSet;
  let camera: CameraStream;
  let app: FastifyInstance;

  before(async () => {
    dir = await tempDir('monitor-e2e');
    recognizers = new RecognizerSet(2);
    camera = await startCameraStream(dir, await recognizers.get('accurate'));
    app = await buildServer({ db: join(dir, 'g.db'), logger: false, rateLimit: 0, recognizers, detector: 'fast', monitors: { reconnectDelayMs: 300 } });
    const enrol = await app.inject({ method: 'POST', url: '/api/v1/persons', payload: { name: 'Known Person', image: camera.knownPhoto.toString('base64') } });
    assert.equal(enrol.statusCode, 201, enrol.body);
  });
  after(async () => {
    await app?.close();
    await camera?.close();
    await recognizers?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  test('events name the enrolled person and report the stranger as unknown; preview and stop work', async () => {
    const created = await app.inject({ method: 'POST', url: '/api/v1/monitors', payload: { name: 'Lobby', url: camera.url, detector: 'accurate' } });
    assert.equal(created.statusCode, 201, created.body);
    const m = JSON.parse(created.body) as { id: number };

    const events = await until('an event for each face', async () => {
      const e = JSON.parse((await app.inject(`/api/v1/monitors/${m.id}/events`)).body).events as { person: string | null; thumbnail: string | null; framesSeen: number }[];
      return e.some((x) => x.person === 'Known Person') && e.some((x) => x.person === null) ? e : null;
    });
    // Each face is on screen for 24 frames; a track must cover most of them (not a flicker).
    const known = events.find((x) => x.person === 'Known Person')!;
    assert.ok(known.framesSeen >= 12, `the known track lasted ${known.framesSeen} frames`);
    const stranger = events.find((x) => x.person === null)!;
    assert.ok(stranger.framesSeen >= 12, `the stranger's track lasted ${stranger.framesSeen} frames`);
    assert.ok(known.thumbnail, 'the event has a face thumbnail');
    const thumb = await app.inject(known.thumbnail!);
    assert.equal(thumb.statusCode, 200);
    const tm = await sharp(thumb.rawPayload).metadata();
    assert.equal(tm.format, 'jpeg');

    const status = JSON.parse((await app.inject(`/api/v1/monitors/${m.id}`)).body).status;
    assert.ok(['running', 'reconnecting'].includes(status.state), `state ${status.state}`);
    assert.ok(status.frames >= 40, `${status.frames} frames processed`);
    assert.equal(status.width, 640);

    const preview = await app.inject(`/api/v1/monitors/${m.id}/preview.jpg`);
    assert.equal(preview.statusCode, 200);
    const pm = await sharp(preview.rawPayload).metadata();
    assert.deepEqual([pm.format, pm.width, pm.height], ['jpeg', 640, 480]);

    const stopped = JSON.parse((await app.inject({ method: 'POST', url: `/api/v1/monitors/${m.id}/stop` })).body);
    assert.equal(stopped.status.state, 'stopped');
    assert.equal(stopped.enabled, false);
    const served = camera.requests();
    await new Promise((r) => setTimeout(r, 800));
    assert.equal(camera.requests(), served, 'a stopped monitor no longer reads the stream');
  });
});
