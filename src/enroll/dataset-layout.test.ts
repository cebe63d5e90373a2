import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { FacerecError } from '../errors.js';
import { describeLayout, scanDataset } from './dataset-layout.js';
import { tempDir } from '../test-support/test-datasets.js';

async function touch(path: string) {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, 'x');
}

test('one folder per person: persons and photos sorted, non-images and loose photos ignored, empty folders named', async () => {
  const dir = await tempDir('layout');
  for (const f of ['Zoe Z/b.jpg', 'Zoe Z/a.PNG', 'Zoe Z/notes.txt', 'Adam/1.jpeg', 'Empty One/readme.md', 'loose.jpg', '.DS_Store', 'Adam/.hidden.jpg']) await touch(join(dir, f));
  await mkdir(join(dir, 'No Files'));
  const scan = await scanDataset(dir);
  assert.equal(scan.layout, 'folder-per-person');
  assert.deepEqual(
    scan.persons.map((p) => [p.name, p.files.map((f) => f.slice(dir.length + 1))]),
    [
      ['Adam', ['Adam/1.jpeg']],
      ['Zoe Z', ['Zoe Z/a.PNG', 'Zoe Z/b.jpg']],
    ],
  );
  assert.deepEqual(scan.emptyPersons, ['Empty One', 'No Files']);
  assert.ok(scan.ignored.some((f) => f.endsWith('loose.jpg')));
  assert.ok(scan.ignored.some((f) => f.endsWith('notes.txt')));
  assert.match(describeLayout(scan), /^folder per person \(.*\/<Person Name>\/\*\.jpg\): 2 persons, 3 photos$/);
});

test('flat layout: one person per photo named by the file stem; one stem in two formats is one person', async () => {
  const dir = await tempDir('layout-flat');
  for (const f of ['obama.jpg', 'biden.png', 'biden.jpg', 'list.csv']) await touch(join(dir, f));
  const scan = await scanDataset(dir);
  assert.equal(scan.layout, 'flat');
  assert.deepEqual(
    scan.persons.map((p) => [p.name, p.files.length]),
    [
      ['biden', 2],
      ['obama', 1],
    ],
  );
  assert.match(describeLayout(scan), /^flat, one person per photo/);
});

test('a missing, empty or photo-less dataset folder is one clear sentence', async () => {
  const rejects = async (dir: string, pattern: RegExp) =>
    assert.rejects(scanDataset(dir), (err: unknown) => err instanceof FacerecError && pattern.test(err.message));
  await rejects('/no/such/dataset', /The dataset folder "\/no\/such\/dataset" does not exist/);
  const empty = await tempDir('layout-empty');
  await rejects(empty, /has no photos: expected .*<Person Name>.* or .*<name>\.jpg/);
  await touch(join(empty, 'Ann', 'notes.txt'));
  await rejects(empty, /has person folders \(Ann\) but none holds a photo/);
  const file = join(empty, 'photo.jpg');
  await touch(file);
  await rejects(file, /is a file, not a dataset folder/);
});
