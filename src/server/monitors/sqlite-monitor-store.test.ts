import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SqliteGalleryStore } from '../../gallery/sqlite-gallery-store.js';
import { tempDir } from '../../test-support/test-datasets.js';
import { monitorStoreContract, sampleEvent } from './monitor-store-contract.js';
import { SqliteMonitorStore } from './sqlite-monitor-store.js';

describe('SqliteMonitorStore: the MonitorStore contract', () => {
  monitorStoreContract(async () => SqliteMonitorStore.open(':memory:'));
});

describe('SqliteMonitorStore in the gallery file', () => {
  let dir: string;
  before(async () => {
    dir = await tempDir('monitor-store');
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('monitors and events survive reopening the file; the gallery in the same file still opens and is untouched', async () => {
    const file = join(dir, 'shared.db');
    const gallery = await SqliteGalleryStore.open(file);
    const store = SqliteMonitorStore.open(file);
    const a = await store.createMonitor({ name: 'Door', url: 'rtsp://cam/door', detector: 'fast', enabled: true });
    const e = await store.addEvent(a.id, sampleEvent(1, 'Ada', new Uint8Array([0xff, 0xd8, 1, 2])), 10);
    await store.close();
    await gallery.close();

    // Both open again on the same file, in the other order.
    const again = SqliteMonitorStore.open(file);
    const gallery2 = await SqliteGalleryStore.open(file);
    assert.deepEqual(await again.listMonitors(), [a]);
    assert.deepEqual(await again.listEvents(a.id, 10), [e]);
    assert.deepEqual([...(await again.eventThumbnail(a.id, e.id))!], [0xff, 0xd8, 1, 2]);
    assert.equal((await gallery2.listPersons()).length, 0);
    await again.close();
    await gallery2.close();
  });

  test('an unopenable path is a DATABASE_ERROR naming it', () => {
    const bad = join(dir, 'no-such-folder', 'x.db');
    assert.throws(() => SqliteMonitorStore.open(bad), (err: Error & { code?: string }) => err.code === 'DATABASE_ERROR' && err.message.includes(bad));
  });
});
