/**
 * Browser end-to-end test of the Cameras page against the real server and the
 * real video engine: Debian's chromium (playwright-core) adds a camera whose
 * URL is an HTTP stream served by the test (an ffmpeg clip: an enrolled person,
 * then a stranger), sees the annotated MJPEG preview load and the events appear
 * (the person by name with a thumbnail, the stranger as unknown), then stops and
 * deletes it. Screenshot: test-artifacts/browser-cameras.png.
 *
 * Skips with a message when chromium or ffmpeg is missing.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { startCameraStream, type CameraStream } from '../../test-support/camera-stream.js';
import { repoRoot } from '../../test-support/fixtures.js';
import { tempDir } from '../../test-support/test-datasets.js';
import { RecognizerSet } from '../recognition-queue.js';
import { buildServer } from '../server.js';

// page.waitForFunction callbacks run in the browser; this program has no DOM library.
declare const document: { getElementById(id: string): { naturalWidth: number; naturalHeight: number } | null };

function which(cmd: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  const p = r.stdout.trim();
  return r.status === 0 && p ? p : undefined;
}

const chromiumPath = process.env.FACEREC_CHROMIUM ?? which('chromium') ?? which('chromium-browser');
const skip: string | false = !chromiumPath
  ? 'skipped: chromium is not installed (apt-get install chromium; or set FACEREC_CHROMIUM)'
  : !which('ffmpeg') || !which('ffprobe')
    ? 'skipped: ffmpeg is not installed (apt-get install ffmpeg)'
    : false;

describe('Cameras page in a browser (chromium, HTTP camera stream)', { skip, timeout: 240_000 }, () => {
  let dir: string;
  let recognizers: RecognizerSet;
  let camera: CameraStream;
  let app: FastifyInstance;
  let base: string;
  let browser: Browser;
  const problems: string[] = [];

  const watch = (page: Page) => {
    // 400/404/409 answers are expected here (the refused file path; no frame yet) and shown on the page.
    page.on('console', (m) => {
      if (m.type() === 'error' && !/status of 40[049]/.test(m.text())) problems.push(`console error: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('request', (r) => {
      if (!r.url().startsWith(base) && !r.url().startsWith('data:')) problems.push(`external request ${r.url()}`);
    });
    return page;
  };

  before(async () => {
    dir = await tempDir('cameras-e2e');
    await mkdir(join(repoRoot, 'test-artifacts'), { recursive: true });
    recognizers = new RecognizerSet(2);
    camera = await startCameraStream(dir, await recognizers.get('accurate'));
    app = await buildServer({ db: join(dir, 'g.db'), logger: false, rateLimit: 0, recognizers, monitors: { reconnectDelayMs: 500 } });
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const enrol = await app.inject({ method: 'POST', url: '/api/v1/persons', payload: { name: 'Known Person', image: camera.knownPhoto.toString('base64') } });
    assert.equal(enrol.statusCode, 201, enrol.body);
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: chromiumPath!,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
  });
  after(async () => {
    await browser?.close().catch(() => {});
    await app?.close();
    await camera?.close();
    await recognizers?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  test('add a camera, watch its preview, see who was seen, stop and delete it', async () => {
    const page = watch(await browser.newPage({ viewport: { width: 1280, height: 900 } }));
    await page.goto(`${base}/cameras.html`);
    assert.equal(await page.getByRole('link', { name: 'Cameras', exact: true }).getAttribute('aria-current'), 'page');
    await page.locator('#no-cameras').waitFor({ state: 'visible' });

    // A file path is refused by this server: the message names the field.
    await page.getByLabel('Name').fill('Lobby');
    await page.getByLabel('Stream URL').fill('/etc/passwd');
    await page.getByRole('button', { name: 'Add and start' }).click();
    await page.locator('#status[data-kind="error"]', { hasText: '"url"' }).waitFor();

    await page.getByLabel('Stream URL').fill(camera.url);
    await page.getByLabel('Detector').selectOption('accurate');
    await page.getByRole('button', { name: 'Add and start' }).click();
    await page.locator('li.camera', { hasText: 'Lobby' }).waitFor();

    // The MJPEG preview shows annotated 640×480 frames.
    await page.waitForFunction(() => (document.getElementById('preview')?.naturalWidth ?? 0) > 0, undefined, { timeout: 60_000 });
    const size = await page.evaluate(() => [document.getElementById('preview')!.naturalWidth, document.getElementById('preview')!.naturalHeight]);
    assert.deepEqual(size, [640, 480]);

    // Events: the enrolled person by name (with a face thumbnail), the stranger as unknown.
    const known = page.locator('tr.event[data-person="Known Person"]').first();
    await known.waitFor({ timeout: 90_000 });
    await page.locator('tr.event[data-person=""]').first().waitFor({ timeout: 60_000 });
    assert.equal(await known.locator('td.person').textContent(), 'Known Person');
    const thumbLoaded = await known.locator('img').evaluate((img: { complete: boolean; naturalWidth: number }) => img.complete && img.naturalWidth > 0);
    assert.ok(thumbLoaded, 'the event thumbnail loaded');
    assert.equal(await page.locator('tr.event[data-person=""] td.person').first().textContent(), 'unknown');
    await page.screenshot({ path: join(repoRoot, 'test-artifacts', 'browser-cameras.png'), fullPage: true });

    // Stop: the state says so; delete after confirming.
    const item = page.locator('li.camera', { hasText: 'Lobby' });
    await item.getByRole('button', { name: 'Stop' }).click();
    await item.locator('.state', { hasText: 'Stopped' }).waitFor();
    await item.getByRole('button', { name: 'Delete…' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await page.locator('#no-cameras').waitFor({ state: 'visible' });
    assert.deepEqual(JSON.parse((await app.inject('/api/v1/monitors')).body).monitors, []);
    await page.close();
    assert.deepEqual(problems, []);
  });
});
