/**
 * PostgresGalleryStore: the same contract suite as SQLite, plus what only a
 * server database has — migrations shared by several processes, concurrent
 * writers on two connections, an unreachable server, and the change feed that
 * keeps other nodes' indexes in sync (including catch-up after a lost LISTEN
 * connection). Skips when PostgreSQL is not installed.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, describe, test } from 'node:test';
import pg from 'pg';
import { FacerecError } from '../errors.js';
import { createDatabase, startPostgresDatabase } from '../test-support/postgres-server.js';
import { tcpProxy } from '../test-support/tcp-proxy.js';
import { MODEL_A, runGalleryContract, sha, testFace } from './gallery-contract.js';
import type { GalleryUpdate } from './gallery-store.js';
import { PG_SCHEMA_VERSION, PostgresGalleryStore, redactPostgresUrl } from './postgres-gallery-store.js';

const pgServer = await startPostgresDatabase();

if ('skip' in pgServer) {
  test('PostgreSQL gallery store', { skip: pgServer.skip }, () => {});
} else {
  const drops: (() => Promise<void>)[] = [];
  after(async () => {
    for (const drop of drops) await drop().catch(() => {});
    await pgServer.stop();
  });
  /** A fresh empty database on the test server. */
  const freshUrl = async () => {
    const db = await createDatabase(pgServer.server, 'facerec_gallery');
    drops.push(db.drop);
    return db.url;
  };

  runGalleryContract('PostgreSQL', async () => PostgresGalleryStore.open(await freshUrl()));

  const isCode = (code: string, message?: RegExp) => (e: unknown) => {
    assert.ok(e instanceof FacerecError, `expected a FacerecError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (message) assert.match(e.message, message);
    return true;
  };

  describe('PostgreSQL specifics', () => {
    test('a new database gets every migration once, recorded in schema_migrations; two nodes opening at once both work', async () => {
      const url = await freshUrl();
      const [a, b] = await Promise.all([PostgresGalleryStore.open(url), PostgresGalleryStore.open(url)]);
      try {
        assert.equal(await a.schemaVersion(), PG_SCHEMA_VERSION);
        const c = new pg.Client({ connectionString: url });
        await c.connect();
        const versions = (await c.query('SELECT version FROM schema_migrations ORDER BY version')).rows.map((r) => r.version as number);
        assert.deepEqual(versions, Array.from({ length: PG_SCHEMA_VERSION }, (_, i) => i + 1));
        const tables = (await c.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`)).rows.map((r) => r.tablename as string);
        assert.deepEqual(tables, ['changes', 'faces', 'persons', 'schema_migrations', 'settings', 'unknown_faces']);
        await c.end();
        await a.addFaces('Ann', [testFace(1)], MODEL_A);
        assert.deepEqual((await b.listPersons()).map((p) => p.name), ['Ann'], 'the other node sees the write');
      } finally {
        await a.close();
        await b.close();
      }
    });

    test('a database written by a newer facerec is refused and left untouched', async () => {
      const url = await freshUrl();
      const store = await PostgresGalleryStore.open(url);
      await store.addFaces('Ann', [testFace(1)], MODEL_A);
      await store.close();
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query('INSERT INTO schema_migrations (version) VALUES ($1)', [PG_SCHEMA_VERSION + 5]);
      await assert.rejects(PostgresGalleryStore.open(url), isCode('DATABASE_ERROR', new RegExp(`newer facerec \\(schema v${PG_SCHEMA_VERSION + 5}`)));
      assert.equal((await c.query('SELECT count(*)::int AS n FROM faces')).rows[0].n, 1);
      await c.end();
    });

    test('concurrent writers on two nodes: the same photo is stored once, a new person is created once', async () => {
      const url = await freshUrl();
      const [a, b] = await Promise.all([PostgresGalleryStore.open(url), PostgresGalleryStore.open(url)]);
      try {
        const same = await Promise.all([a.addFaces('Ann', [testFace(1)], MODEL_A), b.addFaces('Bob', [testFace(1)], MODEL_A)]);
        assert.equal(same.reduce((n, r) => n + r.added.length, 0), 1, 'one of the two stored it');
        assert.equal(same.reduce((n, r) => n + r.duplicates.length, 0), 1, 'the other reported a duplicate');
        assert.equal((await a.listPersons()).length, 1, 'the loser created no person');
        const writes = Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).addFaces('Cleo', [testFace(100 + i)], MODEL_A));
        await Promise.all(writes);
        const persons = await b.listPersons();
        assert.deepEqual(persons.filter((p) => p.name === 'Cleo').map((p) => p.faceCount), [20]);
      } finally {
        await a.close();
        await b.close();
      }
    });

    test('an unreachable server: open() retries with backoff and fails with UNAVAILABLE naming the URL without its password', async () => {
      const port = await closedPort();
      const started = Date.now();
      await assert.rejects(
        PostgresGalleryStore.open(`postgres://ann:s3cret@127.0.0.1:${port}/gallery`, { connectAttempts: 3, retryDelayMs: 100 }),
        (e: unknown) => isCode('UNAVAILABLE', new RegExp(`postgres://ann:\\*\\*\\*@127\\.0\\.0\\.1:${port}/gallery.*tried 3 times`))(e) && !(e as Error).message.includes('s3cret'),
      );
      const took = Date.now() - started;
      assert.ok(took >= 300 && took < 5000, `backoff 100 + 200 ms, then give up (took ${took} ms)`);
      assert.equal(redactPostgresUrl('postgresql://u:p%40ss@h/db'), 'postgresql://u:***@h/db');
    });

    test('a server that goes away while running: queries fail fast with UNAVAILABLE, and work again when it is back', async () => {
      const url = new URL(await freshUrl());
      const proxy = await tcpProxy(Number(url.port));
      const viaProxy = new URL(url);
      viaProxy.port = String(proxy.port);
      const store = await PostgresGalleryStore.open(viaProxy.toString(), { connectionTimeoutMs: 1000, connectAttempts: 1 });
      try {
        await store.addFaces('Ann', [testFace(1)], MODEL_A);
        await proxy.cut();
        const started = Date.now();
        await assert.rejects(store.listPersons(), isCode('UNAVAILABLE', /unreachable|did not answer/));
        await assert.rejects(store.addFaces('Bob', [testFace(2)], MODEL_A), isCode('UNAVAILABLE'));
        assert.ok(Date.now() - started < 4000, `failed fast (${Date.now() - started} ms)`);
        await proxy.resume();
        assert.deepEqual((await store.listPersons()).map((p) => p.name), ['Ann']);
      } finally {
        await store.close();
        await proxy.close();
      }
    });

    test('the change feed: another node sees adds, deletes, renames and merges within 1 s', async () => {
      const url = await freshUrl();
      const [a, b] = await Promise.all([PostgresGalleryStore.open(url), PostgresGalleryStore.open(url)]);
      const updates: GalleryUpdate[] = [];
      const stop = b.watchChanges((u) => void updates.push(u), { afterSeq: await b.changeSeq(), pollIntervalMs: 60_000 });
      try {
        await waitFor(async () => (await b.listenerPids()).length === 1, 'the LISTEN connection');
        const added = await a.addFaces('Ann', [testFace(1), testFace(2)], MODEL_A);
        const first = await waitFor(() => updates.find((u) => u.faces.length === 2), 'the added faces', 1000);
        assert.deepEqual(first.faces.map((f) => [f.id, f.personName]), added.added.map((f) => [f.id, 'Ann']));
        assert.deepEqual([...first.faces[0]!.embedding], [...testFace(1).embedding]);
        updates.length = 0;
        await a.renamePerson('Ann', 'Anna');
        const renamed = await waitFor(() => updates.find((u) => u.faces.some((f) => f.personName === 'Anna')), 'the rename', 1000);
        assert.deepEqual(renamed.faceIds.sort(), added.added.map((f) => f.id).sort());
        updates.length = 0;
        await a.deletePerson('Anna');
        const deleted = await waitFor(() => updates.find((u) => u.faceIds.length === 2), 'the delete', 1000);
        assert.deepEqual(deleted.faces, [], 'deleted faces are gone');
      } finally {
        await stop();
        await a.close();
        await b.close();
      }
    });

    test('a node whose LISTEN connection is killed reconnects and catches up on every change it missed', async () => {
      const url = await freshUrl();
      const [a, b] = await Promise.all([PostgresGalleryStore.open(url), PostgresGalleryStore.open(url)]);
      // The node's view: face id → person, kept only from updates.
      const view = new Map<number, string>();
      const errors: unknown[] = [];
      const stop = b.watchChanges(
        (u) => {
          for (const id of u.faceIds) view.delete(id);
          for (const f of u.faces) view.set(f.id, f.personName);
        },
        { afterSeq: await b.changeSeq(), pollIntervalMs: 60_000, onError: (e) => errors.push(e) },
      );
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      try {
        const [pid] = await waitFor(async () => {
          const pids = await b.listenerPids();
          return pids.length === 1 ? pids : undefined;
        }, 'the LISTEN connection');
        const bob = await a.addFaces('Bob', [testFace(9)], MODEL_A);
        await waitFor(() => view.size === 1, 'the first add');
        await admin.query('SELECT pg_terminate_backend($1)', [pid]);
        // Written while the node is not listening (the reconnect waits at least 250 ms).
        const ann = await a.addFaces('Ann', [testFace(1), testFace(2)], MODEL_A);
        await a.deleteFace(bob.added[0]!.id);
        await a.addFaces('Cleo', [testFace(3)], MODEL_A);
        await a.mergePersons('Cleo', 'Ann');
        await waitFor(() => view.size === 3 && [...view.values()].every((n) => n === 'Ann'), 'the catch-up', 5000);
        assert.deepEqual([...view.keys()].slice(0, 2).sort(), ann.added.map((f) => f.id).sort());
        assert.ok(errors.some((e) => e instanceof FacerecError), 'the lost connection was reported');
        const pids = await b.listenerPids();
        assert.equal(pids.length, 1);
        assert.notEqual(pids[0], pid, 'a new LISTEN connection');
      } finally {
        await admin.end();
        await stop();
        await a.close();
        await b.close();
      }
    });

    test('bad URLs are refused before connecting', async () => {
      await assert.rejects(PostgresGalleryStore.open('mysql://x/y'), isCode('INVALID_ARGUMENT', /postgres:\/\//));
      const url = new URL(pgServer.url);
      url.pathname = '/no_such_database_here';
      await assert.rejects(PostgresGalleryStore.open(url.toString(), { connectAttempts: 1 }), isCode('DATABASE_ERROR', /no_such_database_here.*does not exist/));
      void sha;
    });
  });
}

async function waitFor<T>(check: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
