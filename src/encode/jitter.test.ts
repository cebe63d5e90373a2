import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CHIP_SIZE, CHIP_VALUES, flipChip, writeNormalisedChip } from './chip.js';
import { SeededRandom, applyJitter, drawJitter, jitterChip } from './jitter.js';

function testChip(): Float32Array {
  const chip = new Float32Array(CHIP_VALUES);
  for (let y = 0; y < CHIP_SIZE; y++)
    for (let x = 0; x < CHIP_SIZE; x++) {
      const o = (y * CHIP_SIZE + x) * 3;
      chip[o] = x;
      chip[o + 1] = y;
      chip[o + 2] = (x * 7 + y * 13) % 256;
    }
  return chip;
}

test('the same seed gives the same jitters; another seed gives others', () => {
  const chip = testChip();
  const a = jitterChip(chip, 4, 42);
  const b = jitterChip(chip, 4, 42);
  const c = jitterChip(chip, 4, 43);
  assert.equal(a.length, 4);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  assert.notDeepEqual(a[0], a[1], 'successive jitters differ');
});

test("jitter parameters stay in dlib's ranges and half of them mirror", () => {
  const rng = new SeededRandom(1);
  let flips = 0;
  for (let i = 0; i < 2000; i++) {
    const j = drawJitter(rng);
    assert.ok(j.boxSize >= 144 && j.boxSize <= 148, `box ${j.boxSize}`);
    assert.ok(Math.abs(j.angle) <= (3 * Math.PI) / 180);
    const centre = j.left + Math.trunc(j.boxSize / 2);
    assert.ok(Math.abs(centre - 75) <= 3, `centre ${centre}`);
    if (j.flip) flips++;
  }
  assert.ok(flips > 900 && flips < 1100, `${flips} flips of 2000`);
});

test('an identity jitter returns the chip (dlib bilinear: the last row/column has no right neighbour) and flip mirrors it', () => {
  const chip = testChip();
  const same = applyJitter(chip, { left: 0, top: 0, boxSize: CHIP_SIZE, angle: 0, flip: false });
  for (let y = 0; y < CHIP_SIZE - 1; y++)
    for (let x = 0; x < CHIP_SIZE - 1; x++)
      for (let c = 0; c < 3; c++) assert.ok(Math.abs(same[(y * CHIP_SIZE + x) * 3 + c]! - chip[(y * CHIP_SIZE + x) * 3 + c]!) < 1e-4);
  const mirrored = applyJitter(chip, { left: 0, top: 0, boxSize: CHIP_SIZE, angle: 0, flip: true });
  assert.deepEqual(mirrored, flipChip(same));
  assert.equal(flipChip(chip)[0], CHIP_SIZE - 1, 'pixel (0,0) of the mirror is pixel (149,0)');
});

test("chips are normalised like face-api: float32 (v - mean) / 255 into NCHW planes", () => {
  const chip = testChip();
  const batch = new Float32Array(2 * CHIP_VALUES);
  writeNormalisedChip(chip, batch, 1);
  const plane = CHIP_SIZE * CHIP_SIZE;
  const px = 5 * CHIP_SIZE + 9;
  assert.equal(batch[CHIP_VALUES + px], Math.fround(Math.fround(9 - Math.fround(122.782)) / 255));
  assert.equal(batch[CHIP_VALUES + plane + px], Math.fround(Math.fround(5 - Math.fround(117.001)) / 255));
  assert.equal(batch[0], 0, 'index 0 untouched');
  assert.throws(() => writeNormalisedChip(new Float32Array(3), batch, 0), /a chip is 150×150×3 = 67500/);
});
