/**
 * The only module that knows how ffmpeg/ffprobe are invoked: the input kinds
 * (file, stream URL, V4L2 device), probing, and the error when they are missing.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { FacerecError } from '../errors.js';

export type InputKind = 'file' | 'url' | 'device';

/** rtsp://, rtmp://, http(s)://, udp://… are streams; /dev/videoN is a V4L2 camera; anything else is a file. */
export function inputKind(input: string): InputKind {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(input)) return 'url';
  if (/^\/dev\/video\d+$/.test(input)) return 'device';
  return 'file';
}

/** ffmpeg arguments that open INPUT (before `-i`, then `-i INPUT`). */
export function inputArgs(input: string): string[] {
  const kind = inputKind(input);
  if (kind === 'device') return ['-f', 'v4l2', '-i', input];
  if (kind === 'url' && /^rtsp:/i.test(input)) return ['-rtsp_transport', 'tcp', '-i', input];
  return ['-i', input];
}

export function ffmpegMissingError(tool: 'ffmpeg' | 'ffprobe'): FacerecError {
  return new FacerecError(
    'NOT_FOUND',
    `${tool} was not found on PATH; facerec video decodes and encodes video with it. Install it with: sudo apt-get install ffmpeg (Debian/Ubuntu), brew install ffmpeg (macOS)`,
  );
}

/** Spawns ffmpeg/ffprobe in its own process group, so a terminal's Ctrl-C reaches only us and we close it cleanly. */
export function spawnTool(tool: 'ffmpeg' | 'ffprobe', args: readonly string[], options: SpawnOptions = {}): ChildProcess {
  const child = spawn(tool, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true, ...options });
  return child;
}

/** Resolves when the process has exited: its code (or null after a signal) and its stderr (last 8 KB). */
export function collectExit(child: ChildProcess, tool: 'ffmpeg' | 'ffprobe'): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (s: string) => {
    stderr = (stderr + s).slice(-8192);
  });
  return new Promise((resolve, reject) => {
    child.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'ENOENT' ? ffmpegMissingError(tool) : err));
    child.once('close', (code, signal) => resolve({ code, signal, stderr }));
  });
}

export interface VideoProbe {
  width: number;
  height: number;
  fps: number;
  /** Frames in the file when known (files only), else null. */
  totalFrames: number | null;
  /** Seconds when known, else null. */
  duration: number | null;
}

function parseRate(rate: unknown): number {
  if (typeof rate !== 'string') return NaN;
  const [n, d] = rate.split('/').map(Number);
  return d ? n! / d : n!;
}

/** Width, height, frame rate and length of INPUT's first video stream, by ffprobe. */
export async function probeVideo(input: string, timeoutMs = 20_000): Promise<VideoProbe> {
  const kind = inputKind(input);
  if (kind === 'file') {
    if (!existsSync(input)) throw new FacerecError('NOT_FOUND', `The video file "${input}" does not exist`);
    if (statSync(input).isDirectory()) throw new FacerecError('INVALID_ARGUMENT', `"${input}" is a folder; facerec video expects a video file, a stream URL or /dev/videoN`);
    if (statSync(input).size === 0) throw new FacerecError('VIDEO_CORRUPT', `The video file "${input}" is empty`);
  }
  const args = ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height,avg_frame_rate,r_frame_rate,nb_frames,duration:format=duration', '-of', 'json'];
  if (kind === 'url' && /^rtsp:/i.test(input)) args.push('-rtsp_transport', 'tcp');
  if (kind === 'device') args.push('-f', 'v4l2');
  args.push(input);
  const child = spawnTool('ffprobe', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (s: string) => (stdout += s));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  let exit;
  try {
    exit = await collectExit(child, 'ffprobe');
  } finally {
    clearTimeout(timer);
  }
  const what = kind === 'file' ? `video file "${input}"` : kind === 'device' ? `camera "${input}"` : `stream "${input}"`;
  if (exit.signal === 'SIGKILL') throw new FacerecError('IO_ERROR', `The ${what} did not answer within ${timeoutMs / 1000} s`);
  const reason = exit.stderr.trim().split('\n').pop() ?? '';
  if (exit.code !== 0) {
    throw new FacerecError(kind === 'file' ? 'VIDEO_CORRUPT' : 'IO_ERROR', `Cannot read the ${what}: ${reason || `ffprobe exited with code ${exit.code}`}`);
  }
  const json = JSON.parse(stdout || '{}') as { streams?: Record<string, unknown>[]; format?: Record<string, unknown> };
  const s = json.streams?.[0];
  if (!s) throw new FacerecError('VIDEO_CORRUPT', `The ${what} has no video stream`);
  const width = Number(s.width);
  const height = Number(s.height);
  if (!(width > 0 && height > 0)) throw new FacerecError('VIDEO_CORRUPT', `The ${what} has no frame size (ffprobe found none)`);
  let fps = parseRate(s.avg_frame_rate);
  if (!(fps > 0 && fps < 1000)) fps = parseRate(s.r_frame_rate);
  if (!(fps > 0 && fps < 1000)) fps = 25;
  const duration = Number(s.duration ?? json.format?.duration);
  const nb = Number(s.nb_frames);
  const totalFrames = kind !== 'file' ? null : nb > 0 ? nb : duration > 0 ? Math.round(duration * fps) : null;
  return { width, height, fps, totalFrames, duration: kind === 'file' && duration > 0 ? duration : null };
}
