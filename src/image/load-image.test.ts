import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { loadImage } from './load-image.js';
import { FacerecError } from '../errors.js';
import { sampleImagePath } from '../test-support/fixtures.js';

const sample = sampleImagePath(1);

test('every supported format decodes to 8-bit RGB of the right size', async () => {
  const base = sharp(sample).resize(120, 80);
  const encoded: Record<string, Buffer> = {
    jpeg: await base.clone().jpeg().toBuffer(),
    png: await base.clone().png().toBuffer(),
    webp: await base.clone().webp().toBuffer(),
    gif: await base.clone().gif().toBuffer(),
    tiff: await base.clone().tiff().toBuffer(),
    avif: await base.clone().avif().toBuffer(),
    'grayscale png': await base.clone().grayscale().png().toBuffer(),
    '16-bit png': await base.clone().toColourspace('rgb16').png().toBuffer(),
    'png with alpha': await base.clone().ensureAlpha(0.5).png().toBuffer(),
  };
  for (const [name, bytes] of Object.entries(encoded)) {
    const image = await loadImage(bytes, { label: name });
    assert.equal(image.width, 120, name);
    assert.equal(image.height, 80, name);
    assert.equal(image.data.length, 120 * 80 * 3, name);
  }
});

test('grayscale decodes to equal R, G and B', async () => {
  const image = await loadImage(await sharp(sample).resize(60).grayscale().png().toBuffer());
  for (let i = 0; i < image.data.length; i += 3) {
    assert.equal(image.data[i], image.data[i + 1]);
    assert.equal(image.data[i], image.data[i + 2]);
  }
});

test('EXIF orientation is honoured: orientation 6 swaps width and height', async () => {
  const bytes = await sharp(sample).resize(120, 80).withMetadata({ orientation: 6 }).jpeg().toBuffer();
  const image = await loadImage(bytes);
  assert.deepEqual([image.width, image.height], [80, 120]);
});

test('fully transparent pixels are flattened onto white, not left black', async () => {
  const bytes = await sharp({ create: { width: 4, height: 4, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } }).png().toBuffer();
  const image = await loadImage(bytes);
  assert.deepEqual([...image.data.slice(0, 3)], [255, 255, 255]);
});

test('bad inputs fail with a clear error that names the file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'facerec-img-'));
  const jpeg = await readFile(sample);
  const files: Record<string, [Buffer, RegExp]> = {
    'empty.jpg': [Buffer.alloc(0), /"[^"]*empty\.jpg": the file is empty/],
    'notes.jpg': [Buffer.from('this is a text file, not a photo'), /"[^"]*notes\.jpg": not a JPEG, PNG, WebP, GIF, TIFF or AVIF image/],
    'half.jpg': [jpeg.subarray(0, jpeg.length >> 1), /"[^"]*half\.jpg": the file is truncated or corrupt/],
  };
  for (const [name, [bytes, pattern]] of Object.entries(files)) {
    await writeFile(join(dir, name), bytes);
    await assert.rejects(loadImage(join(dir, name)), (err: unknown) => err instanceof FacerecError && pattern.test(err.message), name);
  }
  await assert.rejects(loadImage(join(dir, 'missing.png')), /"[^"]*missing\.png": no such file/);
  await mkdir(join(dir, 'folder.jpg'));
  await assert.rejects(loadImage(join(dir, 'folder.jpg')), /it is a folder/);
  await assert.rejects(loadImage(42 as unknown as string), /Expected a file path or a Uint8Array/);
});

test('an image over the pixel limit is refused before decoding, naming size and limit', async () => {
  await assert.rejects(
    loadImage(sample, { maxPixels: 1_000_000 }),
    (err: unknown) => err instanceof FacerecError && err.code === 'IMAGE_TOO_LARGE' && /1920×1280 is 2\.5 MP, over the 1\.0 MP limit/.test(err.message),
  );
});
