/**
 * Synthetic test clips: face "cards" cut from real photos glide across a plain
 * canvas at known times, composed here frame by frame and piped to ffmpeg as raw
 * RGB. Used by the video tests and bench/video.bench.ts.
 */
import { spawn } from 'node:child_process';
import sharp from 'sharp';
import type { FaceRecognizer } from '../face-recognizer.js';
import { loadImage } from '../image/load-image.js';
import type { RgbImage } from '../types.js';

export interface FaceCard {
  width: number;
  height: number;
  data: Buffer;
}

/** The largest face of `photo` with a margin (the box grown by 80%), as a square card of `size` px. */
export async function faceCard(recognizer: FaceRecognizer, photo: string, size = 150): Promise<FaceCard> {
  const image = await loadImage(photo);
  const faces = await recognizer.faceLocations(image);
  if (faces.length === 0) throw new Error(`no face in ${photo}`);
  const b = faces.map((f) => f.box).sort((x, y) => (y.right - y.left) * (y.bottom - y.top) - (x.right - x.left) * (x.bottom - x.top))[0]!;
  const side = Math.max(b.right - b.left, b.bottom - b.top) * 1.8;
  const cx = (b.left + b.right) / 2;
  const cy = (b.top + b.bottom) / 2;
  const left = Math.max(0, Math.round(cx - side / 2));
  const top = Math.max(0, Math.round(cy - side / 2));
  const w = Math.min(image.width - left, Math.round(side));
  const h = Math.min(image.height - top, Math.round(side));
  const data = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .extract({ left, top, width: w, height: h })
    .resize(size, size, { fit: 'cover' })
    .raw()
    .toBuffer();
  return { width: size, height: size, data };
}

export interface ClipAppearance {
  card: FaceCard;
  /** Visible from `from` (inclusive) to `to` (exclusive), in seconds. */
  from: number;
  to: number;
  /** Vertical position of the card's top edge (px). */
  y: number;
  /** Horizontal travel: from x0 to x1 (card's left edge) over the appearance. */
  x0: number;
  x1: number;
}

export interface ClipSpec {
  width: number;
  height: number;
  fps: number;
  seconds: number;
  appearances: ClipAppearance[];
  /** ffmpeg output options; default H.264 with the index in front (+faststart). */
  codecArgs?: string[];
}

/** Frame `i` of the clip, as raw RGB. */
export function composeFrame(spec: ClipSpec, i: number): RgbImage {
  const { width, height } = spec;
  const data = Buffer.alloc(width * height * 3, 96);
  const t = i / spec.fps;
  for (const a of spec.appearances) {
    if (t < a.from || t >= a.to) continue;
    const p = (t - a.from) / Math.max(1e-9, a.to - a.from);
    const x0 = Math.round(a.x0 + (a.x1 - a.x0) * p);
    for (let y = 0; y < a.card.height; y++) {
      const dy = a.y + y;
      if (dy < 0 || dy >= height) continue;
      const sx = Math.max(0, -x0);
      const ex = Math.min(a.card.width, width - x0);
      if (ex <= sx) continue;
      a.card.data.copy(data, (dy * width + x0 + sx) * 3, (y * a.card.width + sx) * 3, (y * a.card.width + ex) * 3);
    }
  }
  return { width, height, data };
}

/** Writes the clip to `outPath` with ffmpeg. */
export async function writeClip(outPath: string, spec: ClipSpec): Promise<void> {
  const codec = spec.codecArgs ?? ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '20', '-pix_fmt', 'yuv420p', '-movflags', '+faststart'];
  const child = spawn(
    'ffmpeg',
    ['-hide_banner', '-v', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${spec.width}x${spec.height}`, '-framerate', String(spec.fps), '-i', 'pipe:0', ...codec, outPath],
    { stdio: ['pipe', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  const frames = Math.round(spec.seconds * spec.fps);
  for (let i = 0; i < frames; i++) {
    if (!child.stdin.write(composeFrame(spec, i).data)) await new Promise((r) => child.stdin.once('drain', r));
  }
  child.stdin.end();
  const code = await exited;
  if (code !== 0) throw new Error(`ffmpeg could not write ${outPath}: ${stderr}`);
}
