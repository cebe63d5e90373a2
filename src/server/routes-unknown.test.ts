/**
 * Unknown faces through the REST API, in-process: identify with saveUnknown
 * stores them, clustering groups them, naming a cluster enrols a person (the
 * search index follows) and empties the unknown list.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { syntheticFaces, tempDir, type SyntheticFace } from '../test-support/test-datasets.js';
import { RecognizerSet } from './recognition-queue.js';
import { buildServer } from './server.js';

let dir: string;
let recognizers: RecognizerSet;
let faces: SyntheticFace[];
let app: FastifyInstance;

before(async () => {
  dir = await tempDir('unknown-routes');
  recognizers = new RecognizerSet(1);
  faces = await syntheticFaces(2);
  app = await buildServer({ db: join(dir, 'g.db'), logger: false, rateLimit: 0, recognizers });
});

after(async () => {
  await app.close();
  await recognizers.dispose();
  await rm(dir, { recursive: true, force: true });
});

const identify = (bytes: Buffer, query = '') => app.inject({ method: 'POST', url: `/api/v1/identify${query}`, headers: { 'content-type': 'image/jpeg' }, payload: bytes });
const json = (method: 'GET' | 'POST' | 'DELETE', url: string, body?: unknown) =>
  app.inject({ method, url, ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) }) });

type UnknownList = { total: number; clusters: { id: number; size: number; faces: { id: number; thumbnail: string; quality: number | null }[] }[]; unclustered: { id: number }[] };

test('identify?saveUnknown stores unknown faces; cluster, name a cluster → person enrolled and identified, unknown faces gone', async () => {
  // Without the flag nothing is stored.
  const plain = await identify(faces[0]!.variants[0]!);
  assert.equal(plain.statusCode, 200, plain.body);
  assert.equal((plain.json() as { savedUnknown?: number }).savedUnknown, undefined);
  assert.equal(((await json('GET', '/api/v1/unknown-faces')).json() as UnknownList).total, 0);

  // Two photos of person 0, one of person 1, all unknown to the empty gallery.
  for (const bytes of [faces[0]!.variants[0]!, faces[0]!.variants[1]!, faces[1]!.variants[0]!]) {
    const r = await identify(bytes, '?saveUnknown=true');
    assert.equal(r.statusCode, 200, r.body);
    const body = r.json() as { savedUnknown: number; faces: { name: string | null }[] };
    assert.equal(body.savedUnknown, 1);
    assert.equal(body.faces[0]!.name, null);
  }
  // The same photo again is stored once (same bytes + same box).
  await identify(faces[0]!.variants[0]!, '?saveUnknown=true');
  let list = (await json('GET', '/api/v1/unknown-faces')).json() as UnknownList;
  assert.equal(list.total, 3);
  assert.equal(list.clusters.length, 0);
  assert.equal(list.unclustered.length, 3);

  const clustered = await json('POST', '/api/v1/unknown-faces/cluster', { threshold: 0.5 });
  assert.equal(clustered.statusCode, 200, clustered.body);
  assert.deepEqual((clustered.json() as { sizes: number[] }).sizes, [2, 1]);
  list = (await json('GET', '/api/v1/unknown-faces')).json() as UnknownList;
  assert.deepEqual(list.clusters.map((c) => c.size), [2, 1]);
  const pair = list.clusters[0]!;
  assert.ok(pair.faces.every((f) => typeof f.quality === 'number' && f.quality > 0 && f.quality <= 1));
  const thumb = await app.inject({ method: 'GET', url: pair.faces[0]!.thumbnail });
  assert.equal(thumb.statusCode, 200);
  assert.equal(thumb.headers['content-type'], 'image/jpeg');
  assert.deepEqual([...thumb.rawPayload.subarray(0, 2)], [0xff, 0xd8]);

  const named = await json('POST', `/api/v1/unknown-clusters/${pair.id}/name`, { name: 'Ann' });
  assert.equal(named.statusCode, 200, named.body);
  assert.deepEqual(named.json(), { person: { name: 'Ann', faceCount: 2 }, added: 2, duplicates: 0 });
  const persons = (await json('GET', '/api/v1/persons')).json() as { persons: { name: string; faceCount: number }[] };
  assert.deepEqual(persons.persons.map((p) => [p.name, p.faceCount]), [['Ann', 2]]);
  list = (await json('GET', '/api/v1/unknown-faces')).json() as UnknownList;
  assert.equal(list.total, 1, 'the named faces left the unknown list');
  assert.deepEqual(list.clusters.map((c) => c.size), [1]);

  // The search index follows: a third photo of person 0 is now Ann.
  const again = (await identify(faces[0]!.variants[3]!)).json() as { faces: { name: string | null }[] };
  assert.equal(again.faces[0]!.name, 'Ann');

  // Errors: an unknown cluster, a missing name, an unknown face id.
  const missing = await json('POST', '/api/v1/unknown-clusters/99/name', { name: 'X' });
  assert.equal(missing.statusCode, 404);
  assert.match((missing.json() as { error: { message: string } }).error.message, /cluster 99/);
  assert.equal((await json('POST', `/api/v1/unknown-clusters/${list.clusters[0]!.id}/name`, {})).statusCode, 400);
  assert.equal((await json('DELETE', '/api/v1/unknown-faces/424242')).statusCode, 404);
  assert.equal((await json('DELETE', `/api/v1/unknown-faces/${list.clusters[0]!.faces[0]!.id}`)).statusCode, 204);
  assert.equal(((await json('GET', '/api/v1/unknown-faces')).json() as UnknownList).total, 0);
});
