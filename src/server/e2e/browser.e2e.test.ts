/**
 * Browser end-to-end test of the web pages against the real server: Debian's
 * chromium (driven by playwright-core) with a fake webcam that plays a clip made
 * with ffmpeg from photos of ONE person. The person is enrolled through the Enrol
 * page (name, `k` key presses, Save), then recognised on the Live page, listed in
 * the Gallery and found in a photo on the Identify page. Screenshots of each page
 * go to test-artifacts/.
 *
 * Skips with a message when chromium or ffmpeg is missing (CI installs both).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Browser, BrowserContext, ConsoleMessage, Page } from 'playwright-core';
import { repoRoot } from '../../test-support/fixtures.js';
import { examplesDir, syntheticFaces, tempDir } from '../../test-support/test-datasets.js';

// The functions passed to page.evaluate/waitForFunction run in the browser; this
// program is compiled without the DOM library, so declare the little they use.
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const document: { getElementById(id: string): any; querySelectorAll(selector: string): Iterable<any> };
declare const window: any;
declare function requestAnimationFrame(callback: () => void): number;

/** Absolute path of a command on PATH, or undefined. */
function which(cmd: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  const p = r.stdout.trim();
  return r.status === 0 && p ? p : undefined;
}

const chromiumPath = process.env.FACEREC_CHROMIUM ?? which('chromium') ?? which('chromium-browser');
const ffmpegPath = which('ffmpeg');
const skip: string | false = !chromiumPath
  ? 'skipped: chromium is not installed (apt-get install chromium; or set FACEREC_CHROMIUM)'
  : !ffmpegPath
    ? 'skipped: ffmpeg is not installed (apt-get install ffmpeg)'
    : false;

const ARTIFACTS = join(repoRoot, 'test-artifacts');
const CLIP_SECONDS_PER_PHOTO = 1.5;
const CLIP_FPS = 10;

interface Person {
  name: string;
  /** Photos (files) that make the fake-camera clip. */
  clipPhotos: string[];
  /** Another photo of the person, for the Identify page. */
  identifyPhoto: string;
}

/** The person the fake camera shows: obama from ../shared/data, else a face cut from the npm sample photos. */
async function personFixture(dir: string): Promise<Person> {
  if (examplesDir) {
    const ex = (p: string) => join(examplesDir!, p);
    return {
      name: 'Barack Obama',
      clipPhotos: [ex('examples/obama.jpg'), ex('examples/obama2.jpg'), ex('tests/test_images/obama3.jpg'), ex('examples/obama-480p.jpg')],
      identifyPhoto: ex('examples/knn_examples/test/obama1.jpg'),
    };
  }
  const [face] = await syntheticFaces(1);
  assert.ok(face, 'a single-face crop of the npm sample photos');
  const files: string[] = [];
  for (const [i, v] of face.variants.entries()) {
    const f = join(dir, `${face.id}-${i}.jpg`);
    await writeFile(f, v);
    files.push(f);
  }
  // Variants 0–2 (plain, mirrored, smaller and brighter) make the clip; 3 (a shifted crop) is the photo to identify.
  return { name: 'Sample Person', clipPhotos: files.slice(0, 3), identifyPhoto: files[3]! };
}

/** A 640×480 y4m clip showing each photo (scaled and padded) for CLIP_SECONDS_PER_PHOTO. */
function makeClip(photos: string[], out: string): void {
  const inputs = photos.flatMap((p) => ['-loop', '1', '-framerate', String(CLIP_FPS), '-t', String(CLIP_SECONDS_PER_PHOTO), '-i', p]);
  const chains = photos.map(
    (_, i) => `[${i}:v]scale=640:480:force_original_aspect_ratio=decrease,pad=640:480:(ow-iw)/2:(oh-ih)/2:color=0x303030,setsar=1,format=yuv420p[v${i}]`,
  );
  const filter = `${chains.join(';')};${photos.map((_, i) => `[v${i}]`).join('')}concat=n=${photos.length}:v=1:a=0[out]`;
  const r = spawnSync(ffmpegPath!, ['-y', '-loglevel', 'error', ...inputs, '-filter_complex', filter, '-map', '[out]', '-r', String(CLIP_FPS), '-pix_fmt', 'yuv420p', out], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, `ffmpeg failed: ${r.stderr}`);
}

describe('web pages in a browser (chromium, fake webcam)', { skip, timeout: 300_000 }, () => {
  let tmp: string;
  let person: Person;
  let app: FastifyInstance | undefined;
  let base: string;
  let browser: Browser;
  let context: BrowserContext;
  const problems: string[] = [];
  let enrolled = 0;

  const watch = (page: Page) => {
    page.on('console', (m: ConsoleMessage) => {
      if (m.type() === 'error') problems.push(`${page.url()}: console error: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`${page.url()}: ${e.message}`));
    page.on('requestfailed', (r) => {
      if (!r.url().startsWith(base)) problems.push(`external request ${r.url()}`);
    });
    page.on('request', (r) => {
      const u = r.url();
      if (!u.startsWith(base) && !u.startsWith(base.replace('http:', 'ws:')) && !u.startsWith('data:') && !u.startsWith('blob:')) problems.push(`external request ${u}`);
    });
    return page;
  };
  const shot = (page: Page, name: string) => page.screenshot({ path: join(ARTIFACTS, `browser-${name}.png`), fullPage: true });

  before(async () => {
    tmp = await tempDir('browser-e2e');
    await mkdir(ARTIFACTS, { recursive: true });
    person = await personFixture(tmp);
    const clip = join(tmp, 'camera.y4m');
    makeClip(person.clipPhotos, clip);

    if (process.env.FACEREC_E2E_URL) {
      // Debugging aid: drive an already running server (its gallery must be empty).
      base = process.env.FACEREC_E2E_URL.replace(/\/$/, '');
    } else {
      const { buildServer } = await import('../server.js');
      app = await buildServer({ db: join(tmp, 'gallery.db'), logger: false, rateLimit: 0 });
      await app.listen({ host: '127.0.0.1', port: 0 });
      base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    }

    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: chromiumPath!,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
        '--use-fake-ui-for-media-stream',
        '--use-fake-device-for-media-stream',
        `--use-file-for-fake-video-capture=${clip}`,
      ],
    });
    context = await browser.newContext({ viewport: { width: 1280, height: 860 }, reducedMotion: 'reduce' });
    await context.grantPermissions(['camera'], { origin: base });
  });

  after(async () => {
    await context?.close().catch(() => {});
    await browser?.close().catch(() => {});
    await app?.close().catch(() => {});
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  test('home page shows the server status', async () => {
    const page = watch(await context.newPage());
    await page.goto(`${base}/`);
    await page.locator('#health-status', { hasText: 'The server is up' }).waitFor({ timeout: 10_000 });
    assert.equal(await page.locator('#health-dot').getAttribute('data-state'), 'ok');
    for (const link of ['Live', 'Enrol', 'Gallery', 'Identify', 'Cameras']) assert.equal(await page.getByRole('link', { name: link, exact: true }).count(), 1, link);
    await shot(page, 'index');
    await page.close();
  });

  test('live before enrolment: the face is unknown (red label) and "blur unknown faces" blurs it', async () => {
    const page = watch(await context.newPage());
    await page.goto(`${base}/live.html`);
    await page.locator('.face-label.unknown', { hasText: 'Unknown' }).first().waitFor({ state: 'visible', timeout: 90_000 });
    await page.evaluate(() => (document.getElementById('video')).pause());
    const frameNow = Number(await page.locator('#stage').getAttribute('data-frame'));
    await page.waitForFunction((f) => Number(document.getElementById('stage')!.dataset.frame) >= f + 2, frameNow, { timeout: 15_000 });
    // Sharpness of the face region on the displayed canvas, without and with blur.
    const faceSharpness = () =>
      page.evaluate(async () => {
        const sharpnessModule = '/js/sharpness.js';
        const { laplacianVariance } = await import(sharpnessModule);
        await new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
        const last = window.__facerecLast as { width: number; faces: { box: { top: number; right: number; bottom: number; left: number } }[] };
        const view = document.getElementById('view');
        const s = view.width / last.width;
        const b = last.faces[0]!.box;
        return laplacianVariance(view, { top: b.top * s, right: b.right * s, bottom: b.bottom * s, left: b.left * s }) as number;
      });
    await page.locator('#blur-unknown').uncheck();
    const sharp = await faceSharpness();
    await page.locator('#blur-unknown').check();
    const blurred = await faceSharpness();
    assert.ok(blurred < sharp / 4, `the unknown face is blurred: sharpness ${sharp.toFixed(0)} → ${blurred.toFixed(0)}`);
    await shot(page, 'live-unknown-blur');
    await page.locator('#blur-unknown').uncheck(); // the setting is remembered; leave it off
    await page.close();
  });

  test('enrol: type the name, press k a few times, save', async () => {
    const page = watch(await context.newPage());
    await page.goto(`${base}/enrol.html`);
    await page.locator('#check-status', { hasText: 'Camera ready' }).waitFor({ timeout: 15_000 });
    // Typing a "k" in the name field must not capture.
    await page.locator('#name').fill('');
    await page.locator('#name').pressSequentially(person.name);
    await page.locator('#name').press('k');
    await page.locator('#name').press('Backspace');
    assert.equal(await page.locator('#captures li').count(), 0, 'a k typed into the name field is not a capture');
    await page.locator('#name').blur();

    const started = Date.now();
    const log: string[] = [];
    for (let attempt = 0; attempt < 16 && (await page.locator('#captures li').count()) < 4; attempt++) {
      await page.keyboard.press('k');
      // Wait for the check to finish (the button is disabled while checking).
      await page.waitForFunction(() => !(document.getElementById('capture')).disabled && !/Checking/.test(document.getElementById('check-status')!.textContent ?? ''), null, {
        timeout: 60_000,
      });
      log.push((await page.locator('#check-status').textContent()) ?? '');
      await page.waitForTimeout(1200); // let the clip move on to another photo
    }
    const kept = await page.locator('#captures li').count();
    assert.ok(kept >= 2, `at least 2 captures pass the quality check, got ${kept}: ${log.join(' | ')}`);
    // Review: discard one, keep the rest.
    await page.getByRole('button', { name: /^Discard picture/ }).first().click();
    assert.equal(await page.locator('#captures li').count(), kept - 1);
    await shot(page, 'enrol');

    await page.locator('#save').click();
    const status = page.locator('#save-status', { hasText: /Added \d+ face/ });
    await status.waitFor({ timeout: 60_000 });
    const text = (await status.textContent()) ?? '';
    enrolled = Number(/Added (\d+) face/.exec(text)?.[1]);
    assert.ok(enrolled >= 1, text);
    assert.match(text, new RegExp(person.name));
    assert.equal(await page.locator('#captures li').count(), 0, 'saved captures are cleared');
    await shot(page, 'enrol-saved');
    console.log(`# enrol: ${kept} of ${log.length} k presses kept, ${enrolled} faces added in ${Date.now() - started} ms; checks: ${log.join(' | ')}`);
    await page.close();
  });

  test('gallery lists the person with the face count; opening shows the faces', async () => {
    assert.ok(enrolled >= 1, 'the enrol test ran first');
    const page = watch(await context.newPage());
    await page.goto(`${base}/gallery.html`);
    const card = page.locator('button.card.person', { hasText: person.name });
    await card.waitFor({ timeout: 10_000 });
    assert.equal(await card.getAttribute('data-count'), String(enrolled));
    assert.match((await card.textContent()) ?? '', new RegExp(`${enrolled} faces?`));
    await card.click();
    await page.locator('#faces li.card').first().waitFor({ timeout: 10_000 });
    assert.equal(await page.locator('#faces li.card').count(), enrolled);
    // Every thumbnail actually loaded.
    await page.waitForFunction(() => [...document.querySelectorAll('img')].every((i) => i.complete && i.naturalWidth > 0), null, { timeout: 10_000 });
    await shot(page, 'gallery');
    // Confirmation dialogs: cancelling a delete keeps the person.
    await page.locator('#delete-person').click();
    await page.getByRole('dialog').waitFor();
    await page.getByRole('button', { name: 'Cancel' }).click();
    assert.equal(await page.locator('button.card.person').count(), 1);
    await page.close();
  });

  test('live: the overlay names the enrolled person', async () => {
    assert.ok(enrolled >= 1, 'the enrol test ran first');
    const page = watch(await context.newPage());
    const t0 = Date.now();
    await page.goto(`${base}/live.html`);
    await page.locator('#show-landmarks').check();
    const handle = await page.waitForFunction(
      (name) => {
        const last = window.__facerecLast as { faces: { name: string | null; distance: number }[] } | undefined;
        const face = last?.faces.find((f) => f.name === name);
        return face ? { distance: face.distance, faces: last!.faces.length } : null;
      },
      person.name,
      { timeout: 90_000, polling: 100 },
    );
    const first = (await handle.jsonValue()) as { distance: number; faces: number };
    const firstMs = Date.now() - t0;
    // The visible label under the box names the person.
    await page.locator('.face-label.known', { hasText: person.name }).first().waitFor({ state: 'visible', timeout: 15_000 });
    assert.match((await page.locator('#faces-list').textContent()) ?? '', new RegExp(person.name));
    assert.match((await page.locator('#stage').getAttribute('data-names')) ?? '', new RegExp(person.name));
    // A few seconds of results: FPS, timings and model are shown.
    await page.waitForTimeout(3000);
    const fps = Number(await page.locator('#fps').textContent());
    assert.ok(fps > 0, `results per second shown, got ${fps}`);
    assert.match((await page.locator('#t-encode').textContent()) ?? '', /ms$/);
    assert.notEqual((await page.locator('#m-detector').textContent())?.trim(), '–');
    const sentDropped = (await page.locator('#counts').textContent()) ?? '';
    // Freeze the picture so the drawn results belong to the frame on screen (the clip is a slide show).
    await page.evaluate(() => (document.getElementById('video')).pause());
    const frameNow = Number(await page.locator('#stage').getAttribute('data-frame'));
    await page.waitForFunction((f) => Number(document.getElementById('stage')!.dataset.frame) >= f + 2, frameNow, { timeout: 15_000 });
    await page.locator('.face-label.known', { hasText: person.name }).first().waitFor({ state: 'visible', timeout: 15_000 });
    await shot(page, 'live');
    console.log(`# live: first match after ${firstMs} ms (distance ${first.distance.toFixed(3)}), ${fps} results/s, sent/dropped ${sentDropped}`);
    await page.close();
  });

  test('identify: an uploaded photo shows the name', async () => {
    assert.ok(enrolled >= 1, 'the enrol test ran first');
    const page = watch(await context.newPage());
    await page.goto(`${base}/identify.html`);
    await page.locator('#file').setInputFiles(person.identifyPhoto);
    await page.locator('#status', { hasText: /recognised|no face/ }).waitFor({ timeout: 60_000 });
    await page.locator('.face-label.known', { hasText: person.name }).first().waitFor({ state: 'visible', timeout: 5_000 });
    assert.match((await page.locator('#faces').textContent()) ?? '', new RegExp(person.name));
    await shot(page, 'identify');
    await page.close();
  });

  test('gallery: delete a face and rename the person through the confirmation dialogs', async () => {
    assert.ok(enrolled >= 1, 'the enrol test ran first');
    const page = watch(await context.newPage());
    await page.goto(`${base}/gallery.html#person=${encodeURIComponent(person.name)}`);
    const faces = page.locator('#faces li.card');
    await faces.first().waitFor({ timeout: 10_000 });
    if (enrolled >= 2) {
      await faces.first().getByRole('button', { name: /^Delete face/ }).click();
      const dialog = page.getByRole('dialog');
      await dialog.waitFor();
      await shot(page, 'gallery-dialog');
      await dialog.getByRole('button', { name: 'Delete face' }).click();
      await page.locator('#person-heading', { hasText: `${enrolled - 1} face` }).waitFor({ timeout: 10_000 });
      assert.equal(await faces.count(), enrolled - 1);
    }
    const renamed = `${person.name} (renamed)`;
    await page.locator('#rename').click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('New name').fill(renamed);
    await dialog.getByRole('button', { name: 'Rename' }).click();
    await page.locator('button.card.person', { hasText: renamed }).waitFor({ timeout: 10_000 });
    await page.locator('#person-heading', { hasText: renamed }).waitFor({ timeout: 10_000 });
    assert.equal(await page.locator('button.card.person').count(), 1);
    await page.close();
  });

  test('no page errors and no external requests', () => {
    assert.deepEqual(problems, []);
  });
});
