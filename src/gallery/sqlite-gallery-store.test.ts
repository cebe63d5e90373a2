import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { FacerecError } from '../errors.js';
import { MODEL_A, runGalleryContract, sha, testFace } from './gallery-contract.js';
import { readGalleryFile, writeGalleryFile } from './gallery-file.js';
import { MIGRATIONS, SCHEMA_VERSION, SqliteGalleryStore } from './sqlite-gallery-store.js';

const dir = await mkdtemp(join(tmpdir(), 'facerec-gallery-'));
after(() => rm(dir, { recursive: true, force: true }));
let n = 0;
const freshPath = () => join(dir, `g${++n}.db`);

runGalleryContract('SQLite', () => SqliteGalleryStore.open(freshPath()));

const isDbError = (message: RegExp) => (e: unknown) => {
  assert.ok(e instanceof FacerecError, String(e));
  assert.equal(e.code, 'DATABASE_ERROR', e.message);
  assert.match(e.message, message);
  return true;
};
const sha256 = async (path: string) => createHash('sha256').update(await readFile(path)).digest('hex');

test('a new database gets the latest schema in WAL mode with foreign keys on, and persists', async () => {
  const path = freshPath();
  const store = await SqliteGalleryStore.open(path);
  assert.equal(store.schemaVersion(), SCHEMA_VERSION);
  await store.addFaces('Ann', [testFace(1)], MODEL_A);
  await store.close();
  const db = new Database(path, { readonly: true });
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
  assert.deepEqual(
    (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).all() as { name: string }[]).map((r) => r.name),
    ['faces', 'persons', 'settings', 'unknown_faces'],
  );
  db.close();
  const again = await SqliteGalleryStore.open(path);
  assert.deepEqual((await again.listPersons()).map((p) => [p.name, p.faceCount]), [['Ann', 1]]);
  assert.deepEqual(await again.checkIntegrity(), []);
  await again.close();
});

test('migrations run in order, each in a transaction, from any older version', async () => {
  const path = freshPath();
  // A database at version 0 with nothing in it (e.g. an empty file) is migrated.
  await writeFile(path, '');
  const store = await SqliteGalleryStore.open(path);
  assert.equal(store.schemaVersion(), MIGRATIONS.length);
  await store.close();
  // Opening an up-to-date database twice changes nothing.
  const again = await SqliteGalleryStore.open(path);
  assert.equal(again.schemaVersion(), SCHEMA_VERSION);
  await again.close();
});

test('a database written by a newer facerec is refused and left untouched', async () => {
  const path = freshPath();
  const db = new Database(path);
  db.exec(MIGRATIONS[0]!);
  db.pragma(`user_version = ${SCHEMA_VERSION + 7}`);
  db.close();
  const before = await sha256(path);
  const message = new RegExp(`written by a newer facerec \\(schema v${SCHEMA_VERSION + 7}, this one knows up to v${SCHEMA_VERSION}\\); upgrade facerec`);
  await assert.rejects(SqliteGalleryStore.open(path), isDbError(message));
  await assert.rejects(SqliteGalleryStore.open(path, { readonly: true }), isDbError(message));
  assert.equal(await sha256(path), before, 'not modified');
  assert.equal(existsSync(`${path}-wal`), false, 'not switched to WAL');
});

test('bad paths and files are clear errors naming the path', async () => {
  const missingDir = join(dir, 'no-such-folder', 'g.db');
  await assert.rejects(SqliteGalleryStore.open(missingDir), isDbError(/no-such-folder.*does not exist/));
  const text = join(dir, 'notes.db');
  await writeFile(text, 'these are my notes, not a database, but long enough to have a header');
  await assert.rejects(SqliteGalleryStore.open(text), isDbError(/notes\.db.*not a SQLite database/));
  await assert.rejects(SqliteGalleryStore.open(dir), isDbError(/is a folder/));
  await assert.rejects(SqliteGalleryStore.open(join(dir, 'absent.db'), { readonly: true }), isDbError(/absent\.db.*does not exist/));
  const foreign = freshPath();
  const db = new Database(foreign);
  db.exec('CREATE TABLE songs (title TEXT)');
  db.close();
  await assert.rejects(SqliteGalleryStore.open(foreign), isDbError(/not a facerec gallery/));
});

test('a read-only file is refused for writing; readonly: true reads it without writing', { skip: process.getuid?.() === 0 ? 'root can write read-only files' : false }, async () => {
  const path = freshPath();
  const store = await SqliteGalleryStore.open(path);
  await store.addFaces('Ann', [testFace(1)], MODEL_A);
  await store.close();
  await chmod(path, 0o444);
  await assert.rejects(SqliteGalleryStore.open(path), isDbError(/read-only/));
  const ro = await SqliteGalleryStore.open(path, { readonly: true });
  assert.equal((await ro.listFaces()).length, 1);
  await ro.close();
});

test('readonly: true never writes: writes fail with a clear error and the file is unchanged', async () => {
  const path = freshPath();
  const store = await SqliteGalleryStore.open(path);
  await store.addFaces('Ann', [testFace(1)], MODEL_A);
  await store.close();
  const before = await sha256(path);
  const ro = await SqliteGalleryStore.open(path, { readonly: true });
  assert.deepEqual((await ro.listPersons()).map((p) => p.name), ['Ann']);
  await assert.rejects(ro.addFaces('Bob', [testFace(2)], MODEL_A), isDbError(/read-only/));
  await assert.rejects(ro.deletePerson('Ann'), isDbError(/read-only/));
  await ro.close();
  assert.equal(await sha256(path), before);
});

test('a database locked by another writer is a clear error after the busy timeout', async () => {
  const path = freshPath();
  const store = await SqliteGalleryStore.open(path, { busyTimeoutMs: 100 });
  const other = new Database(path);
  other.exec('BEGIN IMMEDIATE');
  try {
    const t0 = performance.now();
    await assert.rejects(store.addFaces('Ann', [testFace(1)], MODEL_A), isDbError(/g\d+\.db.*locked by another process/));
    assert.ok(performance.now() - t0 >= 90, 'waited for the busy timeout');
    assert.deepEqual(await store.listPersons(), [], 'readers are not blocked in WAL mode');
  } finally {
    other.exec('ROLLBACK');
    other.close();
  }
  await store.addFaces('Ann', [testFace(1)], MODEL_A);
  await store.close();
});

test('two stores on one file see each other’s writes', async () => {
  const path = freshPath();
  const a = await SqliteGalleryStore.open(path);
  const b = await SqliteGalleryStore.open(path);
  await a.addFaces('Ann', [testFace(1)], MODEL_A);
  assert.equal(await b.hasSource(sha(1)), true);
  const r = await b.addFaces('Bob', [testFace(1), testFace(2)], MODEL_A);
  assert.deepEqual(r.duplicates, [sha(1)]);
  await a.close();
  await b.close();
});

test('gallery files: write → read round trip; bad files name the file and field', async () => {
  const store = await SqliteGalleryStore.open(freshPath());
  await store.addFaces('Zoë', [testFace(1), testFace(2)], MODEL_A);
  const file = join(dir, 'export.json');
  const exported = await store.exportGallery();
  await writeGalleryFile(file, exported);
  assert.deepEqual(await readGalleryFile(file), exported);
  await store.close();
  await assert.rejects(readGalleryFile(join(dir, 'none.json')), (e: unknown) => e instanceof FacerecError && e.code === 'NOT_FOUND' && /none\.json/.test(e.message));
  await writeFile(join(dir, 'bad.json'), '{"format": "facerec-gallery",');
  await assert.rejects(readGalleryFile(join(dir, 'bad.json')), /bad\.json.*not valid JSON/);
  const wrong = structuredClone(exported) as unknown as { persons: { faces: { quality: unknown }[] }[] };
  wrong.persons[0]!.faces[1]!.quality = 'high';
  await writeFile(join(dir, 'wrong.json'), JSON.stringify(wrong));
  await assert.rejects(readGalleryFile(join(dir, 'wrong.json')), /wrong\.json.*persons\[0\]\.faces\[1\]\.quality/);
  const short = structuredClone(exported);
  short.persons[0]!.faces[1]!.embedding = Buffer.alloc(12).toString('base64');
  await writeFile(join(dir, 'short.json'), JSON.stringify(short));
  await assert.rejects(readGalleryFile(join(dir, 'short.json')), /128 float32 values.*persons\[0\]\.faces\[1\]\.embedding/);
});

test('SIGKILL during enrolment never leaves a half-written batch', { timeout: 120_000 }, async () => {
  const path = freshPath();
  const child = join(dirname(fileURLToPath(import.meta.url)), 'sigkill-enrol-child.ts');
  let next = 0;
  for (let round = 0; round < 4; round++) {
    const proc = spawn(process.execPath, ['--import', 'tsx', child, path, String(next * 1000)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let committed = 0;
    await new Promise<void>((resolve, reject) => {
      proc.on('error', reject);
      proc.on('exit', () => resolve());
      proc.stdout.on('data', (chunk: Buffer) => {
        committed += chunk.toString().split('\n').filter((l) => l.startsWith('committed')).length;
        // Kill at a varying point once it is well into its loop.
        if (committed >= 20 + round * 7 && proc.exitCode === null && !proc.killed) proc.kill('SIGKILL');
      });
    });
    assert.equal(proc.signalCode, 'SIGKILL', 'the child was killed, not finished');
    next++;
    const store = await SqliteGalleryStore.open(path);
    assert.deepEqual(await store.checkIntegrity(), [], `round ${round}`);
    const persons = await store.listPersons();
    const faces = await store.listFaces();
    assert.ok(persons.length > 0);
    for (const p of persons) {
      assert.ok(p.faceCount >= 1, `${p.name} has a face`);
      assert.equal(p.faceCount % 5, 0, `${p.name}: whole batches of 5 only, got ${p.faceCount}`);
    }
    assert.equal(persons.reduce((s, p) => s + p.faceCount, 0), faces.length);
    await store.close();
  }
});
