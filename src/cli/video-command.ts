import { existsSync } from 'node:fs';
import { DEFAULT_DB, openGalleryDb } from '../enroll/gallery-db.js';
import type { GalleryStore } from '../gallery/gallery-store.js';
import { inputKind } from '../video/ffmpeg.js';
import { runVideoSession } from '../video/video-session.js';
import { summaryLines } from '../video/video-summary.js';
import { parseCommandLine, parseIntegerOption, parseNumberOption, UsageError, type CommandContext } from './cli-support.js';

export const videoHelp = `Usage: facerec video INPUT [options]

Finds, tracks and names the faces of a video file, a stream (rtsp://, http(s)://)
or a camera (/dev/video0). Faces are followed from frame to frame; each track is
encoded on its first good frames and re-checked every 2 s, and named by a vote
over those encodings against the gallery (unknown beyond --tolerance). Decoding
and encoding use ffmpeg (apt-get install ffmpeg).

When a track ends, one JSON line goes to --events: {trackId, person (null =
unknown), firstTimestamp, lastTimestamp (seconds), framesSeen, bestDistance,
thumbnail (a face crop in EVENTS-thumbnails/ beside the file)}. A summary (who
was seen, how long) is printed at the end. Streams and cameras reconnect after a
drop (waiting 1, 2, 4 … up to 30 s); Ctrl-C stops cleanly: the output video stays
playable and the tracks seen so far are written.

Options:
  --db FILE            gallery database (default ${DEFAULT_DB}; without it every face
                       is unknown)
  --out FILE.mp4       write the annotated video (boxes, names, track ids)
  --events FILE.jsonl  write one JSON line per finished track, and thumbnails
  --blur MODE          unknown (blur faces not recognised), all, or none (default)
  --detector NAME      fast (default, Tiny face detector) or accurate (SSD)
  --every N            run the detector every N frames (default 1); tracks are
                       predicted in between (faster, boxes lag a little)
  --tolerance X        largest distance still called a match (default 0.6)
  --no-reconnect       end when a stream or camera drops instead of reconnecting
  --quiet              no progress lines
  -h, --help           show this help

Examples:
  facerec video party.mp4 --out party-named.mp4 --events party.jsonl
  facerec video rtsp://192.168.1.20:554/stream1 --events door.jsonl --every 3
  facerec video /dev/video0 --blur unknown --out webcam.mp4
`;

const options = {
  db: { type: 'string' },
  out: { type: 'string' },
  events: { type: 'string' },
  blur: { type: 'string' },
  detector: { type: 'string' },
  every: { type: 'string' },
  tolerance: { type: 'string' },
  'no-reconnect': { type: 'boolean' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function runVideo(argv: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parseCommandLine('video', argv, options);
  if (values.help) {
    ctx.stdout.write(videoHelp);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('facerec video: give exactly one INPUT (a video file, a stream URL or /dev/videoN); see facerec video --help');
  const input = positionals[0]!;
  const blur = values.blur ?? 'none';
  if (!['unknown', 'all', 'none'].includes(blur)) throw new UsageError(`facerec video: --blur expects unknown, all or none, got "${blur}"`);
  const detector = values.detector ?? 'fast';
  if (detector !== 'fast' && detector !== 'accurate') throw new UsageError(`facerec video: --detector expects fast or accurate, got "${detector}"`);
  const every = parseIntegerOption('video', 'every', values.every, 1, 1000) ?? 1;
  const tolerance = parseNumberOption('video', 'tolerance', values.tolerance, 0, 2) ?? 0.6;
  if (values.out !== undefined && !/\.(mp4|m4v|mov)$/i.test(values.out)) throw new UsageError(`facerec video: --out expects an .mp4 file name, got "${values.out}"`);

  let store: GalleryStore | null = null;
  const db = values.db ?? DEFAULT_DB;
  if (values.db !== undefined || existsSync(db)) store = await openGalleryDb(db, { create: false });
  else ctx.stderr.write(`facerec video: no gallery database "${db}"; every face will be unknown (enrol persons with facerec enroll, or give --db)\n`);

  // Ctrl-C: stop reading, flush the tracks, finish the output file. A second Ctrl-C exits at once.
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    ctx.stderr.write('\nfacerec video: stopping (Ctrl-C again to quit at once)…\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  const progress = new VideoProgress(ctx.stderr as NodeJS.WritableStream & { isTTY?: boolean; columns?: number }, !values.quiet);
  try {
    const summary = await runVideoSession({
      input,
      gallery: store ? { store } : null,
      detector,
      every,
      blur: blur as 'unknown' | 'all' | 'none',
      tolerance,
      outPath: values.out ?? null,
      eventsPath: values.events ?? null,
      reconnect: values['no-reconnect'] ? false : inputKind(input) !== 'file',
      signal: controller.signal,
      onProgress: (p) => progress.update(p),
      onLog: (m) => {
        progress.clear();
        ctx.stderr.write(`facerec video: ${m}\n`);
      },
    });
    progress.clear();
    for (const line of summaryLines(summary)) ctx.stdout.write(`${line}\n`);
    if (values.out) ctx.stderr.write(`annotated video: ${values.out}\n`);
    if (values.events) ctx.stderr.write(`events: ${values.events}\n`);
    if (summary.error) {
      ctx.stderr.write(`facerec video: ${summary.error}\n`);
      return 1;
    }
    return 0;
  } finally {
    progress.clear();
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    await store?.close();
  }
}

/** Frames, speed and ETA on one redrawn line (terminal) or a line every 5 s (pipe or file), as src/cli/progress.ts does for files. */
class VideoProgress {
  #lastPlain = 0;
  #drawn = false;
  constructor(
    readonly stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number },
    readonly enabled: boolean,
  ) {}
  update(p: { frames: number; fps: number; totalFrames: number | null; etaSeconds: number | null }): void {
    if (!this.enabled) return;
    const of = p.totalFrames !== null ? `/${p.totalFrames} (${Math.min(100, Math.floor((p.frames / p.totalFrames) * 100))}%)` : '';
    const eta = p.etaSeconds !== null ? `, ETA ${Math.round(p.etaSeconds)}s` : '';
    const line = `video: frame ${p.frames}${of}, ${p.fps.toFixed(1)} frames/s${eta}`;
    if (this.stream.isTTY) {
      const cols = this.stream.columns ?? 100;
      this.stream.write(`\r${line.slice(0, cols - 1).padEnd(cols - 1)}`);
      this.#drawn = true;
    } else if (Date.now() - this.#lastPlain >= 5000) {
      this.#lastPlain = Date.now();
      this.stream.write(`${line}\n`);
    }
  }
  clear(): void {
    if (this.#drawn) this.stream.write('\n');
    this.#drawn = false;
  }
}
