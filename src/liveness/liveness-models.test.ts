import assert from 'node:assert/strict';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FacerecError } from '../errors.js';
import { humanModelsDir, HUMAN_MODELS_MISSING, LIVENESS_CONVERTER, loadConvertedGraphModel } from './liveness-models.js';

const skip = humanModelsDir() ? false : `skipped: ${HUMAN_MODELS_MISSING}`;

test('graph models are converted once, then read from the cache; a corrupted cache is rebuilt with the same bytes', { skip }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'facerec-graph-cache-'));
  try {
    const first = loadConvertedGraphModel(LIVENESS_CONVERTER, dir);
    assert.equal(first.converted, true);
    const second = loadConvertedGraphModel(LIVENESS_CONVERTER, dir);
    assert.equal(second.converted, false);
    assert.equal(second.onnxSha256, first.onnxSha256);
    await writeFile(join(dir, 'liveness.onnx'), 'garbage');
    const third = loadConvertedGraphModel(LIVENESS_CONVERTER, dir);
    assert.equal(third.converted, true);
    assert.equal(third.onnxSha256, first.onnxSha256, 'conversion is deterministic');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('without the optional package the error names it', () => {
  const saved = process.env.FACEREC_HUMAN_MODELS_DIR;
  process.env.FACEREC_HUMAN_MODELS_DIR = join(tmpdir(), 'facerec-no-such-human-models');
  try {
    assert.throws(() => loadConvertedGraphModel(LIVENESS_CONVERTER), (e: unknown) => e instanceof FacerecError && /@vladmandic\/human-models/.test(e.message));
  } finally {
    if (saved === undefined) delete process.env.FACEREC_HUMAN_MODELS_DIR;
    else process.env.FACEREC_HUMAN_MODELS_DIR = saved;
  }
});
