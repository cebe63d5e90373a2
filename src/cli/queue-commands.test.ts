/** enqueue / worker / jobs: help with examples and one clear sentence per bad input. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from '../test-support/test-datasets.js';

for (const command of ['enqueue', 'worker', 'jobs']) {
  test(`facerec ${command} --help shows its options and an example`, async () => {
    const r = await runCli([command, '--help']);
    assert.equal(r.code, 0);
    assert.match(r.out, new RegExp(`Usage: facerec ${command}`));
    assert.match(r.out, /--redis URL/);
    assert.match(r.out, new RegExp(`Examples?:\\n  facerec ${command}`));
  });
}

test('facerec enqueue names what is wrong with --job and DIR', async () => {
  let r = await runCli(['enqueue', 'photos']);
  assert.equal(r.code, 2);
  assert.match(r.err, /--job is required: enroll or identify/);
  r = await runCli(['enqueue', 'photos', '--job', 'recognise']);
  assert.equal(r.code, 2);
  assert.match(r.err, /--job expects enroll or identify, got "recognise"/);
  r = await runCli(['enqueue', '--job', 'identify']);
  assert.equal(r.code, 2);
  assert.match(r.err, /give exactly one DIR/);
});

test('a bad or unreachable --redis is one sentence naming the URL', async () => {
  let r = await runCli(['jobs', '--redis', 'http://127.0.0.1:6379']);
  assert.equal(r.code, 1);
  assert.match(r.err, /--redis expects a redis:\/\/ or rediss:\/\/ URL, got "http:\/\/127.0.0.1:6379"/);
  r = await runCli(['jobs', '--redis', 'redis://127.0.0.1:1']);
  assert.equal(r.code, 1);
  assert.match(r.err, /Cannot reach Redis at redis:\/\/127.0.0.1:1: .*is redis-server running/);
});

test('facerec worker refuses arguments and a bad --concurrency', async () => {
  let r = await runCli(['worker', 'photos/']);
  assert.equal(r.code, 2);
  assert.match(r.err, /takes no arguments, got "photos\/"/);
  r = await runCli(['worker', '--concurrency', '0']);
  assert.equal(r.code, 2);
  assert.match(r.err, /--concurrency expects a whole number from 1 to 256, got "0"/);
});
