/**
 * Decoding: one ffmpeg process writes raw RGB24 frames of a known size to its
 * stdout; we cut the byte stream into frames. ffmpeg decodes ahead (up to
 * `readAhead` frames buffered here) while the caller runs inference, so decode
 * and detection overlap on the two cores.
 */
import type { ChildProcess } from 'node:child_process';
import type { RgbImage } from '../types.js';
import { collectExit, inputArgs, inputKind, spawnTool } from './ffmpeg.js';

export interface DecodedFrame {
  /** 0-based index of the frame in this decoder's output. */
  index: number;
  image: RgbImage;
}

export interface DecoderEnd {
  /** Frames delivered. */
  frames: number;
  /** ffmpeg's error lines (decode errors, a truncated file, a dropped stream), or null after a clean end or stop(). */
  error: string | null;
}

export interface FrameDecoder {
  /** The frames in order; ends when ffmpeg ends or stop() is called. Iterate once. */
  frames: AsyncIterableIterator<DecodedFrame>;
  /** Settles after ffmpeg has exited. */
  ended: Promise<DecoderEnd>;
  /** Stops ffmpeg (frames already buffered are dropped). */
  stop(): void;
}

export interface DecoderOptions {
  width: number;
  height: number;
  /** Frames buffered ahead of the consumer (default 4). */
  readAhead?: number;
  /** For streams: seconds without data before ffmpeg gives up (default 10). */
  ioTimeoutSeconds?: number;
}

export function ffmpegDecodeArgs(input: string, o: DecoderOptions): string[] {
  const stream = inputKind(input) === 'url' ? ['-rw_timeout', String(Math.round((o.ioTimeoutSeconds ?? 10) * 1e6))] : [];
  return ['-hide_banner', '-nostdin', '-v', 'error', ...stream, ...inputArgs(input), '-an', '-sn', '-dn', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${o.width}x${o.height}`, 'pipe:1'];
}

export function startDecoder(input: string, options: DecoderOptions): FrameDecoder {
  const { width, height } = options;
  const frameBytes = width * height * 3;
  const readAhead = options.readAhead ?? 4;
  const child: ChildProcess = spawnTool('ffmpeg', ffmpegDecodeArgs(input, options), { stdio: ['ignore', 'pipe', 'pipe'] });
  const exit = collectExit(child, 'ffmpeg');
  const stdout = child.stdout!;

  const queue: DecodedFrame[] = [];
  let current: Buffer | null = null;
  let filled = 0;
  let produced = 0;
  let delivered = 0;
  let done = false;
  let stopped = false;
  let wake: (() => void) | null = null;
  const notify = () => {
    const w = wake;
    wake = null;
    w?.();
  };

  stdout.on('data', (chunk: Buffer) => {
    if (stopped) return;
    let offset = 0;
    while (offset < chunk.length) {
      // One copy per byte: straight from the pipe chunk into the frame's own buffer.
      current ??= Buffer.allocUnsafe(frameBytes);
      const n = Math.min(frameBytes - filled, chunk.length - offset);
      chunk.copy(current, filled, offset, offset + n);
      filled += n;
      offset += n;
      if (filled === frameBytes) {
        queue.push({ index: produced++, image: { width, height, data: current, source: input } });
        current = null;
        filled = 0;
      }
    }
    if (queue.length >= readAhead) stdout.pause();
    notify();
  });
  const ended: Promise<DecoderEnd> = exit.then(
    (e) => {
      done = true;
      notify();
      const errorLines = e.stderr
        .split('\n')
        // "[mov,mp4,… @ 0x55…] partial file" → "partial file": the address says nothing to a user.
        .map((l) => l.replace(/^\[[^\]]* @ 0x[0-9a-f]+\]\s*/, '').replace(/, offset 0x[0-9a-f]+/, '').trim())
        .filter((l, i, all) => l !== '' && all.indexOf(l) === i);
      const failed = !stopped && (e.code !== 0 || errorLines.length > 0);
      return { frames: delivered, error: failed ? errorLines.slice(-3).join('; ') || `ffmpeg exited with code ${e.code}` : null };
    },
    (err: unknown) => {
      done = true;
      notify();
      throw err;
    },
  );
  // A spawn failure is reported through `ended`; keep the iterator from leaking an unhandled rejection.
  ended.catch(() => {});

  async function* iterate(): AsyncGenerator<DecodedFrame> {
    try {
      for (;;) {
        if (stopped) return;
        const next = queue.shift();
        if (next) {
          delivered++;
          if (queue.length < readAhead && stdout.isPaused()) stdout.resume();
          yield next;
          continue;
        }
        if (done) {
          await ended; // rethrows a missing-ffmpeg error
          return;
        }
        if (stdout.isPaused()) stdout.resume();
        await new Promise<void>((r) => (wake = r));
      }
    } finally {
      if (!done) stop();
    }
  }

  function stop(): void {
    if (stopped) return;
    stopped = true;
    queue.length = 0;
    // ffmpeg blocked on a full pipe would never see SIGTERM: drop the pipe (EPIPE ends it), then make sure.
    stdout.destroy();
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }, 2000);
      timer.unref();
    }
    notify();
  }

  return { frames: iterate(), ended, stop };
}
