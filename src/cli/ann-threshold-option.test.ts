import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { UsageError } from './cli-support.js';
import { identifyHelp, runIdentify } from './identify-command.js';
import { runServe, serveHelp } from './serve-command.js';

const ctx = () => ({ stdout: new PassThrough(), stderr: new PassThrough() });

test('--ann-threshold is documented with its 0 = exact meaning, and bad values are usage errors naming the flag', async () => {
  for (const help of [serveHelp, identifyHelp]) assert.match(help, /--ann-threshold N[\s\S]*0 = always exact search/);
  assert.match(serveHelp, /facerec serve --db million\.db --ann-threshold 100000/);
  await assert.rejects(runServe(['--ann-threshold=-5'], ctx()), (err: Error) => err instanceof UsageError && /--ann-threshold expects a whole number from 0 up, got "-5"/.test(err.message));
  await assert.rejects(runServe(['--ann-threshold', 'many'], ctx()), UsageError);
  await assert.rejects(runIdentify(['--ann-threshold', '1.5', 'photo.jpg'], ctx()), (err: Error) => err instanceof UsageError && /--ann-threshold/.test(err.message));
});
