import assert from 'node:assert/strict';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { copyExamples, examplesDir, examplesSkip, KNN_TEST, KNN_TRAIN, runCli, tempDir, writeNoFacePhoto } from '../test-support/test-datasets.js';
import { SqliteGalleryStore } from '../gallery/sqlite-gallery-store.js';

const skip = examplesSkip;

test('folder-per-person: announced, enrolled per person; identify finds them; unknown and no-face lines; re-run enrols nothing', { skip }, async () => {
  const dir = await tempDir('enroll');
  await copyExamples([[KNN_TRAIN, 'train']], dir);
  const db = join(dir, 'gallery.db');
  const first = await runCli(['enroll', '--workers', '1', '--db', db, join(dir, 'train')]);
  assert.equal(first.code, 0, first.err);
  assert.match(first.out, /^layout: folder per person \(.*train\/<Person Name>\/\*\.jpg\): 5 persons, 9 photos$/m);
  assert.match(first.out, /^enrolled 9 faces of 5 persons into .*gallery\.db \(model dlib-resnet128:[0-9a-f]{8}:dlib\+flip\)$/m);
  assert.match(first.out, /^ {2}biden +2 enrolled$/m);
  assert.match(first.out, /^ {2}alex_lacamoire +1 enrolled$/m);

  const probes = join(dir, 'probes');
  await mkdir(probes);
  await copyExamples(
    [
      [`${KNN_TEST}/obama1.jpg`, 'probes/obama1.jpg'],
      [`${KNN_TEST}/alex_lacamoire1.jpg`, 'probes/alex_lacamoire1.jpg'],
      [`${KNN_TEST}/johnsnow_test1.jpg`, 'probes/johnsnow_test1.jpg'],
      ['examples/lin-manuel-miranda.png', 'probes/lin-manuel-miranda.png'],
    ],
    dir,
  );
  await writeNoFacePhoto(join(probes, 'wall.jpg'));
  const id = await runCli(['identify', '--workers', '1', '--db', db, probes]);
  assert.equal(id.code, 0, id.err);
  assert.deepEqual(id.out.trim().split('\n'), [
    `${probes}/alex_lacamoire1.jpg,alex_lacamoire`,
    `${probes}/johnsnow_test1.jpg,kit_harington`,
    `${probes}/lin-manuel-miranda.png,unknown_person`,
    `${probes}/obama1.jpg,obama`,
    `${probes}/wall.jpg,no_persons_found`,
  ]);

  const shown = await runCli(['identify', '--workers', '1', '--db', db, '--show-distance', join(probes, 'obama1.jpg'), join(probes, 'lin-manuel-miranda.png'), join(probes, 'wall.jpg')]);
  const lines = shown.out.trim().split('\n');
  assert.match(lines[0]!, /^.*obama1\.jpg,obama,0\.[0-9]+$/);
  assert.ok(Number(lines[0]!.split(',')[2]) < 0.6);
  assert.match(lines[1]!, /lin-manuel-miranda\.png,unknown_person,None$/);
  assert.match(lines[2]!, /wall\.jpg,no_persons_found,None$/);

  const again = await runCli(['enroll', '--workers', '1', '--db', db, join(dir, 'train')]);
  assert.equal(again.code, 0, again.err);
  assert.match(again.out, /^enrolled 0 faces of 0 persons/m);
  assert.match(again.out, /^skipped 9 photos \(9 duplicate\):$/m);
  assert.match(again.out, /duplicate: .*obama2\.jpg \(already enrolled\)/);
  assert.doesNotMatch(again.out, /no usable photo/);
  const store = await SqliteGalleryStore.open(db);
  try {
    assert.equal((await store.listFaces()).length, 9);
    assert.equal((await store.listPersons()).length, 5);
  } finally {
    await store.close();
  }
});

test('flat layout (name.jpg) is announced and named by file stem; --person adds photos to one person; 2 workers', { skip }, async () => {
  const dir = await tempDir('enroll-flat');
  await copyExamples(
    [
      ['examples/biden.jpg', 'known/biden.jpg'],
      ['examples/obama.jpg', 'known/obama.jpg'],
      ['examples/alex-lacamoire.png', 'known/alex-lacamoire.png'],
    ],
    dir,
  );
  const db = join(dir, 'g.db');
  const r = await runCli(['enroll', '--workers', '2', '--db', db, join(dir, 'known')]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^layout: flat, one person per photo, name = file name without extension .*: 3 persons, 3 photos$/m);
  assert.match(r.out, /^ {2}alex-lacamoire +1 enrolled$/m);

  const extra = await runCli(['enroll', '--workers', '1', '--db', db, '--person', 'obama', join(examplesDir!, 'examples/obama2.jpg'), join(examplesDir!, 'examples/obama-480p.jpg')]);
  assert.equal(extra.code, 0, extra.err);
  assert.match(extra.out, /^enrolling 2 photos as "obama"$/m);
  assert.match(extra.out, /^enrolled 2 faces of 1 person /m);
  const store = await SqliteGalleryStore.open(db);
  try {
    assert.equal((await store.getPerson('obama'))?.faceCount, 3);
  } finally {
    await store.close();
  }
  const id = await runCli(['identify', '--workers', '2', '--db', db, join(examplesDir!, 'examples/two_people.jpg')]);
  assert.equal(id.code, 0, id.err);
  assert.deepEqual(id.out.trim().split('\n').map((l) => l.split(',')[1]).sort(), ['biden', 'obama']);
});

test('--holdout keeps the last photo of each person out, identifies it and reports top-1 accuracy; user files untouched', { skip }, async () => {
  const dir = await tempDir('enroll-holdout');
  await copyExamples([[KNN_TRAIN, 'train']], dir);
  const before = await readFile(join(dir, 'train/obama/obama2.jpg'));
  const r = await runCli(['enroll', '--workers', '1', '--holdout', '1', '--db', join(dir, 'g.db'), join(dir, 'train')]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^enrolled 5 faces of 5 persons/m);
  assert.match(r.out, /^ {2}obama +1 enrolled, 1 held out$/m);
  assert.match(r.out, /^hold-out: top-1 accuracy 100\.00% on 4 photos \(4 right, 0 wrong person, 0 called unknown; tolerance 0\.6\)$/m);
  assert.match(r.out, /not probed \(1 photo or fewer\): alex_lacamoire/);
  assert.deepEqual(await readFile(join(dir, 'train/obama/obama2.jpg')), before);
});

test('several faces: largest enrolled with a warning naming the file, or skipped with --multiple skip', { skip }, async () => {
  const dir = await tempDir('enroll-multi');
  await copyExamples([['examples/two_people.jpg', 'ds/Pair/two_people.jpg']], dir);
  const largest = await runCli(['enroll', '--workers', '1', '--db', join(dir, 'a.db'), join(dir, 'ds')]);
  assert.equal(largest.code, 0, largest.err);
  assert.match(largest.err, /warning: .*two_people\.jpg: 2 faces found, enrolled the largest/);
  assert.match(largest.out, /^enrolled 1 face of 1 person/m);
  const skipped = await runCli(['enroll', '--workers', '1', '--multiple', 'skip', '--db', join(dir, 'b.db'), join(dir, 'ds')]);
  assert.equal(skipped.code, 1);
  assert.match(skipped.out, /several faces: .*two_people\.jpg \(2 faces found \(--multiple skip\)\)/);
  assert.match(skipped.out, /persons with no usable photo, not enrolled: Pair \(1 photo, none usable\)/);
});

test('usage mistakes and empty or missing dataset folders: one sentence each, no database created', async () => {
  const dir = await tempDir('enroll-usage');
  const db = join(dir, 'g.db');
  const empty = join(dir, 'empty');
  await mkdir(empty);
  let r = await runCli(['enroll', '--db', db, empty]);
  assert.equal(r.code, 1);
  assert.match(r.err, /^The dataset folder ".*empty" has no photos: expected/);
  assert.ok(!existsSync(db), 'a bad dataset creates no database');

  r = await runCli(['enroll', '--db', db, join(dir, 'missing')]);
  assert.match(r.err, /The dataset folder ".*missing" does not exist/);
  r = await runCli(['enroll', '--frobnicate', empty]);
  assert.equal(r.code, 2);
  assert.match(r.err, /facerec enroll: Unknown option '--frobnicate'/);
  r = await runCli(['enroll', '--multiple', 'all', empty]);
  assert.match(r.err, /--multiple expects largest or skip, got "all"/);
  r = await runCli(['enroll', empty, empty]);
  assert.match(r.err, /give one DATASET_DIR, got 2 arguments/);
  r = await runCli(['enroll', '--person', 'Ann', '--db', db]);
  assert.match(r.err, /--person NAME needs the photos to enrol/);
  assert.ok(!existsSync(db));
});

test('bad inputs: unreadable and face-less photos named in the summary; bad --db paths; what was enrolled stays', { skip }, async () => {
  const dir = await tempDir('enroll-bad');
  const db = join(dir, 'g.db');
  const ds = join(dir, 'ds');
  await copyExamples([[`${KNN_TRAIN}/obama`, 'ds/obama']], dir);
  await mkdir(join(ds, 'Nobody'));
  await writeNoFacePhoto(join(ds, 'Nobody', 'wall.jpg'));
  await mkdir(join(ds, 'Ghost'));
  const obama = await readFile(join(ds, 'obama', 'obama.jpg'));
  await writeFile(join(ds, 'obama', 'zz-broken.jpg'), obama.subarray(0, 3000));
  let r = await runCli(['enroll', '--db', join(dir, 'nodir', 'g.db'), ds]);
  assert.match(r.err, /^Cannot open the gallery database ".*nodir\/g\.db": the folder ".*nodir" does not exist/m);
  r = await runCli(['enroll', '--db', dir, ds]);
  assert.match(r.err, /^Cannot open the gallery database ".*": it is a folder, not a database file\.$/m);
  await writeFile(join(dir, 'notes.db'), 'these are notes, not a database');
  r = await runCli(['enroll', '--db', join(dir, 'notes.db'), ds]);
  assert.match(r.err, /^Cannot open the gallery database ".*notes\.db": .*not a .*database/m);
  assert.equal(await readFile(join(dir, 'notes.db'), 'utf8'), 'these are notes, not a database');

  r = await runCli(['enroll', '--workers', '1', '--db', db, ds]);
  assert.equal(r.code, 1, 'unreadable photos and unusable persons give exit code 1');
  assert.match(r.out, /^ {2}obama +2 enrolled, 1 skipped$/m);
  assert.match(r.out, /^  unreadable: Cannot read image ".*zz-broken\.jpg": (not a JPEG|the file is truncated)/m);
  assert.match(r.out, /no face: .*Nobody\/wall\.jpg \(no face found\)/);
  assert.match(r.out, /persons with no usable photo, not enrolled: Ghost \(no photo files\); Nobody \(1 photo, none usable\)/);
  const store = await SqliteGalleryStore.open(db);
  try {
    assert.deepEqual((await store.listPersons()).map((p) => p.name), ['obama'], 'no empty person is created');
  } finally {
    await store.close();
  }
});

test('a gallery of another model: enrol and identify refuse, naming both model ids; an empty gallery says how to fill it', { skip }, async () => {
  const dir = await tempDir('enroll-model');
  const db = join(dir, 'other.db');
  const store = await SqliteGalleryStore.open(db);
  await store.addFaces('someone', [{ embedding: new Float32Array(128).fill(0.01) }], 'other-model:1234');
  await store.close();
  const photo = join(dir, 'obama.jpg');
  await copyFile(join(examplesDir!, 'examples/obama.jpg'), photo);
  let r = await runCli(['identify', '--workers', '1', '--db', db, photo]);
  assert.equal(r.code, 1);
  assert.match(r.err, /holds faces of model other-model:1234, but faces are now encoded with dlib-resnet128:[0-9a-f]{8}:dlib\+flip/);
  r = await runCli(['enroll', '--workers', '1', '--db', db, '--person', 'obama', photo]);
  assert.match(r.err, /holds faces of model other-model:1234, but faces are now encoded with dlib-resnet128:/);

  const emptyDb = join(dir, 'empty.db');
  await (await SqliteGalleryStore.open(emptyDb)).close();
  r = await runCli(['identify', '--workers', '1', '--db', emptyDb, photo]);
  assert.match(r.err, /^The gallery ".*empty\.db" has no persons yet; enrol some with facerec enroll DATASET_DIR$/m);
  r = await runCli(['identify', '--workers', '1', '--db', join(dir, 'none.db'), photo]);
  assert.match(r.err, /The gallery database ".*none\.db" does not exist; enrol some persons first with facerec enroll DATASET_DIR/);
  assert.ok(!existsSync(join(dir, 'none.db')), 'identify creates no database');
});

test('enroll and identify have --help with examples', async () => {
  for (const argv of [['enroll', '--help'], ['identify', '--help'], ['help', 'enroll'], ['eval', 'identify', '--help']]) {
    const { code, out } = await runCli(argv);
    assert.equal(code, 0);
    assert.match(out, /Example/);
  }
  const main = await runCli(['--help']);
  assert.match(main.out, /^ {2}enroll /m);
  assert.match(main.out, /^ {2}identify /m);
});
