/**
 * Two API nodes (two buildServer() apps, each opening its own PostgreSQL store by
 * URL, on real ports) sharing one PostgreSQL gallery: a person enrolled through
 * node A is identified by node B within 1 s (LISTEN/NOTIFY), a rename and a
 * delete on A show on B, and B catches up after its LISTEN connection is killed.
 * Faces: single-face crops of the npm-shipped sample photos. Skips without PostgreSQL.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { PostgresGalleryStore } from '../gallery/postgres-gallery-store.js';
import { startPostgresDatabase } from '../test-support/postgres-server.js';
import { tcpProxy } from '../test-support/tcp-proxy.js';
import { syntheticFaces, type SyntheticFace } from '../test-support/test-datasets.js';
import { RecognizerSet } from './recognition-queue.js';
import { buildServer } from './server.js';

const pgServer = await startPostgresDatabase();

describe('two API nodes on one PostgreSQL gallery', { skip: 'skip' in pgServer ? pgServer.skip : false, timeout: 180_000 }, () => {
  const server = pgServer as Exclude<typeof pgServer, { skip: string }>;
  let recognizers: RecognizerSet;
  let faces: SyntheticFace[];
  let a: FastifyInstance;
  let b: FastifyInstance;
  let urlA: string;
  let urlB: string;

  before(async () => {
    recognizers = new RecognizerSet(2);
    faces = await syntheticFaces(3);
    a = await buildServer({ db: server.url, logger: false, rateLimit: 0, recognizers });
    b = await buildServer({ db: server.url, logger: false, rateLimit: 0, recognizers });
    urlA = await a.listen({ host: '127.0.0.1', port: 0 });
    urlB = await b.listen({ host: '127.0.0.1', port: 0 });
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await recognizers?.dispose();
    await server.stop();
  });

  const identify = async (base: string, photo: Buffer): Promise<string | null> => {
    const r = await fetch(`${base}/api/v1/identify`, { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: photo });
    assert.equal(r.status, 200, await r.clone().text());
    const body = (await r.json()) as { faces: { name: string | null }[] };
    assert.equal(body.faces.length, 1);
    return body.faces[0]!.name;
  };
  const send = async (base: string, method: string, path: string, body?: unknown) => {
    const r = await fetch(`${base}${path}`, { method, ...(body ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}) });
    return { status: r.status, body: (await r.json().catch(() => null)) as Record<string, unknown> | null };
  };
  /** Polls node B until `check` holds; returns the time it took. */
  const until = async (check: () => Promise<boolean>, what: string, timeoutMs: number): Promise<number> => {
    const started = Date.now();
    while (!(await check())) {
      if (Date.now() - started > timeoutMs) throw new Error(`node B did not see ${what} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 25));
    }
    return Date.now() - started;
  };

  test('enrolled on A → identified on B within 1 s; renamed on A → renamed on B; deleted on A → gone on B', async (t) => {
    assert.equal(await identify(urlB, faces[0]!.variants[1]!), null, 'nobody known yet');
    const created = await send(urlA, 'POST', '/api/v1/persons', { name: 'Ann Lee', image: faces[0]!.variants[0]!.toString('base64') });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    // Polled cheaply (B's index size), so the 1 s measures the sync, not the pipeline's time per photo.
    const faceCount = async () => (await send(urlB, 'GET', '/api/v1/health')).body?.faces;
    const seen = await until(async () => (await faceCount()) === 1, 'the enrolled face', 1000);
    t.diagnostic(`node B's index held the face enrolled on node A ${seen} ms after A answered 201`);
    assert.equal(await identify(urlB, faces[0]!.variants[1]!), 'Ann Lee');

    assert.equal((await send(urlA, 'PATCH', '/api/v1/persons/Ann%20Lee', { name: 'Ann' })).status, 200);
    await until(async () => (await identify(urlB, faces[0]!.variants[3]!)) === 'Ann', 'the rename', 1000);

    assert.equal((await send(urlA, 'DELETE', '/api/v1/persons/Ann')).status, 204);
    await until(async () => (await identify(urlB, faces[0]!.variants[1]!)) === null, 'the delete', 1000);
    const health = await send(urlB, 'GET', '/api/v1/health');
    assert.equal(health.body?.faces, 0, 'B holds no face of the deleted person');
  });

  test('PostgreSQL gone: gallery requests get 503 UNAVAILABLE fast, identify still answers from memory; back again afterwards', async () => {
    const proxy = await tcpProxy(Number(new URL(server.url).port));
    const viaProxy = new URL(server.url);
    viaProxy.port = String(proxy.port);
    const store = await PostgresGalleryStore.open(viaProxy.toString(), { connectionTimeoutMs: 1000, connectAttempts: 1 });
    const c = await buildServer({ store, logger: false, rateLimit: 0, recognizers });
    const urlC = await c.listen({ host: '127.0.0.1', port: 0 });
    try {
      const created = await send(urlC, 'POST', '/api/v1/persons', { name: 'Cleo', image: faces[2]!.variants[0]!.toString('base64') });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      await proxy.cut();
      const started = Date.now();
      const list = await send(urlC, 'GET', '/api/v1/persons');
      assert.equal(list.status, 503, JSON.stringify(list.body));
      assert.equal((list.body?.error as { code: string }).code, 'UNAVAILABLE');
      assert.doesNotMatch(JSON.stringify(list.body), /127\.0\.0\.1|postgres:/, 'the database address stays in the server log');
      assert.ok(Date.now() - started < 4000, `503 after ${Date.now() - started} ms`);
      assert.equal(await identify(urlC, faces[2]!.variants[1]!), 'Cleo', 'searches need no database');
      await proxy.resume();
      assert.equal((await send(urlC, 'GET', '/api/v1/persons')).status, 200);
      assert.equal((await send(urlC, 'DELETE', '/api/v1/persons/Cleo')).status, 204);
    } finally {
      await c.close();
      await store.close();
      await proxy.close();
    }
  });

  test('B catches up after its LISTEN connection is killed, without missing a change', async () => {
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    try {
      const killed = await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'facerec-listen'`);
      assert.equal(killed.rowCount, 2, 'both nodes were listening');
      const created = await send(urlA, 'POST', '/api/v1/persons', { name: 'Bob', image: faces[1]!.variants[0]!.toString('base64') });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      await until(async () => (await identify(urlB, faces[1]!.variants[1]!)) === 'Bob', 'the person enrolled while it was disconnected', 5000);
    } finally {
      await admin.end();
    }
  });
});
