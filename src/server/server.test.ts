/**
 * The REST API in-process (app.inject): every route's normal path, every error
 * status, API-key rules, concurrency consistency, the dataset copy. Photos: the
 * npm-shipped sample photos and synthetic single-face crops of them.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { FacerecError } from '../errors.js';
import type { GalleryStore } from '../gallery/gallery-store.js';
import { SqliteGalleryStore } from '../gallery/sqlite-gallery-store.js';
import { sampleImagePath } from '../test-support/fixtures.js';
import { syntheticFaces, tempDir, writeNoFacePhoto, type SyntheticFace } from '../test-support/test-datasets.js';
import { safeFolderName } from './gallery-service.js';
import { RecognizerSet } from './recognition-queue.js';
import { buildServer, keyMatches, redactUrl, type ServerOptions } from './server.js';
import { publicFilePath } from './static-files.js';

let dir: string;
let recognizers: RecognizerSet;
let faces: SyntheticFace[];
let group: Buffer;
let noFace: Buffer;
let dbs = 0;
const apps: FastifyInstance[] = [];

async function server(options: ServerOptions = {}): Promise<FastifyInstance> {
  const app = await buildServer({ db: join(dir, `g${++dbs}.db`), logger: false, rateLimit: 0, recognizers, ...options });
  apps.push(app);
  return app;
}

/** A multipart/form-data body built by the platform's FormData. */
async function multipart(parts: Record<string, Buffer | Buffer[] | string>): Promise<{ payload: Buffer; headers: Record<string, string> }> {
  const fd = new FormData();
  for (const [k, v] of Object.entries(parts)) {
    if (typeof v === 'string') fd.append(k, v);
    else for (const [i, b] of (Array.isArray(v) ? v : [v]).entries()) fd.append(k, new Blob([b], { type: 'image/jpeg' }), `${k}${i}.jpg`);
  }
  const req = new Request('http://localhost/', { method: 'POST', body: fd });
  return { payload: Buffer.from(await req.arrayBuffer()), headers: { 'content-type': req.headers.get('content-type')! } };
}

const raw = (app: FastifyInstance, url: string, bytes: Buffer, headers: Record<string, string> = {}) =>
  app.inject({ method: 'POST', url, headers: { 'content-type': 'image/jpeg', ...headers }, payload: bytes });
const json = (app: FastifyInstance, method: 'POST' | 'PATCH' | 'GET' | 'DELETE', url: string, body?: unknown, headers: Record<string, string> = {}) =>
  app.inject({ method, url, headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers }, ...(body === undefined ? {} : { payload: JSON.stringify(body) }) });

function assertError(r: LightMyRequestResponse, status: number, code: string, message?: RegExp): void {
  assert.equal(r.statusCode, status, r.body);
  const body = r.json() as { error: { code: string; message: string } };
  assert.equal(body.error.code, code, r.body);
  assert.equal(typeof body.error.message, 'string');
  if (message) assert.match(body.error.message, message);
}

const photo = (person: number, variant: number) => faces[person]!.variants[variant]!;

before(async () => {
  dir = await tempDir('server');
  recognizers = new RecognizerSet(2);
  faces = await syntheticFaces(5);
  assert.equal(faces.length, 5, 'five synthetic persons');
  group = await readFile(sampleImagePath(1));
  noFace = await readFile(await writeNoFacePhoto(join(dir, 'noface.jpg')));
});

after(async () => {
  for (const app of apps) await app.close();
  await recognizers.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe('system routes', () => {
  test('health, metrics, OpenAPI, the /api page, static pages', async () => {
    const app = await server();
    const h = await app.inject({ method: 'GET', url: '/api/v1/health' });
    assert.equal(h.statusCode, 200);
    const health = h.json();
    assert.equal(health.status, 'ok');
    assert.equal(health.persons, 0);
    assert.equal(health.faces, 0);
    assert.match(health.modelId, /^dlib-resnet128:/);
    assert.equal(health.detector, 'accurate');
    assert.equal(typeof health.uptime, 'number');

    const o = await app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    assert.equal(o.statusCode, 200);
    const doc = o.json();
    assert.equal(doc.openapi, '3.0.3');
    for (const p of ['/api/v1/detect', '/api/v1/embed', '/api/v1/verify', '/api/v1/identify', '/api/v1/persons', '/api/v1/persons/{name}', '/api/v1/persons/{name}/merge', '/api/v1/persons/{name}/faces', '/api/v1/faces/{id}/thumbnail', '/api/v1/faces/{id}', '/api/v1/health', '/api/v1/metrics']) {
      assert.ok(doc.paths[p], `${p} documented`);
    }

    const page = await app.inject({ method: 'GET', url: '/api' });
    assert.equal(page.statusCode, 200);
    assert.match(String(page.headers['content-type']), /text\/html/);
    assert.match(page.body, /POST<\/span> <code>\/api\/v1\/identify<\/code>/);
    assert.doesNotMatch(page.body, /<script|https?:\/\/(?!HOST)/i, 'no scripts, no external resources');

    const index = await app.inject({ method: 'GET', url: '/' });
    if (existsSync(join(import.meta.dirname, 'public', 'index.html'))) {
      assert.equal(index.statusCode, 200);
      assert.match(String(index.headers['content-type']), /text\/html/);
    }
    for (const evil of ['/../package.json', '/%2e%2e/package.json', '/..%2fpackage.json', '/.hidden', '/js/%2e%2e/%2e%2e/server.ts']) {
      assertError(await app.inject({ method: 'GET', url: evil }), 404, 'NOT_FOUND');
    }
    assert.equal(publicFilePath('/srv/public', '/../x'), undefined);
    assert.equal(publicFilePath('/srv/public', '/a/b.js'), '/srv/public/a/b.js');
    assertError(await app.inject({ method: 'GET', url: '/api/v1/nothing-here' }), 404, 'NOT_FOUND');

    await app.inject({ method: 'GET', url: '/api/v1/health' });
    const m = await app.inject({ method: 'GET', url: '/api/v1/metrics' });
    assert.equal(m.statusCode, 200);
    assert.match(String(m.headers['content-type']), /text\/plain/);
    assert.match(m.body, /facerec_http_requests_total\{method="GET",route="\/api\/v1\/health",status="200"\} 2/);
    assert.match(m.body, /facerec_http_request_duration_seconds_bucket\{method="GET",route="\/api\/v1\/health",le="\+Inf"\} 2/);
    assert.match(m.body, /^facerec_gallery_faces 0$/m);
    assert.match(m.body, /^facerec_faces_processed_total 0$/m);
  });
});

describe('recognition routes', () => {
  let app: FastifyInstance;
  before(async () => {
    app = await server();
  });

  test('POST /detect: raw, JSON base64 and multipart give the same faces with 68 landmarks', async () => {
    const a = await raw(app, '/api/v1/detect', group);
    assert.equal(a.statusCode, 200, a.body);
    const body = a.json();
    assert.equal(body.width, 1920);
    assert.equal(body.faces.length, 3);
    for (const f of body.faces) {
      assert.ok(f.box.right > f.box.left && f.box.bottom > f.box.top);
      assert.ok(f.score > 0.5 && f.score <= 1);
      assert.equal(f.landmarks.length, 68);
      assert.equal(f.landmarks[0].length, 2);
    }
    const b = await json(app, 'POST', '/api/v1/detect', { image: `data:image/jpeg;base64,${group.toString('base64')}` });
    assert.deepEqual(b.json(), body);
    const mp = await multipart({ image: group });
    const c = await app.inject({ method: 'POST', url: '/api/v1/detect', ...mp });
    assert.deepEqual(c.json(), body);
    const fast = await raw(app, '/api/v1/detect?detector=fast', group);
    assert.equal(fast.json().detector, 'fast');
    const m = await app.inject({ method: 'GET', url: '/api/v1/metrics' });
    assert.match(m.body, /^facerec_faces_processed_total 12$/m);
  });

  test('POST /embed: 128 numbers per face and the model id', async () => {
    const r = await raw(app, '/api/v1/embed', photo(0, 0));
    assert.equal(r.statusCode, 200, r.body);
    const body = r.json();
    assert.match(body.modelId, /^dlib-resnet128:/);
    assert.equal(body.faces.length, 1);
    assert.equal(body.faces[0].encoding.length, 128);
    assert.ok(body.faces[0].encoding.every((v: unknown) => typeof v === 'number' && Number.isFinite(v)));
  });

  test('POST /verify: same person (variants) vs different persons; 422 names the image without a face', async () => {
    const same = await app.inject({ method: 'POST', url: '/api/v1/verify', ...(await multipart({ image1: photo(0, 0), image2: photo(0, 1) })) });
    assert.equal(same.statusCode, 200, same.body);
    const s = same.json();
    assert.equal(s.same, true);
    assert.ok(s.distance < 0.6);
    assert.equal(s.tolerance, 0.6);
    assert.ok(s.confidence > 0.5);
    assert.ok(s.faces.image1.right > s.faces.image1.left);
    const diff = await json(app, 'POST', '/api/v1/verify?tolerance=0.5', { image1: photo(0, 0).toString('base64'), image2: photo(1, 0).toString('base64') });
    assert.equal(diff.statusCode, 200, diff.body);
    assert.equal(diff.json().same, false);
    assert.equal(diff.json().tolerance, 0.5);
    assert.ok(diff.json().confidence < 0.5);
    assertError(await json(app, 'POST', '/api/v1/verify', { image1: photo(0, 0).toString('base64'), image2: noFace.toString('base64') }), 422, 'NO_FACE', /"image2"/);
    assertError(await json(app, 'POST', '/api/v1/verify', { image1: photo(0, 0).toString('base64') }), 400, 'BAD_REQUEST', /"image2"/);
  });

  test('POST /identify on an empty gallery: every face unknown, distance null', async () => {
    const r = await raw(app, '/api/v1/identify', group);
    assert.equal(r.statusCode, 200, r.body);
    for (const f of r.json().faces) {
      assert.equal(f.name, null);
      assert.equal(f.distance, null);
      assert.equal(f.confidence, 0);
      assert.deepEqual(f.candidates, []);
    }
  });

  test('400: schema errors and bad inputs name the field', async () => {
    assertError(await raw(app, '/api/v1/identify?topK=abc', photo(0, 0)), 400, 'BAD_REQUEST', /querystring field "topK"/);
    assertError(await raw(app, '/api/v1/identify?tolerance=5', photo(0, 0)), 400, 'BAD_REQUEST', /"tolerance"/);
    assertError(await raw(app, '/api/v1/detect?detector=hog9', photo(0, 0)), 400, 'BAD_REQUEST', /"detector" must be one of "accurate", "fast"/);
    assertError(await json(app, 'POST', '/api/v1/detect', { picture: 'x' }), 400, 'BAD_REQUEST', /"image" is required/);
    assertError(await json(app, 'POST', '/api/v1/detect', { image: 'not base64!' }), 400, 'BAD_REQUEST', /"image" is not valid base64/);
    assertError(await json(app, 'POST', '/api/v1/detect', { image: 42 }), 400, 'BAD_REQUEST', /"image"/);
    const broken = await app.inject({ method: 'POST', url: '/api/v1/detect', headers: { 'content-type': 'application/json' }, payload: '{"image": ' });
    assertError(broken, 400, 'BAD_REQUEST', /JSON/);
    assertError(await raw(app, '/api/v1/detect', Buffer.alloc(0)), 400, 'IMAGE_EMPTY', /empty/);
  });

  test('415: a body that is not an image', async () => {
    assertError(await app.inject({ method: 'POST', url: '/api/v1/detect', headers: { 'content-type': 'text/plain' }, payload: 'hello' }), 415, 'UNSUPPORTED_MEDIA_TYPE', /image/);
    assertError(await raw(app, '/api/v1/detect', Buffer.from('these bytes are not a picture')), 415, 'IMAGE_UNSUPPORTED', /"image"/);
    assertError(await json(app, 'POST', '/api/v1/detect', { image: Buffer.from('plain text, not an image').toString('base64') }), 415, 'IMAGE_UNSUPPORTED');
  });

  test('422: over the pixel limit', async () => {
    const small = await server({ maxPixels: 100_000 });
    assertError(await raw(small, '/api/v1/detect', group), 422, 'IMAGE_TOO_LARGE', /1920×1280.*limit/);
  });

  test('413: body over --max-body-mb, raw, JSON and multipart', async () => {
    const tiny = await server({ maxBodyMb: 0.05 });
    assertError(await raw(tiny, '/api/v1/detect', group), 413, 'PAYLOAD_TOO_LARGE');
    assertError(await json(tiny, 'POST', '/api/v1/detect', { image: group.toString('base64') }), 413, 'PAYLOAD_TOO_LARGE');
    assertError(await tiny.inject({ method: 'POST', url: '/api/v1/detect', ...(await multipart({ image: group })) }), 413, 'PAYLOAD_TOO_LARGE');
  });

  test('503: the recognition queue is full', async () => {
    const busy = await server({ queueLimit: 1 });
    const results = await Promise.all(Array.from({ length: 5 }, () => raw(busy, '/api/v1/detect', photo(0, 0))));
    const statuses = results.map((r) => r.statusCode).sort();
    assert.deepEqual(statuses, [200, 200, 503, 503, 503], 'one runs, one waits, the rest are refused');
    const refused = results.find((r) => r.statusCode === 503)!;
    assertError(refused, 503, 'BUSY', /queue is full/);
    assert.equal(refused.headers['retry-after'], '1');
  });

  test('500: internals are hidden from the client and logged', async () => {
    const logged: string[] = [];
    const store = await SqliteGalleryStore.open(join(dir, 'broken.db'));
    const broken = new Proxy(store, {
      get(target, prop, receiver) {
        if (prop === 'listPersons') return async () => Promise.reject(new Error('disk on fire at /secret/path'));
        if (prop === 'getPerson') return async () => Promise.reject(new FacerecError('DATABASE_ERROR', 'Cannot read "/secret/db"'));
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    }) as GalleryStore;
    const app500 = await buildServer({
      store: broken,
      recognizers,
      rateLimit: 0,
      logger: { level: 'error', stream: { write: (line: string) => logged.push(line) } },
    });
    apps.push(app500);
    const r = await app500.inject({ method: 'GET', url: '/api/v1/persons' });
    assertError(r, 500, 'INTERNAL');
    assert.doesNotMatch(r.body, /fire|secret/);
    const r2 = await json(app500, 'POST', '/api/v1/persons', { name: 'Ann', image: photo(0, 0).toString('base64') });
    assertError(r2, 500, 'INTERNAL');
    assert.doesNotMatch(r2.body, /secret/);
    assert.ok(logged.some((l) => l.includes('disk on fire')), 'details in the log');
    await store.close();
  });
});

describe('gallery routes', () => {
  let app: FastifyInstance;
  let datasetDir: string;
  before(async () => {
    datasetDir = join(dir, 'dataset');
    app = await server({ datasetDir });
  });

  test('create, list, thumbnails, add faces, identify, rename, merge, delete', async () => {
    // Create with two photos (multipart), one of them without a face.
    const created = await app.inject({ method: 'POST', url: '/api/v1/persons', ...(await multipart({ name: 'Ann Lee', image: [photo(0, 0), noFace] })) });
    assert.equal(created.statusCode, 201, created.body);
    const c = created.json();
    assert.equal(c.person.name, 'Ann Lee');
    assert.equal(c.person.faceCount, 1);
    assert.equal(c.added.length, 1);
    assert.deepEqual(c.skipped.map((s: { photo: number; reason: string }) => [s.photo, s.reason]), [[1, 'no-face']]);
    assert.match(c.person.thumbnail, /^\/api\/v1\/faces\/\d+\/thumbnail$/);

    // 409: the name is taken.
    assertError(await json(app, 'POST', '/api/v1/persons', { name: 'Ann Lee', image: photo(0, 1).toString('base64') }), 409, 'ALREADY_EXISTS', /Ann Lee/);
    // 400: no name; 422: the only photo has no face.
    assertError(await json(app, 'POST', '/api/v1/persons', { image: photo(1, 0).toString('base64') }), 400, 'BAD_REQUEST', /"name"/);
    assertError(await json(app, 'POST', '/api/v1/persons', { name: 'Nobody', image: noFace.toString('base64') }), 422, 'NO_FACE', /"image"/);

    // Thumbnail: a 112 px JPEG.
    const thumb = await app.inject({ method: 'GET', url: c.person.thumbnail });
    assert.equal(thumb.statusCode, 200);
    assert.equal(thumb.headers['content-type'], 'image/jpeg');
    const meta = await sharp(thumb.rawPayload).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['jpeg', 112, 112]);

    // Add faces (JSON, two photos; one a group photo: largest face, warning); a duplicate is skipped.
    const added = await json(app, 'POST', '/api/v1/persons/Ann%20Lee/faces', { images: [photo(0, 1).toString('base64'), photo(0, 0).toString('base64')] });
    assert.equal(added.statusCode, 201, added.body);
    assert.equal(added.json().added.length, 1);
    assert.deepEqual(added.json().skipped.map((s: { photo: number; reason: string }) => [s.photo, s.reason]), [[1, 'duplicate']]);
    const rawAdd = await raw(app, '/api/v1/persons/Ann%20Lee/faces', photo(0, 2));
    assert.equal(rawAdd.statusCode, 201, rawAdd.body);
    assertError(await raw(app, '/api/v1/persons/Ann%20Lee/faces', photo(0, 2)), 409, 'ALREADY_EXISTS', /already enrolled/);
    assertError(await raw(app, '/api/v1/persons/Nobody/faces', photo(1, 0)), 404, 'NOT_FOUND', /Nobody/);

    const bob = await json(app, 'POST', '/api/v1/persons', { name: 'Bob', image: photo(1, 0).toString('base64') });
    assert.equal(bob.statusCode, 201, bob.body);
    const multi = await raw(app, '/api/v1/persons/Bob/faces', group);
    assert.equal(multi.statusCode, 201, multi.body);
    assert.match(multi.json().warnings[0], /3 faces; the largest/);

    const persons = (await app.inject({ method: 'GET', url: '/api/v1/persons' })).json().persons;
    assert.deepEqual(persons.map((p: { name: string; faceCount: number }) => [p.name, p.faceCount]), [['Ann Lee', 3], ['Bob', 2]]);
    const annFaces = (await app.inject({ method: 'GET', url: '/api/v1/persons/Ann%20Lee/faces' })).json().faces;
    assert.equal(annFaces.length, 3);
    for (const f of annFaces) {
      assert.equal(f.hasThumbnail, true);
      assert.ok(f.quality > 0.5);
      assert.match(f.thumbnail, /^\/api\/v1\/faces\/\d+\/thumbnail$/);
    }
    assertError(await app.inject({ method: 'GET', url: '/api/v1/persons/Nobody/faces' }), 404, 'NOT_FOUND', /Nobody/);

    // Identify: Ann's unseen variant is Ann; an unknown person is null.
    const id = await raw(app, '/api/v1/identify?topK=2', photo(0, 3));
    assert.equal(id.statusCode, 200, id.body);
    const face = id.json().faces[0];
    assert.equal(face.name, 'Ann Lee');
    assert.ok(face.distance < 0.6 && face.confidence > 0.5);
    assert.equal(face.candidates[0].name, 'Ann Lee');
    assert.equal(face.candidates.length, 2);
    assert.equal((await raw(app, '/api/v1/identify', photo(2, 0))).json().faces[0].name, null);

    // Rename (409 when taken), merge, delete a face, delete a person.
    assertError(await json(app, 'PATCH', '/api/v1/persons/Bob', { name: 'Ann Lee' }), 409, 'ALREADY_EXISTS', /merge/);
    assertError(await json(app, 'PATCH', '/api/v1/persons/Nobody', { name: 'X' }), 404, 'NOT_FOUND');
    assertError(await json(app, 'PATCH', '/api/v1/persons/Bob', {}), 400, 'BAD_REQUEST', /"name" is required/);
    const renamed = await json(app, 'PATCH', '/api/v1/persons/Bob', { name: 'Robert' });
    assert.equal(renamed.statusCode, 200, renamed.body);
    assert.equal(renamed.json().name, 'Robert');
    assert.equal((await raw(app, '/api/v1/identify', photo(1, 1))).json().faces[0].name, 'Robert', 'the index follows renames');
    const merged = await json(app, 'POST', '/api/v1/persons/Robert/merge', { into: 'Ann Lee' });
    assert.equal(merged.statusCode, 200, merged.body);
    assert.equal(merged.json().faceCount, 5);
    assert.equal((await raw(app, '/api/v1/identify', photo(1, 1))).json().faces[0].name, 'Ann Lee', 'the index follows merges');
    assertError(await json(app, 'POST', '/api/v1/persons/Robert/merge', { into: 'Ann Lee' }), 404, 'NOT_FOUND', /Robert/);

    const faceId = annFaces[0].id as number;
    assert.equal((await app.inject({ method: 'DELETE', url: `/api/v1/faces/${faceId}` })).statusCode, 204);
    assertError(await app.inject({ method: 'DELETE', url: `/api/v1/faces/${faceId}` }), 404, 'NOT_FOUND', new RegExp(String(faceId)));
    assertError(await app.inject({ method: 'GET', url: `/api/v1/faces/${faceId}/thumbnail` }), 404, 'NOT_FOUND');
    assertError(await app.inject({ method: 'GET', url: '/api/v1/faces/abc/thumbnail' }), 400, 'BAD_REQUEST', /"id"/);
    assert.equal((await app.inject({ method: 'GET', url: '/api/v1/health' })).json().faces, 4);

    assert.equal((await app.inject({ method: 'DELETE', url: '/api/v1/persons/Ann%20Lee' })).statusCode, 204);
    assertError(await app.inject({ method: 'DELETE', url: '/api/v1/persons/Ann%20Lee' }), 404, 'NOT_FOUND');
    const health = (await app.inject({ method: 'GET', url: '/api/v1/health' })).json();
    assert.deepEqual([health.persons, health.faces], [0, 0]);
    assert.equal((await raw(app, '/api/v1/identify', photo(0, 3))).json().faces[0].name, null);

    // The dataset copy: one JPEG per enrolled photo, in a folder per person.
    assert.deepEqual(await readdir(datasetDir), ['Ann Lee', 'Bob']);
    assert.equal((await readdir(join(datasetDir, 'Ann Lee'))).length, 3);
  });

  test('--dataset-dir: names cannot escape the folder', async () => {
    for (const [name, folder] of [['../x', '_x'], ['..', '_'], ['a/../../b', 'a_.._.._b'], ['C:\\evil', 'C__evil'], ['.hidden', 'hidden'], ['Zoë Ådne', 'Zoë Ådne']] as const) {
      assert.equal(safeFolderName(name), folder, name);
    }
    const r = await json(app, 'POST', '/api/v1/persons', { name: '../escape', image: photo(3, 0).toString('base64') });
    assert.equal(r.statusCode, 201, r.body);
    assert.equal(r.json().person.name, '../escape', 'the name itself is data');
    assert.equal(existsSync(join(dir, 'escape')), false);
    assert.equal((await readdir(join(datasetDir, '_escape'))).length, 1);
    const ok = await app.inject({ method: 'GET', url: `/api/v1/persons/${encodeURIComponent('../escape')}/faces` });
    assert.equal(ok.statusCode, 200, ok.body);
  });

  test('no uploaded photo is stored unless enrolled', async () => {
    const fresh = await server({ datasetDir: join(dir, 'dataset2') });
    await raw(fresh, '/api/v1/identify', photo(4, 0));
    await raw(fresh, '/api/v1/detect', photo(4, 0));
    assert.equal(existsSync(join(dir, 'dataset2')), false);
    assert.equal((await fresh.inject({ method: 'GET', url: '/api/v1/persons' })).json().persons.length, 0);
  });
});

describe('concurrency', () => {
  test('20 concurrent enrolments (and duplicates) with identifications: exact counts, index in sync', async () => {
    const app = await server({ queueLimit: 100 });
    // Five persons created concurrently, each with variant 0.
    const creates = await Promise.all(faces.map((_, p) => json(app, 'POST', '/api/v1/persons', { name: `P${p}`, image: photo(p, 0).toString('base64') })));
    assert.deepEqual(creates.map((r) => r.statusCode), [201, 201, 201, 201, 201]);
    // 15 new photos + 5 duplicates + 10 identifications, all at once.
    const jobs: Promise<LightMyRequestResponse>[] = [];
    for (let p = 0; p < 5; p++) for (let v = 1; v < 4; v++) jobs.push(raw(app, `/api/v1/persons/P${p}/faces`, photo(p, v)));
    for (let p = 0; p < 5; p++) jobs.push(raw(app, `/api/v1/persons/P${p}/faces`, photo(p, 1)));
    for (let i = 0; i < 10; i++) jobs.push(raw(app, '/api/v1/identify', photo(i % 5, 3)));
    // Two racing creates of one new name: exactly one wins.
    jobs.push(json(app, 'POST', '/api/v1/persons', { name: 'Twin', image: photo(0, 0).toString('base64') }));
    const results = await Promise.all(jobs);
    const enrol = results.slice(0, 20).map((r) => r.statusCode);
    assert.equal(enrol.filter((s) => s === 201).length, 15, `15 added: ${enrol}`);
    assert.equal(enrol.filter((s) => s === 409).length, 5, 'the 5 duplicates refused');
    for (const r of results.slice(20, 30)) assert.equal(r.statusCode, 200, r.body);
    assertError(results[30]!, 409, 'ALREADY_EXISTS', /already enrolled/);

    const persons = (await app.inject({ method: 'GET', url: '/api/v1/persons' })).json().persons;
    assert.deepEqual(persons.map((p: { name: string; faceCount: number }) => [p.name, p.faceCount]), [0, 1, 2, 3, 4].map((p) => [`P${p}`, 4]));
    const health = (await app.inject({ method: 'GET', url: '/api/v1/health' })).json();
    assert.deepEqual([health.persons, health.faces], [5, 20], 'index = store');
    for (let p = 0; p < 5; p++) assert.equal((await raw(app, '/api/v1/identify', photo(p, 3))).json().faces[0].name, `P${p}`);
  });
});

describe('API key and rate limit', () => {
  test('binding beyond loopback without a key is refused; with a key it builds', async () => {
    await assert.rejects(buildServer({ host: '0.0.0.0', logger: false, db: join(dir, 'k.db') }), /Refusing to listen on 0\.0\.0\.0 without an API key.*FACEREC_API_KEY/);
    await assert.rejects(buildServer({ host: '192.168.1.5', apiKey: '', logger: false, db: join(dir, 'k.db') }), /API key/);
    const ok = await server({ host: '0.0.0.0', apiKey: 's3cret' });
    assert.equal((await ok.inject({ method: 'GET', url: '/api/v1/health', headers: { 'x-api-key': 's3cret' } })).statusCode, 200);
    const { runServe } = await import('../cli/serve-command.js');
    const sink = { write: () => true } as unknown as NodeJS.WritableStream;
    await assert.rejects(runServe(['--host', '0.0.0.0'], { stdout: sink, stderr: sink }, {}), /Refusing to listen on 0\.0\.0\.0.*FACEREC_API_KEY/);
  });

  test('401 without or with a wrong key; header, Bearer and ?key= accepted; pages stay public', async () => {
    const app = await server({ apiKey: 'correct horse' });
    assertError(await app.inject({ method: 'GET', url: '/api/v1/health' }), 401, 'UNAUTHORIZED', /x-api-key/);
    assertError(await app.inject({ method: 'GET', url: '/api/v1/health', headers: { 'x-api-key': 'correct hors' } }), 401, 'UNAUTHORIZED');
    assertError(await raw(app, '/api/v1/detect', photo(0, 0)), 401, 'UNAUTHORIZED');
    assertError(await app.inject({ method: 'GET', url: '/api' }), 401, 'UNAUTHORIZED');
    assert.equal((await app.inject({ method: 'GET', url: '/api/v1/health', headers: { 'x-api-key': 'correct horse' } })).statusCode, 200);
    assert.equal((await app.inject({ method: 'GET', url: '/api/v1/health', headers: { authorization: 'Bearer correct horse' } })).statusCode, 200);
    assert.equal((await app.inject({ method: 'GET', url: '/api/v1/health?key=correct%20horse' })).statusCode, 200);
    assert.notEqual((await app.inject({ method: 'GET', url: '/' })).statusCode, 401);
    assert.equal(keyMatches('a', 'a'), true);
    assert.equal(keyMatches('a'.repeat(1000), 'a'), false, 'different lengths compare safely');
    assert.equal(keyMatches(undefined, 'a'), false);
    assert.equal(redactUrl('/api/v1/live?detector=fast&key=abc&x=1'), '/api/v1/live?detector=fast&key=***&x=1');
  });

  test('429 beyond the per-client rate limit', async () => {
    const app = await server({ rateLimit: 3 });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await app.inject({ method: 'GET', url: '/api/v1/health' })).statusCode);
    assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
    const r = await app.inject({ method: 'GET', url: '/api/v1/health' });
    assertError(r, 429, 'RATE_LIMITED', /at most 3 per minute/);
    assert.ok(r.headers['retry-after']);
    // Another client is not limited; pages are not limited.
    assert.equal((await app.inject({ method: 'GET', url: '/api/v1/health', remoteAddress: '10.0.0.2' })).statusCode, 200);
    assert.notEqual((await app.inject({ method: 'GET', url: '/' })).statusCode, 429);
  });
});
