/**
 * The `liveness=true` flag of the REST API, in-process (app.inject): per-face
 * {real, live, spoof} on detect and identify, per image on verify, absent
 * without the flag, and a clear error when the optional models are missing.
 */
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { DEFAULT_LIVENESS_THRESHOLDS } from '../liveness/liveness.js';
import { humanModelsDir, HUMAN_MODELS_MISSING } from '../liveness/liveness-models.js';
import { disposeSharedLivenessChecker } from '../liveness/shared-checker.js';
import { disposeSharedFaceAttributes } from '../attributes/face-attributes.js';
import { sampleImagePath } from '../test-support/fixtures.js';
import { tempDir } from '../test-support/test-datasets.js';
import { RecognizerSet } from './recognition-queue.js';
import { buildServer } from './server.js';

const skip = humanModelsDir() ? false : `skipped: ${HUMAN_MODELS_MISSING}`;

let dir: string;
let recognizers: RecognizerSet;
let app: FastifyInstance;
let group: Buffer;

before(async () => {
  dir = await tempDir('liveness-api');
  recognizers = new RecognizerSet(2);
  app = await buildServer({ db: join(dir, 'g.db'), logger: false, rateLimit: 0, recognizers });
  group = await readFile(sampleImagePath(1));
});

after(async () => {
  await app.close();
  await recognizers.dispose();
  await disposeSharedLivenessChecker();
  await disposeSharedFaceAttributes();
  await rm(dir, { recursive: true, force: true });
});

const post = (url: string, bytes: Buffer) => app.inject({ method: 'POST', url, headers: { 'content-type': 'image/jpeg' }, payload: bytes });

interface LiveFace {
  liveness?: { real: number; live: number; spoof: boolean };
}

function assertScores(f: LiveFace): void {
  assert.ok(f.liveness, 'liveness present');
  const { real, live, spoof } = f.liveness;
  assert.ok(real >= 0 && real <= 1 && live >= 0 && live <= 1, JSON.stringify(f.liveness));
  assert.equal(spoof, real < DEFAULT_LIVENESS_THRESHOLDS.real || live < DEFAULT_LIVENESS_THRESHOLDS.live);
}

describe('REST API liveness flag', () => {
  test('without the optional models, liveness=true is a 404 naming the package; without the flag nothing changes', async () => {
    const saved = process.env.FACEREC_HUMAN_MODELS_DIR;
    process.env.FACEREC_HUMAN_MODELS_DIR = join(dir, 'no-such-folder');
    try {
      const r = await post('/api/v1/detect?liveness=true', group);
      assert.equal(r.statusCode, 404, r.body);
      assert.match(r.json().error.message, /@vladmandic\/human-models/);
      const plain = await post('/api/v1/detect', group);
      assert.equal(plain.statusCode, 200);
    } finally {
      if (saved === undefined) delete process.env.FACEREC_HUMAN_MODELS_DIR;
      else process.env.FACEREC_HUMAN_MODELS_DIR = saved;
    }
  });

  test('detect: a liveness object per face with the flag (query or JSON body), none without', { skip }, async () => {
    const r = await post('/api/v1/detect?liveness=true', group);
    assert.equal(r.statusCode, 200, r.body);
    const faces = r.json().faces as LiveFace[];
    assert.equal(faces.length, 3);
    faces.forEach(assertScores);

    const body = await app.inject({
      method: 'POST',
      url: '/api/v1/detect',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ image: group.toString('base64'), liveness: true }),
    });
    assert.equal(body.statusCode, 200, body.body);
    assert.deepEqual(
      (body.json().faces as LiveFace[]).map((f) => f.liveness),
      faces.map((f) => f.liveness),
      'same scores from the JSON body flag',
    );

    const plain = await post('/api/v1/detect', group);
    for (const f of plain.json().faces as LiveFace[]) assert.equal(f.liveness, undefined);
  });

  test('identify and verify carry the scores too', { skip }, async () => {
    const id = await post('/api/v1/identify?liveness=true', group);
    assert.equal(id.statusCode, 200, id.body);
    (id.json().faces as LiveFace[]).forEach(assertScores);

    const v = await app.inject({
      method: 'POST',
      url: '/api/v1/verify?liveness=true',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ image1: group.toString('base64'), image2: group.toString('base64') }),
    });
    assert.equal(v.statusCode, 200, v.body);
    const live = v.json().liveness as { image1: LiveFace['liveness']; image2: LiveFace['liveness'] };
    assertScores({ liveness: live.image1 });
    assert.deepEqual(live.image1, live.image2, 'same photo, same scores');
  });

  test('a non-boolean flag is a 400 naming the field', async () => {
    const r = await post('/api/v1/detect?liveness=maybe', group);
    assert.equal(r.statusCode, 400, r.body);
    assert.match(r.body, /liveness/);
  });
});

describe('REST API attributes flag', () => {
  test('detect and identify: attributes per face with attributes=true (query or JSON body), none without', async () => {
    const r = await post('/api/v1/detect?attributes=true', group);
    assert.equal(r.statusCode, 200, r.body);
    const faces = r.json().faces as { attributes?: { age: number; gender: string; genderProbability: number; expression: Record<string, number> } }[];
    assert.equal(faces.length, 3);
    for (const f of faces) {
      const a = f.attributes!;
      assert.ok(a.age > 0 && a.age < 100 && (a.gender === 'male' || a.gender === 'female') && a.genderProbability >= 0.5, JSON.stringify(a));
      assert.deepEqual(Object.keys(a.expression), ['neutral', 'happy', 'sad', 'angry', 'fearful', 'disgusted', 'surprised']);
    }
    const id = await app.inject({
      method: 'POST',
      url: '/api/v1/identify',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ image: group.toString('base64'), attributes: true }),
    });
    assert.equal(id.statusCode, 200, id.body);
    assert.deepEqual(
      (id.json().faces as { attributes: unknown }[]).map((f) => f.attributes),
      faces.map((f) => f.attributes),
      'same faces, same estimates',
    );
    const plain = await post('/api/v1/identify', group);
    assert.ok((plain.json().faces as { attributes?: unknown }[]).every((f) => f.attributes === undefined));
  });
});
