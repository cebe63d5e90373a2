/** `facerec detect|identify --json --liveness/--attributes` through the real CLI entry. */
import assert from 'node:assert/strict';
import { mkdtemp, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { sampleImagePath } from '../test-support/fixtures.js';
import { runCli } from '../test-support/test-datasets.js';
import { humanModelsDir, HUMAN_MODELS_MISSING } from '../liveness/liveness-models.js';

const skip = humanModelsDir() ? false : `skipped: ${HUMAN_MODELS_MISSING}`;

interface Line {
  faces: { liveness?: { real: number; live: number; spoof: boolean }; attributes?: { age: number; gender: string; genderProbability: number; expression: Record<string, number> } }[];
}

test('detect --json --liveness adds {real, live, spoof} to every face', { skip }, async () => {
  const { code, out, err } = await runCli(['detect', '--json', '--liveness', '--workers', '1', sampleImagePath(1)]);
  assert.equal(code, 0, err);
  const line = JSON.parse(out.trim()) as Line;
  assert.ok(line.faces.length >= 3);
  for (const f of line.faces) {
    assert.ok(f.liveness, 'liveness present');
    assert.ok(f.liveness.real >= 0 && f.liveness.real <= 1 && f.liveness.live >= 0 && f.liveness.live <= 1);
    assert.equal(typeof f.liveness.spoof, 'boolean');
  }
});

test('identify --known --json --liveness scores the faces too', { skip }, async () => {
  const known = await mkdtemp(join(tmpdir(), 'facerec-live-known-'));
  await copyFile(sampleImagePath(1), join(known, 'group.jpg'));
  const { code, out, err } = await runCli(['identify', '--known', known, '--json', '--liveness', '--workers', '1', sampleImagePath(1)]);
  assert.equal(code, 0, err);
  const line = JSON.parse(out.trim()) as Line;
  assert.ok(line.faces.length >= 3);
  for (const f of line.faces) assert.equal(typeof f.liveness?.spoof, 'boolean');
});

test('detect --json --attributes adds age, gender and expression; without the flag there are none', async () => {
  const { code, out, err } = await runCli(['detect', '--json', '--attributes', '--workers', '1', sampleImagePath(1)]);
  assert.equal(code, 0, err);
  const line = JSON.parse(out.trim()) as Line;
  assert.ok(line.faces.length >= 3);
  for (const f of line.faces) {
    const a = f.attributes!;
    assert.ok(a.age > 0 && a.age < 100, JSON.stringify(a));
    assert.ok(a.gender === 'male' || a.gender === 'female');
    assert.ok(a.genderProbability >= 0.5 && a.genderProbability <= 1);
    assert.equal(Object.keys(a.expression).length, 7);
    assert.equal(f.liveness, undefined, 'liveness only when asked');
  }
  const plain = JSON.parse((await runCli(['detect', '--json', '--workers', '1', sampleImagePath(1)])).out.trim()) as Line;
  assert.ok(plain.faces.every((f) => f.attributes === undefined));
});

test('--liveness or --attributes without --json is a usage error saying so', async () => {
  const a = await runCli(['identify', '--attributes', sampleImagePath(1)]);
  assert.notEqual(a.code, 0);
  assert.match(a.err, /--attributes needs --json/);
  const { code, err } = await runCli(['detect', '--liveness', sampleImagePath(1)]);
  assert.notEqual(code, 0);
  assert.match(err, /--liveness needs --json/);
});
