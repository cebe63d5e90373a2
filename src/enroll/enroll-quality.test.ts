import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { SqliteGalleryStore } from '../gallery/sqlite-gallery-store.js';
import { createPipelinePool, type PipelinePool } from '../pool/pipeline-pool.js';
import { syntheticFaces, tempDir } from '../test-support/test-datasets.js';
import { scanDataset } from './dataset-layout.js';
import { enrollPersons } from './enroll.js';

let pool: PipelinePool;
before(async () => {
  pool = await createPipelinePool({ detector: 'accurate' }, 1);
});
after(async () => {
  await pool.close();
});

test('enrolment stores each face\'s quality score; faces below --min-quality are skipped as low-quality with score and reasons', async () => {
  const [face] = await syntheticFaces(1);
  const dir = await tempDir('enroll-quality');
  const ds = join(dir, 'ds', 'Ann');
  await mkdir(ds, { recursive: true });
  await writeFile(join(ds, 'good.jpg'), face!.variants[0]!);
  await writeFile(join(ds, 'soft.jpg'), await sharp(face!.variants[0]!).blur(4).jpeg().toBuffer());
  const persons = (await scanDataset(join(dir, 'ds'))).persons;
  const strict = await SqliteGalleryStore.open(join(dir, 'strict.db'));
  try {
    const report = await enrollPersons(strict, pool, persons, { minQuality: 0.99 });
    assert.equal(report.enrolled, 0);
    assert.equal(report.skipped['low-quality'], 2);
    for (const skip of report.persons[0]!.skipped) {
      assert.equal(skip.reason, 'low-quality');
      assert.match(skip.message, /^quality 0\.\d\d < 0\.99: \S/);
    }
    assert.match(report.persons[0]!.skipped.find((s) => s.file.endsWith('soft.jpg'))!.message, /blurred/);
    assert.equal(report.persons[0]!.noUsablePhoto, true);
    assert.deepEqual(await strict.listPersons(), []);
  } finally {
    await strict.close();
  }
  const store = await SqliteGalleryStore.open(join(dir, 'all.db'));
  try {
    const report = await enrollPersons(store, pool, persons, { minQuality: 0 });
    assert.equal(report.enrolled, 2);
    const faces = await store.listFaces('Ann');
    const good = faces.find((f) => f.sourcePath!.endsWith('good.jpg'))!;
    const soft = faces.find((f) => f.sourcePath!.endsWith('soft.jpg'))!;
    assert.ok(good.quality! > 0.5 && good.quality! <= 1, `good quality ${good.quality}`);
    assert.ok(soft.quality! < good.quality!, `blurred ${soft.quality} < sharp ${good.quality}`);
  } finally {
    await store.close();
  }
});
