/**
 * The behaviour every MonitorStore must have, as one suite run against each
 * implementation (SQLite, PostgreSQL). `open` gives a store on an EMPTY database.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MonitorStore, NewMonitorEvent } from './monitor-store.js';

export const sampleEvent = (trackId: number, person: string | null = 'Ada', thumbnail: Uint8Array | null = null): NewMonitorEvent => ({
  trackId,
  person,
  firstSeenAt: '2026-11-28T01:00:00.000Z',
  lastSeenAt: '2026-11-28T01:00:05.250Z',
  framesSeen: 42,
  bestDistance: person ? 0.3125 : null,
  thumbnail,
});

export function monitorStoreContract(open: () => Promise<MonitorStore>): void {
  test('creates, lists in id order, reads back every field, enables and deletes monitors', async () => {
    const store = await open();
    try {
      assert.deepEqual(await store.listMonitors(), []);
      const a = await store.createMonitor({ name: 'Door', url: 'rtsp://u:p@cam/door', detector: 'fast', enabled: true });
      const b = await store.createMonitor({ name: 'Yard — “north”', url: 'http://cam/yard.mjpg', detector: 'accurate' });
      assert.ok(b.id > a.id);
      assert.equal(b.enabled, false, 'disabled unless asked');
      assert.ok(!Number.isNaN(Date.parse(a.createdAt)));
      assert.deepEqual(await store.listMonitors(), [a, b]);
      assert.deepEqual(await store.getMonitor(b.id), b);
      assert.equal(await store.getMonitor(b.id + 1000), null);
      assert.deepEqual(await store.setEnabled(b.id, true), { ...b, enabled: true });
      assert.equal(await store.setEnabled(b.id + 1000, true), null);
      assert.equal(await store.deleteMonitor(a.id), true);
      assert.equal(await store.deleteMonitor(a.id), false);
      assert.deepEqual((await store.listMonitors()).map((m) => m.id), [b.id]);
    } finally {
      await store.close();
    }
  });

  test('events: newest first, every field kept, only the newest N per monitor, thumbnails per monitor', async () => {
    const store = await open();
    try {
      const a = await store.createMonitor({ name: 'A', url: 'rtsp://a', detector: 'fast' });
      const b = await store.createMonitor({ name: 'B', url: 'rtsp://b', detector: 'fast' });
      const first = await store.addEvent(a.id, sampleEvent(1, 'Ada', new Uint8Array([0xff, 0xd8, 7])), 3);
      assert.deepEqual(first, {
        id: first.id,
        monitorId: a.id,
        trackId: 1,
        person: 'Ada',
        firstSeenAt: '2026-11-28T01:00:00.000Z',
        lastSeenAt: '2026-11-28T01:00:05.250Z',
        framesSeen: 42,
        bestDistance: 0.3125,
        hasThumbnail: true,
      });
      assert.deepEqual([...(await store.eventThumbnail(a.id, first.id))!], [0xff, 0xd8, 7]);
      assert.equal(await store.eventThumbnail(b.id, first.id), null, 'reachable only through its own monitor');
      for (let i = 2; i <= 7; i++) await store.addEvent(a.id, sampleEvent(i, i % 2 ? null : 'Ada'), 3);
      const other = await store.addEvent(b.id, sampleEvent(100), 3);
      assert.deepEqual((await store.listEvents(a.id, 50)).map((e) => [e.trackId, e.person, e.hasThumbnail]), [
        [7, null, false],
        [6, 'Ada', false],
        [5, null, false],
      ]);
      assert.equal((await store.listEvents(a.id, 50))[0]!.bestDistance, null);
      assert.deepEqual((await store.listEvents(a.id, 1)).map((e) => e.trackId), [7]);
      assert.equal(await store.eventThumbnail(a.id, first.id), null, 'pruned with its event');
      assert.deepEqual((await store.listEvents(b.id, 50)).map((e) => e.id), [other.id]);
    } finally {
      await store.close();
    }
  });

  test('deleting a monitor deletes its events; events of a missing monitor are refused', async () => {
    const store = await open();
    try {
      const a = await store.createMonitor({ name: 'A', url: 'rtsp://a', detector: 'fast' });
      await store.addEvent(a.id, sampleEvent(1), 10);
      await store.deleteMonitor(a.id);
      assert.deepEqual(await store.listEvents(a.id, 10), []);
      await assert.rejects(store.addEvent(a.id, sampleEvent(2), 10), /foreign key/i);
    } finally {
      await store.close();
    }
  });
}
