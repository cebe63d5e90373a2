import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli, tempDir, writeSyntheticDataset } from '../test-support/test-datasets.js';

test('gallery list, export → import into a new database, rename, merge and a confirmed delete', async () => {
  const dir = await tempDir('facerec-gallery-cli-');
  const dataset = join(dir, 'dataset');
  const names = await writeSyntheticDataset(dataset, 3, 2);
  const db = join(dir, 'a.db');
  const enrolled = await runCli(['enroll', dataset, '--db', db, '--workers', '1']);
  assert.equal(enrolled.code, 0, enrolled.err);

  const list = await runCli(['gallery', 'list', '--db', db]);
  assert.equal(list.code, 0, list.err);
  assert.match(list.out, /3 persons, 6 faces, model dlib-resnet128:/);
  for (const n of names) assert.match(list.out, new RegExp(`\\s2  ${n}\\n`));

  const file = join(dir, 'backup.json');
  assert.match((await runCli(['gallery', 'export', file, '--db', db])).out, /exported 3 persons and 6 faces/);
  const exported = JSON.parse(await readFile(file, 'utf8'));
  assert.equal(exported.format, 'facerec-gallery');

  const db2 = join(dir, 'b.db');
  assert.match((await runCli(['gallery', 'import', file, '--db', db2])).out, /imported 6 faces of 3 persons .*\(0 already there/);
  assert.match((await runCli(['gallery', 'import', file, '--db', db2])).out, /imported 0 faces .*\(6 already there/, 'a second import adds nothing');
  const before = JSON.parse((await runCli(['gallery', 'list', '--json', '--db', db])).out);
  const after = JSON.parse((await runCli(['gallery', 'list', '--json', '--db', db2])).out);
  assert.deepEqual(after.persons.map((p: { name: string; faceCount: number }) => [p.name, p.faceCount]), before.persons.map((p: { name: string; faceCount: number }) => [p.name, p.faceCount]));
  assert.equal(after.modelId, before.modelId);

  assert.match((await runCli(['gallery', 'rename', names[0]!, 'Ada Lovelace', '--db', db2])).out, /renamed "person-a" to "Ada Lovelace" \(2 faces\)/);
  assert.match((await runCli(['gallery', 'merge', names[1]!, 'Ada Lovelace', '--db', db2])).out, /now 4 faces/);
  const refused = await runCli(['gallery', 'delete', 'Ada Lovelace', '--db', db2]);
  assert.equal(refused.code, 2);
  assert.match(refused.err, /add --yes to confirm/);
  assert.equal((await runCli(['gallery', 'delete', 'Ada Lovelace', '--yes', '--db', db2])).code, 0);
  assert.match((await runCli(['gallery', 'list', '--db', db2])).out, /1 persons, 2 faces/);
});

test('gallery mistakes get one sentence each and change nothing', async () => {
  const dir = await tempDir('facerec-gallery-bad-');
  const missing = await runCli(['gallery', 'list', '--db', join(dir, 'none.db')]);
  assert.equal(missing.code, 1);
  assert.match(missing.err, /none\.db" does not exist/);
  assert.match((await runCli(['gallery', 'frob'])).err, /unknown action "frob"/);
  assert.match((await runCli(['gallery', 'rename', 'only-one'])).err, /expects 2 arguments, got 1/);
  const badFile = join(dir, 'bad.json');
  await (await import('node:fs/promises')).writeFile(badFile, '{"format":"something-else"}');
  const bad = await runCli(['gallery', 'import', badFile, '--db', join(dir, 'c.db')]);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /bad\.json/);
});
