/**
 * A stand-in for runVideoSession (src/video/video-session.ts) with the same
 * contract, for tests of code that RUNS sessions (the monitor manager and its
 * routes) without decoding video: frames every `frameMs` with a real small JPEG
 * when asked for one, an event (with a thumbnail file beside eventsPath) every
 * `eventEvery` frames, the open track flushed as an event on abort. An input
 * containing "unreachable" fails at once, as probing a dead stream does.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import sharp from 'sharp';
import type { TrackEvent, VideoSessionOptions, VideoSummary } from '../video/video-session.js';

export interface FakeSession {
  (options: VideoSessionOptions): Promise<VideoSummary>;
  calls: VideoSessionOptions[];
}

export function fakeVideoSession({ frameMs = 10, eventEvery = 5, person = 'Ada' }: { frameMs?: number; eventEvery?: number; person?: string | null } = {}): FakeSession {
  const jpegs = new Map<number, Buffer>();
  const jpegOf = async (shade: number) => {
    let j = jpegs.get(shade);
    if (!j) {
      j = await sharp({ create: { width: 32, height: 24, channels: 3, background: { r: shade, g: 80, b: 160 } } }).jpeg().toBuffer();
      jpegs.set(shade, j);
    }
    return j;
  };
  const run = (async (options: VideoSessionOptions): Promise<VideoSummary> => {
    run.calls.push(options);
    if (options.input.includes('unreachable')) throw new Error(`Cannot open "${options.input}": Connection refused`);
    const thumbDir = options.eventsPath ? join(dirname(options.eventsPath), `${basename(options.eventsPath, extname(options.eventsPath))}-thumbnails`) : null;
    if (thumbDir) await mkdir(thumbDir, { recursive: true });
    const events: TrackEvent[] = [];
    let trackId = 1;
    let trackStart = 0;
    const emit = async (index: number) => {
      let thumbnailPath: string | null = null;
      if (thumbDir) {
        thumbnailPath = join(thumbDir, `track-${trackId}.jpg`);
        await writeFile(thumbnailPath, await jpegOf(200));
      }
      const e: TrackEvent = { trackId, person, firstTimestamp: trackStart * 0.04, lastTimestamp: index * 0.04, framesSeen: index - trackStart + 1, bestDistance: person ? 0.31 : 0.72, thumbnailPath };
      events.push(e);
      options.onEvent?.(e);
      trackId++;
      trackStart = index + 1;
    };
    let index = 0;
    while (!options.signal?.aborted) {
      const want = typeof options.wantJpeg === 'function' ? options.wantJpeg(index) : Boolean(options.wantJpeg);
      const jpeg = want ? await jpegOf(index % 256) : undefined;
      options.onFrame?.({ index, timestamp: index * 0.04, width: 32, height: 24, jpeg, tracks: [] });
      if ((index + 1) % eventEvery === 0) await emit(index);
      index++;
      await new Promise((r) => setTimeout(r, frameMs));
    }
    if (trackStart < index) await emit(index - 1);
    return { frames: index, seconds: index * 0.04, fps: 25, events, persons: [] };
  }) as FakeSession;
  run.calls = [];
  return run;
}
