import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { LfwPairsParseError, lfwImagePath, parseLfwPairs, readLfwPairs } from './lfw-pairs.js';

const ROOT = join('data', 'lfw');

test('image paths are <root>/<name>/<name>_<4-digit index>.jpg', () => {
  assert.equal(lfwImagePath(ROOT, 'Aaron_Peirsol', 3), join('data', 'lfw', 'Aaron_Peirsol', 'Aaron_Peirsol_0003.jpg'));
  assert.equal(lfwImagePath(ROOT, 'George_W_Bush', 530), join('data', 'lfw', 'George_W_Bush', 'George_W_Bush_0530.jpg'));
});

test('View 1: a count N, then N same pairs and N different pairs (tabs, spaces, CRLF, final newline)', () => {
  const text = '2\r\nAaron_Peirsol\t1\t2\r\nAbdullah_Gul 13   14\r\nBob_Iger\t1\tSteve_Lavin\t6\r\nA_B\t2\tC_D\t10\r\n';
  const set = parseLfwPairs(text, { root: ROOT, file: 'dev.txt' });
  assert.equal(set.format, 'view1');
  assert.equal(set.folds, 1);
  assert.equal(set.pairsPerFold, 2);
  assert.deepEqual(set.pairs.map((p) => [p.fold, p.same, p.line]), [[0, true, 2], [0, true, 3], [0, false, 4], [0, false, 5]]);
  const s = set.pairs[1]!;
  assert.deepEqual([s.nameA, s.indexA, s.nameB, s.indexB], ['Abdullah_Gul', 13, 'Abdullah_Gul', 14]);
  assert.equal(s.pathA, join(ROOT, 'Abdullah_Gul', 'Abdullah_Gul_0013.jpg'));
  assert.equal(s.pathB, join(ROOT, 'Abdullah_Gul', 'Abdullah_Gul_0014.jpg'));
  const d = set.pairs[3]!;
  assert.equal(d.pathA, join(ROOT, 'A_B', 'A_B_0002.jpg'));
  assert.equal(d.pathB, join(ROOT, 'C_D', 'C_D_0010.jpg'));
});

test('View 2: "folds n", then per fold n same then n different pairs', () => {
  const text = ['2\t1', 'P\t1\t2', 'P\t1\tQ\t1', 'R 3 4', 'R 1 S 2', ''].join('\n');
  const set = parseLfwPairs(text, { root: ROOT });
  assert.equal(set.format, 'view2');
  assert.equal(set.folds, 2);
  assert.equal(set.pairsPerFold, 1);
  assert.deepEqual(set.pairs.map((p) => [p.fold, p.same, p.nameA, p.nameB]), [
    [0, true, 'P', 'P'],
    [0, false, 'P', 'Q'],
    [1, true, 'R', 'R'],
    [1, false, 'R', 'S'],
  ]);
});

test('malformed files give errors naming the file and the line', () => {
  const bad = (text: string, re: RegExp, format?: 'view1' | 'view2') => {
    assert.throws(
      () => parseLfwPairs(text, { root: ROOT, file: 'pairs.txt', ...(format ? { format } : {}) }),
      (e: unknown) => {
        assert.ok(e instanceof LfwPairsParseError, String(e));
        assert.match(e.message, re);
        return true;
      },
    );
  };
  bad('', /^pairs\.txt:1: empty file/);
  bad('two\nA 1 2\nA 1 B 2\n', /^pairs\.txt:1: pairs per fold "two" is not a positive integer/);
  bad('1 2 3\n', /^pairs\.txt:1: header "1 2 3"/);
  bad('1\nA 1 2\n', /^pairs\.txt:2: header promises 1 same \+ 1 different = 2 pair lines but the file ends after 1/);
  bad('1\nA 1 2\nA 1 B 2\nC 1 2\n', /^pairs\.txt:4: header promises .* but the file has 3 \(first extra line here\)/);
  bad('2 1\nA 1 2\nA 1 B 2\n', /^pairs\.txt:3: header promises 2 folds × \(1 same \+ 1 different\) = 4 pair lines/);
  bad('2\nA 1 2\nA 1 B 2\nA 1 B 2\nC 1 D 2\n', /^pairs\.txt:3: expected a same-person pair "name i j", found 4 fields/);
  bad('2\nA 1 2\nB 3 4\nC 1 D 2\nE 5 6\n', /^pairs\.txt:5: expected a different-person pair "name1 i name2 j", found 3 fields/);
  bad('1\nA 1 x\nA 1 B 2\n', /^pairs\.txt:2: image index "x" is not an integer/);
  bad('1\nA 1 2\nA 1.5 B 2\n', /^pairs\.txt:3: image index "1\.5"/);
  bad('1\nA 0 2\nA 1 B 2\n', /^pairs\.txt:2: image index "0"/);
  bad('1\nA 1 2\nA 1 A 2\n', /^pairs\.txt:3: different-person pair names the same person twice/);
  bad('1\nA 2 2\nA 1 B 2\n', /^pairs\.txt:2: same-person pair uses image 2 of A twice/);
  bad('1\n12 1 2\nA 1 B 2\n', /^pairs\.txt:2: expected a person name, found the number "12"/);
  bad('1\n../x 1 2\nA 1 B 2\n', /^pairs\.txt:2: person name "\.\.\/x" must not contain a path separator/);
  bad('2\nA 1 2\n\nA 1 B 2\nC 1 D 2\n', /^pairs\.txt:3: expected a same-person pair "name i j", found an empty line/);
  bad('2 1\nA 1 2\nA 1 B 2\nC 1 2\nC 1 2\n', /^pairs\.txt:5: expected a different-person pair "name1 i name2 j" \(fold 2\)/);
  bad('1\nA 1 2\nA 1 B 2\n', /^pairs\.txt:1: View 2 header should have two numbers/, 'view2');
});

const DATA = fileURLToPath(new URL('../../../shared/data/lfw-view1/', import.meta.url));
const haveData = existsSync(join(DATA, 'protocol', 'pairsDevTrain.txt'));

test(
  'the real LFW View 1 pair files parse to 1,100+1,100 and 500+500 pairs whose images all exist',
  { skip: haveData ? false : `LFW View 1 data not found at ${DATA} (../shared/data is absent on a fresh clone)` },
  async () => {
    const root = join(DATA, 'lfw');
    for (const [file, n] of [['pairsDevTrain.txt', 1100], ['pairsDevTest.txt', 500]] as const) {
      const set = await readLfwPairs(join(DATA, 'protocol', file), root);
      assert.equal(set.format, 'view1');
      assert.equal(set.pairsPerFold, n);
      assert.equal(set.pairs.filter((p) => p.same).length, n, file);
      assert.equal(set.pairs.filter((p) => !p.same).length, n, file);
      const missing = set.pairs.flatMap((p) => [p.pathA, p.pathB]).filter((p) => !existsSync(p));
      assert.deepEqual(missing, [], `${file}: every referenced image exists`);
    }
    const test = await readLfwPairs(join(DATA, 'protocol', 'pairsDevTest.txt'), root);
    assert.equal(test.pairs[0]!.pathA, join(root, 'Abdullah_Gul', 'Abdullah_Gul_0013.jpg'));
    assert.equal(test.pairs[0]!.pathB, join(root, 'Abdullah_Gul', 'Abdullah_Gul_0014.jpg'));
  },
);
