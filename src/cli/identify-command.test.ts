import assert from 'node:assert/strict';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { copyExamples, examplesSkip, runCli, syntheticFaces, tempDir, writeNoFacePhoto, writeSyntheticDataset } from '../test-support/test-datasets.js';

test('--known KNOWN_DIR: face_recognition semantics, no database; warnings for known photos without a face', { skip: examplesSkip }, async () => {
  const dir = await tempDir('identify-known');
  await copyExamples(
    [
      ['examples/biden.jpg', 'known/biden.jpg'],
      ['examples/obama.jpg', 'known/obama.jpg'],
      ['examples/obama2.jpg', 'check/obama2.jpg'],
      ['examples/two_people.jpg', 'check/two_people.jpg'],
      ['examples/alex-lacamoire.png', 'check/alex-lacamoire.png'],
    ],
    dir,
  );
  await writeNoFacePhoto(join(dir, 'known', 'wall.jpg'));
  await writeNoFacePhoto(join(dir, 'check', 'wall.jpg'));
  const check = join(dir, 'check');
  const r = await runCli(['identify', '--workers', '1', '--known', join(dir, 'known'), check]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /^WARNING: No faces found in .*known\/wall\.jpg\. Ignoring file\.$/m);
  const lines = r.out.trim().split('\n');
  assert.equal(lines[0], `${check}/alex-lacamoire.png,unknown_person`);
  assert.equal(lines[1], `${check}/obama2.jpg,obama`);
  assert.deepEqual(lines.slice(2, 4).sort(), [`${check}/two_people.jpg,biden`, `${check}/two_people.jpg,obama`]);
  assert.equal(lines[4], `${check}/wall.jpg,no_persons_found`);
  assert.equal(lines.length, 5);

  // face_recognition's spelling `--show-distance true` works too.
  const d = await runCli(['identify', '--workers', '1', '--known', join(dir, 'known'), '--show-distance', 'true', join(check, 'obama2.jpg'), join(check, 'alex-lacamoire.png')]);
  assert.equal(d.code, 0, d.err);
  const [obama, alex] = d.out.trim().split('\n');
  assert.match(obama!, /obama2\.jpg,obama,0\.\d+$/);
  assert.match(alex!, /alex-lacamoire\.png,unknown_person,None$/);

  // A strict tolerance turns the match into unknown_person.
  const strict = await runCli(['identify', '--workers', '1', '--known', join(dir, 'known'), '--tolerance', '0.05', join(check, 'obama2.jpg')]);
  assert.equal(strict.out, `${check}/obama2.jpg,unknown_person\n`);
});

test('--json gives box, name or null, distance, confidence, candidates; --annotate draws green known and red unknown', { skip: examplesSkip }, async () => {
  const dir = await tempDir('identify-json');
  await copyExamples(
    [
      ['examples/obama.jpg', 'known/obama.jpg'],
      ['examples/two_people.jpg', 'check/two_people.jpg'],
    ],
    dir,
  );
  const out = join(dir, 'drawn');
  const r = await runCli(['identify', '--workers', '1', '--json', '--annotate', out, '--known', join(dir, 'known'), join(dir, 'check')]);
  assert.equal(r.code, 0, r.err);
  const doc = JSON.parse(r.out.trim());
  assert.equal(doc.faces.length, 2);
  const known = doc.faces.find((f: { name: string | null }) => f.name === 'obama');
  const unknown = doc.faces.find((f: { name: string | null }) => f.name === null);
  assert.ok(known && unknown, r.out);
  assert.ok(known.distance < 0.6 && known.confidence > 0.5);
  assert.ok(unknown.distance > 0.6 && unknown.confidence < 0.5);
  assert.deepEqual(Object.keys(known.box), ['top', 'right', 'bottom', 'left']);
  assert.equal(known.candidates[0].name, 'obama');
  assert.deepEqual(await readdir(out), ['two_people.jpg']);
  const img = await sharp(join(out, 'two_people.jpg')).raw().toBuffer({ resolveWithObject: true });
  // The most coloured pixel across the box's top edge (JPEG softens a thin line).
  const edge = (box: { top: number; left: number; right: number }, score: (r: number, g: number) => number) => {
    let best = [0, 0, 0];
    for (let dy = -2; dy <= 2; dy++) {
      const i = ((Math.round(box.top) + dy) * img.info.width + Math.round((box.left + box.right) / 2)) * img.info.channels;
      const px = [img.data[i]!, img.data[i + 1]!, img.data[i + 2]!];
      if (score(px[0]!, px[1]!) > score(best[0]!, best[1]!)) best = px;
    }
    return best;
  };
  const green = edge(known.box, (r, g) => g - r);
  const red = edge(unknown.box, (r, g) => r - g);
  assert.ok(green[1]! > 150 && green[0]! < 120, `known box edge is green: ${green}`);
  assert.ok(red[0]! > 180 && red[1]! < 120, `unknown box edge is red: ${red}`);
});

test('without ../shared/data: a synthetic gallery cut from the npm sample photos; enrol, identify, unknown, holdout', async () => {
  const faces = await syntheticFaces();
  assert.ok(faces.length >= 4, `the sample photos give at least 4 single-face crops, got ${faces.length}`);
  const dir = await tempDir('identify-synthetic');
  const ds = join(dir, 'people');
  const names = await writeSyntheticDataset(ds, 3, 3);
  const db = join(dir, 'g.db');
  const e = await runCli(['enroll', '--workers', '1', '--holdout', '1', '--db', db, ds]);
  assert.equal(e.code, 0, e.err);
  assert.match(e.out, /^layout: folder per person .*: 3 persons, 9 photos$/m);
  assert.match(e.out, /^enrolled 6 faces of 3 persons/m);
  assert.match(e.out, /^hold-out: top-1 accuracy 100\.00% on 3 photos/m);

  const probes = join(dir, 'probes');
  await mkdir(probes);
  await writeFile(join(probes, 'a.jpg'), faces[0]!.variants[3]!);
  await writeFile(join(probes, 'b-stranger.jpg'), faces[3]!.variants[0]!);
  await writeNoFacePhoto(join(probes, 'c-wall.jpg'));
  const r = await runCli(['identify', '--workers', '1', '--db', db, probes]);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(r.out.trim().split('\n'), [`${probes}/a.jpg,${names[0]}`, `${probes}/b-stranger.jpg,unknown_person`, `${probes}/c-wall.jpg,no_persons_found`]);
});

test('identify usage mistakes exit 2 with a sentence; unreadable photos are named and the others go on', async () => {
  let r = await runCli(['identify']);
  assert.equal(r.code, 2);
  assert.match(r.err, /give at least one IMAGE or DIR/);
  r = await runCli(['identify', '--frobnicate', 'x.jpg']);
  assert.match(r.err, /facerec identify: Unknown option '--frobnicate'/);
  r = await runCli(['identify', '--tolerance', 'lots', 'x.jpg']);
  assert.match(r.err, /--tolerance expects a number from 0 to 2, got "lots"/);
  r = await runCli(['identify', '--cpus', '0', 'x.jpg']);
  assert.match(r.err, /--cpus expects -1 \(all cores\) or a whole number from 1 to 256/);
  r = await runCli(['identify', '--cpus', '-5', 'x.jpg']);
  assert.match(r.err, /--cpus expects a whole number from -1 to 256, got "-5"/);
  r = await runCli(['identify', '--known', 'a', '--db', 'b.db', 'x.jpg']);
  assert.match(r.err, /give --known DIR or --db FILE, not both/);
  const dir = await tempDir('identify-bad');
  const photo = join(dir, 'wall.jpg');
  await writeNoFacePhoto(photo);
  r = await runCli(['identify', '--known', join(dir, 'nothing-here'), photo]);
  assert.match(r.err, /The known-people folder ".*nothing-here" does not exist/);
  const known = join(dir, 'known');
  await mkdir(known);
  await writeNoFacePhoto(join(known, 'ann.jpg'));
  r = await runCli(['identify', '--workers', '1', '--known', known, photo]);
  assert.equal(r.code, 1);
  assert.match(r.err, /None of the 1 photos in the known-people folder ".*known" shows a face/);

  const [ann] = await syntheticFaces();
  await writeFile(join(known, 'ann.jpg'), ann!.variants[0]!);
  const broken = join(dir, 'broken.jpg');
  await writeFile(broken, 'not a jpeg');
  const same = join(dir, 'same.jpg');
  await writeFile(same, ann!.variants[1]!);
  r = await runCli(['identify', '--workers', '1', '--known', known, broken, photo, same]);
  assert.equal(r.code, 1, 'an unreadable photo gives exit code 1');
  assert.match(r.err, /^facerec identify: Cannot read image ".*broken\.jpg": not a JPEG, PNG/m);
  assert.deepEqual(r.out.trim().split('\n'), [`${photo},no_persons_found`, `${same},ann`]);
});
