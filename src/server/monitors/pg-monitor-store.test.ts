/** PgMonitorStore against a real PostgreSQL server started for the test (skips when PostgreSQL is not installed). */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { postgresSkip, startPostgres, type PostgresServer } from '../../test-support/postgres-server.js';
import { monitorStoreContract } from './monitor-store-contract.js';
import { PgMonitorStore } from './pg-monitor-store.js';

const skip = postgresSkip();

describe('PgMonitorStore', { skip, timeout: 120_000 }, () => {
  let server: PostgresServer;
  let admin: pg.Client;
  let n = 0;
  before(async () => {
    server = await startPostgres();
    admin = new pg.Client({ connectionString: server.connectionString });
    await admin.connect();
  });
  after(async () => {
    await admin?.end();
    await server?.stop();
  });

  /** Each store gets its own empty database. */
  const freshDatabase = async () => {
    const name = `monitors_${++n}`;
    await admin.query(`CREATE DATABASE ${name}`);
    return server.connectionString.replace(/\/postgres$/, `/${name}`);
  };

  describe('the MonitorStore contract', () => {
    monitorStoreContract(async () => PgMonitorStore.open(await freshDatabase()));
  });

  test('two stores opening the same empty database at once both succeed, and see the same monitors', async () => {
    const url = await freshDatabase();
    const [a, b] = await Promise.all([PgMonitorStore.open(url), PgMonitorStore.open(url)]);
    const m = await a.createMonitor({ name: 'Door', url: 'rtsp://cam', detector: 'fast', enabled: true });
    assert.deepEqual(await b.listMonitors(), [m]);
    await a.close();
    await b.close();
  });

  test('an unreachable server is a DATABASE_ERROR', async () => {
    await assert.rejects(PgMonitorStore.open({ connectionString: 'postgres://nobody@127.0.0.1:1/none', connectionTimeoutMillis: 2000 }), (err: Error & { code?: string }) => err.code === 'DATABASE_ERROR' && /monitor tables/.test(err.message));
  });
});
