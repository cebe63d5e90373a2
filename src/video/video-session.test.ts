/**
 * End to end on a generated clip: real photos of two enrolled persons and one
 * stranger glide across a 640×480 canvas at known times; the session must name
 * them in time, report the stranger as unknown, survive a truncated file with
 * its events written, explain a missing ffmpeg, and (as the CLI) keep its output
 * playable after Ctrl-C.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_ENCODE_OPTIONS, FaceRecognizer } from '../face-recognizer.js';
import { embeddingModelId } from '../encode/embedding-model-id.js';
import { openGalleryDb } from '../enroll/gallery-db.js';
import type { GalleryStore } from '../gallery/gallery-store.js';
import { loadImage } from '../image/load-image.js';
import { repoRoot, sharedData, sharedDataSkip } from '../test-support/fixtures.js';
import { faceCard, writeClip, type ClipSpec } from '../test-support/video-clip.js';
import { runVideoSession, type TrackEvent } from './video-session.js';

const examples = sharedData('face_recognition_examples');
const hasFfmpeg = spawnSync('sh', ['-c', 'command -v ffmpeg && command -v ffprobe'], { encoding: 'utf8' }).status === 0;
const skip = !examples ? sharedDataSkip('face_recognition_examples') : !hasFfmpeg ? 'skipped: ffmpeg is not installed (apt-get install ffmpeg)' : false;

/** When each person is on screen, in seconds. */
const OBAMA = { from: 0, to: 2 };
const BIDEN = { from: 2.5, to: 4.5 };
const STRANGER = { from: 5, to: 6 };

function ffprobeFrames(file: string): { frames: number; stderr: string } {
  const r = spawnSync('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', file], { encoding: 'utf8' });
  return { frames: Number(r.stdout.trim()), stderr: r.stderr };
}

describe('video session on a generated clip', { skip }, () => {
  let dir = '';
  let recognizer: FaceRecognizer;
  let store: GalleryStore;
  let dbPath = '';
  let clip = '';
  let spec: ClipSpec;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'facerec-video-'));
    recognizer = await FaceRecognizer.create({ detector: 'fast', threads: 2 });
    const ex = join(examples!, 'examples');
    // Enrolled from one photo each; the clip shows OTHER photos of them.
    dbPath = join(dir, 'gallery.db');
    store = await openGalleryDb(dbPath, { create: true });
    const modelId = embeddingModelId(DEFAULT_ENCODE_OPTIONS);
    for (const [name, photo] of [
      ['Barack Obama', join(ex, 'obama.jpg')],
      ['Joe Biden', join(ex, 'biden.jpg')],
    ] as const) {
      const [face] = await recognizer.detectFaces(await loadImage(photo));
      await store.addFaces(name, [{ embedding: face!.encoding, sourcePath: photo }], modelId);
    }
    const [a, b, u] = await Promise.all([
      faceCard(recognizer, join(ex, 'knn_examples/test/obama1.jpg')),
      faceCard(recognizer, join(ex, 'knn_examples/train/biden/biden2.jpg')),
      faceCard(recognizer, join(ex, 'knn_examples/train/kit_harington/john1.jpeg')),
    ]);
    spec = {
      width: 640,
      height: 480,
      fps: 15,
      seconds: 6.5,
      appearances: [
        { card: a, ...OBAMA, y: 100, x0: 20, x1: 460 },
        { card: b, ...BIDEN, y: 220, x0: 460, x1: 20 },
        { card: u, ...STRANGER, y: 150, x0: 100, x1: 400 },
      ],
    };
    clip = join(dir, 'clip.mp4');
    await writeClip(clip, spec);
  });

  after(async () => {
    await store?.close();
    await recognizer?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('names the enrolled persons within ±0.5 s of their appearance, the stranger as unknown; writes the annotated MP4 and events', async () => {
    const eventsPath = join(dir, 'run1', 'events.jsonl');
    const outPath = join(dir, 'run1', 'annotated.mp4');
    const streamed: TrackEvent[] = [];
    let frameCalls = 0;
    let jpegs = 0;
    const summary = await runVideoSession({
      input: clip,
      gallery: { store },
      recognizer,
      outPath,
      eventsPath,
      blur: 'unknown',
      wantJpeg: (i) => i % 20 === 0,
      onEvent: (e) => streamed.push(e),
      onFrame: (f) => {
        frameCalls++;
        if (f.jpeg) jpegs++;
        assert.equal(f.width, 640);
      },
    });
    assert.equal(summary.error, undefined);
    assert.equal(summary.frames, 98);
    assert.equal(frameCalls, 98);
    assert.equal(jpegs, 5);
    const named = (person: string | null) => summary.events.filter((e) => e.person === person);
    for (const [person, when] of [
      ['Barack Obama', OBAMA],
      ['Joe Biden', BIDEN],
      [null, STRANGER],
    ] as const) {
      const evs = named(person);
      assert.equal(evs.length, 1, `${person ?? 'unknown'}: one track, got ${JSON.stringify(summary.events)}`);
      const e = evs[0]!;
      assert.ok(Math.abs(e.firstTimestamp - when.from) <= 0.5, `${person} appears at ${e.firstTimestamp}, expected ${when.from}`);
      assert.ok(Math.abs(e.lastTimestamp - when.to) <= 0.5, `${person} leaves at ${e.lastTimestamp}, expected ${when.to}`);
      if (person) assert.ok(e.bestDistance !== null && e.bestDistance <= 0.6, `${person} distance ${e.bestDistance}`);
      else assert.ok(e.bestDistance === null || e.bestDistance > 0.6, `stranger distance ${e.bestDistance}`);
      assert.ok(e.thumbnailPath && existsSync(e.thumbnailPath), 'thumbnail written');
    }
    assert.equal(summary.events.length, 3);
    assert.deepEqual(streamed, summary.events);
    // The events file: one JSON line per track, same content.
    const lines = (await readFile(eventsPath, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(
      lines.map((l) => [l.trackId, l.person, l.thumbnail]),
      summary.events.map((e) => [e.trackId, e.person, e.thumbnailPath]),
    );
    const obama = summary.persons.find((p) => p.person === 'Barack Obama');
    assert.ok(obama && Math.abs(obama.secondsOnScreen - 2) <= 0.5, JSON.stringify(summary.persons));
    // The annotated video decodes completely.
    const probe = ffprobeFrames(outPath);
    assert.equal(probe.frames, 98);
    assert.equal(probe.stderr, '');
  });

  test('a truncated file: a clear error naming it, and the events seen before the cut are still written', async () => {
    const bytes = await readFile(clip);
    const cut = join(dir, 'cut.mp4');
    await writeFile(cut, bytes.subarray(0, bytes.length >> 1));
    const eventsPath = join(dir, 'run2', 'events.jsonl');
    const summary = await runVideoSession({ input: cut, gallery: { store }, recognizer, eventsPath });
    assert.match(summary.error ?? '', /cut\.mp4" is truncated or corrupt: decoding stopped after \d+ of 98 frames/);
    assert.ok(summary.frames > 10 && summary.frames < 98, `frames ${summary.frames}`);
    const lines = (await readFile(eventsPath, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { person: string | null });
    assert.ok(lines.length >= 1);
    assert.equal(lines[0]!.person, 'Barack Obama');
    assert.deepEqual(
      lines.map((l) => l.person),
      summary.events.map((e) => e.person),
    );
  });

  test('Ctrl-C (SIGINT) on facerec video finishes the output file: it stays playable', async () => {
    // A long clip (600 frames) so that the run is still going when the signal
    // arrives even on an idle machine (~45 frames/s: the output reaches 40 kB near
    // frame 240, leaving several seconds of margin).
    const long = join(dir, 'long.mp4');
    await writeClip(long, { ...spec, fps: 15, seconds: 40, appearances: [{ ...spec.appearances[0]!, from: 0, to: 40 }] });
    const out = join(dir, 'sigint.mp4');
    const events = join(dir, 'sigint.jsonl');
    const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/cli/bin.ts'), 'video', long, '--db', dbPath, '--out', out, '--events', events], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
    // Wait until a couple of fragments (one per 2 s of video) are on disk.
    const deadline = Date.now() + 40_000;
    while (Date.now() < deadline) {
      const size = await stat(out).then((s) => s.size, () => 0);
      if (size > 40_000) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill('SIGINT');
    const code = await exited;
    assert.equal(code, 0, stderr);
    assert.match(stderr, /stopping/);
    assert.match(stdout, /Barack Obama/);
    const probe = ffprobeFrames(out);
    assert.equal(probe.stderr, '', 'the output decodes without errors');
    assert.ok(probe.frames >= 30 && probe.frames < 600, `frames in the output: ${probe.frames}`);
    const lines = (await readFile(events, 'utf8')).trim().split('\n');
    assert.equal(lines.length, 1, 'the open track was flushed as an event');
  });
});

test('a missing ffmpeg gives the install command', async () => {
  const path = process.env.PATH;
  const empty = await mkdtemp(join(tmpdir(), 'facerec-nopath-'));
  process.env.PATH = empty;
  try {
    await assert.rejects(
      runVideoSession({ input: join(repoRoot, 'package.json'), gallery: null }),
      (err: Error) => /ffprobe was not found on PATH/.test(err.message) && /apt-get install ffmpeg/.test(err.message),
    );
  } finally {
    process.env.PATH = path;
    await rm(empty, { recursive: true, force: true });
  }
});

test('bad inputs are refused with the field named', async () => {
  await assert.rejects(runVideoSession({ input: '/no/such/video.mp4', gallery: null }), /The video file "\/no\/such\/video.mp4" does not exist/);
  await assert.rejects(runVideoSession({ input: 'x.mp4', gallery: null, every: 0 }), /for every/);
  await assert.rejects(runVideoSession({ input: 'x.mp4', gallery: null, blur: 'faces' as 'all' }), /for blur/);
});
