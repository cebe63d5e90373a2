/**
 * npm run bench:video — frames per second of whole video runs on a 640×480,
 * 30 fps, 10 s clip with 1–3 moving faces (made once with ffmpeg from
 * ../shared/data photos, else from crops of the npm demo photos; cached in the
 * temp folder). Per detector:
 *   - tracking: runVideoSession (decode + detect + track + encode new tracks), no output file;
 *   - tracking + annotated MP4 output (draw + ffmpeg H.264 encode);
 *   - without tracking: decode + detect + landmarks + encode EVERY face of EVERY frame.
 * Medians of BENCH_RUNS (default 3) runs after one warm-up. ONNX threads = 2.
 * Writes bench-results/video.{json,md}.
 */
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FaceRecognizer } from '../src/face-recognizer.js';
import { sampleImagePath, sharedData } from '../src/test-support/fixtures.js';
import { faceCard, writeClip, type ClipSpec } from '../src/test-support/video-clip.js';
import { probeVideo } from '../src/video/ffmpeg.js';
import { startDecoder } from '../src/video/frame-decoder.js';
import { runVideoSession } from '../src/video/video-session.js';
import { markdownTable, median } from './bench-support.js';

const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 3));
const cacheDir = join(tmpdir(), 'facerec-bench-video');
await mkdir(cacheDir, { recursive: true });

async function clip(recognizer: FaceRecognizer): Promise<{ file: string; source: string }> {
  const examples = sharedData('face_recognition_examples');
  const photos = examples
    ? ['knn_examples/test/obama1.jpg', 'knn_examples/train/biden/biden2.jpg', 'knn_examples/train/kit_harington/john1.jpeg'].map((p) => join(examples, 'examples', p))
    : [sampleImagePath(1), sampleImagePath(2), sampleImagePath(3)];
  const source = examples ? '../shared/data/face_recognition_examples' : '@vladmandic/face-api demo photos';
  const file = join(cacheDir, examples ? 'clip-shared-v1.mp4' : 'clip-demo-v1.mp4');
  if (existsSync(file)) return { file, source };
  const [a, b, c] = await Promise.all(photos.map((p) => faceCard(recognizer, p, 140)));
  // 1 face for the first 3 s, 2 until 6 s, then 3: the average scene has ~2 faces.
  const spec: ClipSpec = {
    width: 640,
    height: 480,
    fps: 30,
    seconds: 10,
    appearances: [
      { card: a!, from: 0, to: 10, y: 40, x0: 10, x1: 480 },
      { card: b!, from: 3, to: 10, y: 300, x0: 480, x1: 20 },
      { card: c!, from: 6, to: 10, y: 170, x0: 250, x1: 330 },
    ],
  };
  await writeClip(file, spec);
  return { file, source };
}

/** Decode + full pipeline on every frame: what tracking saves. */
async function withoutTracking(recognizer: FaceRecognizer, file: string, width: number, height: number): Promise<{ frames: number; faces: number }> {
  const decoder = startDecoder(file, { width, height });
  let frames = 0;
  let faces = 0;
  for await (const f of decoder.frames) {
    faces += (await recognizer.detectFaces(f.image, recognizer.detectorKind === 'accurate' ? { zoomOut: 'never' } : {})).length;
    frames++;
  }
  await decoder.ended;
  return { frames, faces };
}

type Mode = 'tracking' | 'tracking + annotated MP4' | 'tracking, detector every 3 frames' | 'no tracking (every face, every frame)';

const rows: (string | number)[][] = [];
const json: Record<string, unknown>[] = [];
for (const detector of ['fast', 'accurate'] as const) {
  const recognizer = await FaceRecognizer.create({ detector, threads: 2 });
  const { file, source } = await clip(recognizer);
  const probe = await probeVideo(file);
  const frames = probe.totalFrames ?? 0;
  const out = join(cacheDir, 'out.mp4');
  const modes: [Mode, () => Promise<number>][] = [
    ['tracking', async () => (await runVideoSession({ input: file, gallery: null, recognizer })).frames],
    ['tracking + annotated MP4', async () => (await runVideoSession({ input: file, gallery: null, recognizer, outPath: out })).frames],
    ['tracking, detector every 3 frames', async () => (await runVideoSession({ input: file, gallery: null, recognizer, every: 3 })).frames],
    ['no tracking (every face, every frame)', async () => (await withoutTracking(recognizer, file, probe.width, probe.height)).frames],
  ];
  await modes[0]![1](); // warm-up: first inferences, V8, page cache
  for (const [mode, run] of modes) {
    const fps: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      const n = await run();
      fps.push(n / ((performance.now() - t0) / 1000));
      if (n !== frames) throw new Error(`${mode}: ${n} frames processed, expected ${frames}`);
    }
    const m = median(fps);
    rows.push([detector, mode, m.toFixed(1), `${(m / 30).toFixed(2)}×`, fps.map((f) => f.toFixed(1)).join(', ')]);
    json.push({ detector, mode, medianFps: m, runs: fps, source });
    console.log(`${detector.padEnd(8)} ${mode.padEnd(40)} ${m.toFixed(1)} frames/s (runs: ${fps.map((f) => f.toFixed(1)).join(', ')})`);
  }
  await recognizer.dispose();
}
await rm(join(cacheDir, 'out.mp4'), { force: true });

const table = markdownTable(['detector', 'mode', 'frames/s (median)', 'vs real time (30 fps)', 'runs'], rows);
console.log(`\n${table}`);
await mkdir('bench-results', { recursive: true });
await writeFile('bench-results/video.json', JSON.stringify({ date: new Date().toISOString(), runs: RUNS, results: json }, null, 2));
await writeFile('bench-results/video.md', `# Video benchmark (${new Date().toISOString().slice(0, 10)}, medians of ${RUNS} runs)\n\n${table}\n`);
