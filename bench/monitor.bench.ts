/**
 * npm run bench:monitor — what a camera monitor's preview costs. The fake HTTP
 * camera of the tests (src/test-support/camera-stream.ts: 640×480, 15 fps,
 * 66 frames, one known face then a stranger) is read by the real video engine
 * over HTTP, as fast as it decodes, in three modes that the monitor manager
 * uses, alternating round by round so machine noise hits them alike:
 *   - no preview (the peer): no JPEG is made;
 *   - idle monitor: one annotated JPEG per second (preview.jpg stays fresh);
 *   - watched: an annotated JPEG for every frame (an MJPEG viewer is connected).
 * Reports median frames per second per mode and the ratio to the peer.
 * Flags: `--detector fast|accurate` (default fast), `--rounds N` (default 5).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecognizerSet } from '../src/server/recognition-queue.js';
import { startCameraStream } from '../src/test-support/camera-stream.js';
import { runVideoSession } from '../src/video/video-session.js';
import { markdownTable, median } from './bench-support.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
};
const detector = option('--detector', 'fast') as 'fast' | 'accurate';
const rounds = Number(option('--rounds', '5'));

const dir = await mkdtemp(join(tmpdir(), 'facerec-bench-monitor-'));
const recognizers = new RecognizerSet(2);
const camera = await startCameraStream(dir, await recognizers.get('accurate'));
const recognizer = await recognizers.get(detector);

type Mode = 'no preview' | 'idle (1 JPEG/s)' | 'watched (JPEG every frame)';
const modes: Record<Mode, () => boolean | ((i: number) => boolean)> = {
  'no preview': () => false,
  'idle (1 JPEG/s)': () => {
    let last = 0;
    return () => {
      const now = Date.now();
      if (now - last < 1000) return false;
      last = now;
      return true;
    };
  },
  'watched (JPEG every frame)': () => true,
};
const fps: Record<Mode, number[]> = { 'no preview': [], 'idle (1 JPEG/s)': [], 'watched (JPEG every frame)': [] };
let jpegBytes = 0;
let jpegCount = 0;
try {
  for (let r = 0; r <= rounds; r++) {
    for (const mode of Object.keys(modes) as Mode[]) {
      let jpegs = 0;
      const t0 = performance.now();
      const s = await runVideoSession({
        input: camera.url,
        gallery: null,
        recognizer,
        reconnect: false,
        wantJpeg: modes[mode](),
        onFrame: (f) => {
          if (f.jpeg) {
            jpegs++;
            jpegBytes += f.jpeg.length;
            jpegCount++;
          }
        },
      });
      const seconds = (performance.now() - t0) / 1000;
      if (r > 0) fps[mode].push(s.frames / seconds); // round 0 warms up
      if (mode === 'watched (JPEG every frame)' && jpegs !== s.frames) throw new Error(`expected a JPEG per frame, got ${jpegs}/${s.frames}`);
    }
  }
} finally {
  await camera.close();
  await recognizers.dispose();
  await rm(dir, { recursive: true, force: true });
}
const peer = median(fps['no preview']);
console.log(`monitor preview cost — ${detector} detector, ${rounds} rounds (+1 warm-up), ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, load ${loadavg()[0]!.toFixed(2)}; mean preview JPEG ${(jpegBytes / Math.max(1, jpegCount) / 1024).toFixed(1)} KB`);
console.log(
  markdownTable(
    ['mode', 'median fps (whole session: probe, decode, detect, track, encode)', 'vs no preview'],
    (Object.keys(fps) as Mode[]).map((m) => [m, median(fps[m]).toFixed(1), `${(median(fps[m]) / peer).toFixed(2)}×`]),
  ),
);
