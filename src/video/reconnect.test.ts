/**
 * Streams reconnect after a drop, with exponential backoff that resets once
 * frames flow again. A local HTTP server plays the camera: it refuses twice
 * (503), then drops the connection half-way through the clip.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeClip } from '../test-support/video-clip.js';
import { runVideoSession } from './video-session.js';

const hasFfmpeg = spawnSync('sh', ['-c', 'command -v ffmpeg && command -v ffprobe']).status === 0;

test('a dropped stream reconnects with doubling delays, reset after frames arrive', { skip: hasFfmpeg ? false : 'skipped: ffmpeg is not installed' }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'facerec-reconnect-'));
  const clip = join(dir, 'camera.mp4');
  // A noisy square crossing the frame, so the clip has real data in every frame.
  const card = { width: 60, height: 60, data: Buffer.from(Array.from({ length: 60 * 60 * 3 }, (_, i) => (i * 7919) % 251)) };
  await writeClip(clip, { width: 320, height: 240, fps: 15, seconds: 4, appearances: [{ card, from: 0, to: 4, y: 90, x0: 0, x1: 260 }] });
  const bytes = await readFile(clip);
  let requests = 0;
  const server = createServer((req, res) => {
    const n = ++requests;
    if (n === 2 || n === 3) {
      res.writeHead(503).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': bytes.length });
    if (n === 1) res.end(bytes); // ffprobe
    else {
      // Half the clip, then the connection drops.
      res.write(bytes.subarray(0, bytes.length >> 1), () => setTimeout(() => res.destroy(), 50));
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/camera.mp4`;
  const logs: string[] = [];
  const controller = new AbortController();
  try {
    const summary = await runVideoSession({
      input: url,
      gallery: null,
      reconnectDelayMs: 100,
      signal: controller.signal,
      onLog: (m) => {
        logs.push(m);
        if (logs.length === 3) controller.abort();
      },
    });
    assert.match(logs[0]!, /camera\.mp4: stream failed .* after 0 frames; reconnecting in 0\.1 s/);
    assert.match(logs[1]!, /after 0 frames; reconnecting in 0\.2 s/);
    assert.match(logs[2]!, /after [1-9]\d* frames; reconnecting in 0\.1 s/, 'backoff reset once frames flowed');
    assert.ok(summary.frames > 0 && summary.frames < 60, `frames ${summary.frames}`);
    assert.equal(summary.error, undefined);
    assert.equal(requests, 4);
  } finally {
    server.close();
    await rm(dir, { recursive: true, force: true });
  }
});
