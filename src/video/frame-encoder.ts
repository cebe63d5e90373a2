/**
 * Encoding the annotated frames: raw RGB24 into an ffmpeg process writing H.264
 * (libx264, else MPEG-4 part 2) in a FRAGMENTED MP4. Each fragment is complete
 * on disk once written, so a file cut short (Ctrl-C, a crash, a full disk) still
 * plays up to its last fragment; close() finishes the file properly.
 */
import { execFileSync } from 'node:child_process';
import { FacerecError } from '../errors.js';
import { collectExit, spawnTool } from './ffmpeg.js';

export interface FrameEncoderOptions {
  width: number;
  height: number;
  fps: number;
}

let cachedCodec: string | undefined;
/** libx264 where Debian's ffmpeg has it (it does), else the built-in mpeg4 encoder. */
export function videoCodecArgs(): string[] {
  if (cachedCodec === undefined) {
    let encoders = '';
    try {
      encoders = execFileSync('ffmpeg', ['-hide_banner', '-encoders'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    } catch {
      /* missing ffmpeg is reported by the spawn itself */
    }
    cachedCodec = /\blibx264\b/.test(encoders) ? 'libx264' : 'mpeg4';
  }
  return cachedCodec === 'libx264' ? ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-pix_fmt', 'yuv420p'] : ['-c:v', 'mpeg4', '-q:v', '4', '-pix_fmt', 'yuv420p'];
}

export class FrameEncoder {
  readonly #child;
  readonly #exit;
  #failure: Error | null = null;
  #closed = false;
  frames = 0;

  constructor(
    readonly outPath: string,
    readonly options: FrameEncoderOptions,
  ) {
    const { width, height, fps } = options;
    // Even sizes for yuv420p; a keyframe (and so a fragment) every 2 s.
    const gop = Math.max(1, Math.round(fps * 2));
    const args = [
      '-hide_banner', '-nostdin', '-v', 'error', '-y',
      '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${width}x${height}`, '-framerate', String(fps), '-i', 'pipe:0',
      '-vf', 'pad=ceil(iw/2)*2:ceil(ih/2)*2',
      ...videoCodecArgs(), '-g', String(gop),
      '-movflags', '+frag_keyframe+empty_moov+default_base_moof',
      '-f', 'mp4', outPath,
    ];
    this.#child = spawnTool('ffmpeg', args, { stdio: ['pipe', 'ignore', 'pipe'] });
    this.#exit = collectExit(this.#child, 'ffmpeg');
    this.#exit.catch((err: Error) => (this.#failure = err));
    this.#child.stdin!.on('error', (err) => (this.#failure ??= err));
  }

  /** Writes one frame (width × height × 3 bytes); waits when ffmpeg is behind. */
  async write(rgb: Uint8Array): Promise<void> {
    if (this.#failure) throw this.#error(this.#failure.message);
    if (this.#closed) throw new FacerecError('IO_ERROR', `The video output "${this.outPath}" is already closed`);
    this.frames++;
    const stdin = this.#child.stdin!;
    if (!stdin.write(rgb)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          stdin.off('drain', done);
          stdin.off('close', done);
          resolve();
        };
        stdin.on('drain', done);
        stdin.on('close', done);
      });
    }
  }

  /** Ends the input and waits for ffmpeg to finish the file. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#child.stdin!.end();
    const e = await this.#exit.catch((err: Error) => {
      throw err instanceof FacerecError ? err : this.#error(err.message);
    });
    if (e.code !== 0) throw this.#error(e.stderr.trim().split('\n').pop() || `ffmpeg exited with code ${e.code}`);
  }

  /** Stops at once (an error elsewhere): the fragments written so far stay playable. */
  kill(): void {
    this.#closed = true;
    this.#child.kill('SIGTERM');
  }

  #error(reason: string): FacerecError {
    return new FacerecError('IO_ERROR', `Cannot write the video "${this.outPath}": ${reason}`);
  }
}
