import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { sampleImagePath } from '../test-support/fixtures.js';
import { runCli as run } from '../test-support/test-datasets.js';

const sample = sampleImagePath(1);

test('detect prints file,top,right,bottom,left per face, integers inside the image', async () => {
  const { code, out, err } = await run(['detect', '--workers', '1', sample]);
  assert.equal(code, 0, err);
  const lines = out.trim().split('\n');
  assert.ok(lines.length >= 3, `sample1.jpg shows at least three faces, got ${lines.length}`);
  for (const line of lines) {
    const [file, ...nums] = line.split(',');
    assert.equal(file, sample);
    const [top, right, bottom, left] = nums.map(Number) as [number, number, number, number];
    assert.ok(nums.every((n) => /^\d+$/.test(n)), line);
    assert.ok(top < bottom && left < right && right <= 1920 && bottom <= 1280, line);
  }
});

test('a folder with a corrupt file: the error names it, the good photos are still printed, exit code 1', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'facerec-detect-'));
  await writeFile(join(dir, 'a-good.jpg'), await sharp(sample).resize(960).jpeg().toBuffer());
  await writeFile(join(dir, 'b-broken.jpg'), (await readFile(sample)).subarray(0, 5000));
  await writeFile(join(dir, 'notes.txt'), 'not an image, and not picked up from a folder');
  const { code, out, err } = await run(['detect', '--workers', '2', dir]);
  assert.equal(code, 1);
  assert.match(err, /b-broken\.jpg": the file is truncated or corrupt/);
  assert.ok(out.split('\n').filter((l) => l.includes('a-good.jpg')).length >= 3, out);
  assert.ok(!out.includes('notes.txt'));
});

test('--json gives score, 68 landmarks and named groups; --annotate writes a drawn copy', async () => {
  const outDir = await mkdtemp(join(tmpdir(), 'facerec-annotate-'));
  const { code, out, err } = await run(['detect', '--json', '--annotate', outDir, '--workers', '1', sample]);
  assert.equal(code, 0, err);
  const doc = JSON.parse(out.trim().split('\n')[0]!);
  assert.equal(doc.width, 1920);
  const face = doc.faces[0];
  assert.ok(face.score > 0.5 && face.score <= 1);
  assert.equal(face.landmarks.length, 68);
  assert.equal(face.landmark_groups.left_eye.length, 6);
  assert.equal(face.landmark_groups.chin.length, 17);
  assert.deepEqual(await readdir(outDir), ['sample1.jpg']);
  const drawn = await sharp(join(outDir, 'sample1.jpg')).raw().toBuffer({ resolveWithObject: true });
  assert.deepEqual([drawn.info.width, drawn.info.height], [1920, 1280]);
  // The box's top edge is drawn in green: the pixel there is green-dominant.
  const { top, left, right } = face.box;
  const x = Math.round((left + right) / 2);
  const i = (Math.round(top) * 1920 + x) * drawn.info.channels;
  assert.ok(drawn.data[i + 1]! > 150 && drawn.data[i]! < 120, `pixel at the box edge is green, got ${[...drawn.data.subarray(i, i + 3)]}`);
});

test('fast and hog are the same detector; usage mistakes exit 2 with a sentence', async () => {
  const small = join(await mkdtemp(join(tmpdir(), 'facerec-hog-')), 'small.jpg');
  await writeFile(small, await sharp(sample).resize(960).jpeg().toBuffer());
  const hog = await run(['detect', '--model', 'hog', '--workers', '1', small]);
  const fast = await run(['detect', '--model', 'fast', '--workers', '1', small]);
  assert.equal(hog.code, 0);
  assert.equal(hog.out, fast.out);
  assert.ok(hog.out.length > 0);

  const bad = await run(['detect', '--model', 'mtcnn', sample]);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--model expects accurate, fast, cnn or hog, got "mtcnn"/);
  assert.equal((await run(['detect', '--min-score', '2', sample])).code, 2);
  assert.match((await run(['detect', '--workers', 'many', sample])).err, /--workers expects a whole number from 1 to 256, got "many"/);
  assert.match((await run(['detect'])).err, /give at least one IMAGE or DIR/);
  assert.match((await run(['detect', '/no/such/photo.jpg'])).err, /No such file or folder: "\/no\/such\/photo\.jpg"/);
  assert.match((await run(['detect', '--frobnicate', sample])).err, /facerec detect: Unknown option '--frobnicate'/);
});

test('every command has --help with an example', async () => {
  for (const argv of [['--help'], ['detect', '--help'], ['models', '--help']]) {
    const { code, out } = await run(argv);
    assert.equal(code, 0);
    assert.match(out, /Example/);
    assert.match(out, /facerec /);
  }
  const unknown = await run(['frobnicate']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.err, /unknown command "frobnicate"/);
});
