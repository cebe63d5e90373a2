import { mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { resolveDetectorName } from '../face-recognizer.js';
import { writeAnnotatedImage } from '../image/annotate.js';
import { loadImage } from '../image/load-image.js';
import { toLandmarkGroups } from '../landmarks/landmark-groups.js';
import { createPipelinePool, defaultWorkerCount } from '../pool/pipeline-pool.js';
import type { FileResult } from '../pool/pipeline-task.js';
import { expandImageArguments, annotatedName } from './image-inputs.js';
import { parseCommandLine, parseIntegerOption, parseNumberOption, UsageError, type CommandContext } from './cli-support.js';
import { Progress } from './progress.js';
import { addFaceExtras, anyExtras, checkExtras, disposeExtras, EXTRAS_HELP } from './json-extras.js';

export const detectHelp = `Usage: facerec detect [options] IMAGE|DIR...

Finds faces and prints one line per face, like face_recognition's face_detection:
  file,top,right,bottom,left
Folders are scanned (not recursively) for JPEG, PNG, WebP, GIF, TIFF and AVIF files.
A file that cannot be read is reported on stderr by name; the others go on (exit code 1).

Options:
  --model NAME        detector: accurate (SSD-MobileNetV1, default) or fast (Tiny
                      face detector); face_recognition's hog and cnn are accepted
                      as aliases of fast and cnn of accurate
  --min-score N       minimum detector score, 0..1 (default 0.5)
  --min-size PX       ignore faces whose box is smaller than PX pixels (default 0)
  --upsample N        look for smaller faces, 1-4 (default 1): fast runs its net
                      N times larger; accurate adds overlapping tiles. Slower.
  --input-size N      fast detector's input side, a multiple of 32 (default 416)
  --max-faces N       keep at most N faces per image, best first
  --json              one JSON object per image: boxes, scores, 68 landmarks and
                      named landmark groups
  --annotate OUT_DIR  also write each image with boxes and landmarks drawn
${EXTRAS_HELP}
  --workers N         images processed in parallel (default: ${defaultWorkerCount()}, all cores)
  --max-pixels N      refuse images larger than N pixels (default 40000000)
  -h, --help          show this help

Examples:
  facerec detect node_modules/@vladmandic/face-api/demo/sample1.jpg
  facerec detect --model hog --annotate annotated/ holiday-photos/
  facerec detect --json group.jpg > faces.jsonl
  facerec detect --json --liveness --attributes selfie.jpg
`;

const options = {
  model: { type: 'string' },
  detector: { type: 'string' },
  'min-score': { type: 'string' },
  'min-size': { type: 'string' },
  'input-size': { type: 'string' },
  upsample: { type: 'string' },
  'max-faces': { type: 'string' },
  json: { type: 'boolean' },
  liveness: { type: 'boolean' },
  attributes: { type: 'boolean' },
  annotate: { type: 'string' },
  workers: { type: 'string' },
  'max-pixels': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function csvLine(r: FileResult): string[] {
  return r.faces.map((f) => [r.file, ...[f.box.top, f.box.right, f.box.bottom, f.box.left].map((v) => Math.round(v))].join(','));
}

const round2 = (v: number) => Math.round(v * 100) / 100;

function jsonLine(r: FileResult): string {
  return JSON.stringify({
    file: r.file,
    width: r.width,
    height: r.height,
    faces: r.faces.map((f) => ({
      box: { top: round2(f.box.top), right: round2(f.box.right), bottom: round2(f.box.bottom), left: round2(f.box.left) },
      score: Math.round(f.score * 1e4) / 1e4,
      landmarks: f.landmarks?.map((p) => [round2(p.x), round2(p.y)]),
      landmark_groups: f.landmarks
        ? Object.fromEntries(Object.entries(toLandmarkGroups(f.landmarks)).map(([k, pts]) => [k, pts.map((p) => [round2(p.x), round2(p.y)])]))
        : undefined,
    })),
  });
}


export async function runDetect(argv: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parseCommandLine('detect', argv, options);
  if (values.help) {
    ctx.stdout.write(detectHelp);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError('facerec detect: give at least one IMAGE or DIR (see facerec detect --help)');
  if (values.model && values.detector && values.model !== values.detector) throw new UsageError('facerec detect: --model and --detector disagree; give one');
  let detector;
  try {
    detector = resolveDetectorName(values.model ?? values.detector ?? 'accurate');
  } catch {
    throw new UsageError(`facerec detect: --model expects accurate, fast, cnn or hog, got "${values.model ?? values.detector}"`);
  }
  const detectOptions = {
    minScore: parseNumberOption('detect', 'min-score', values['min-score'], 0.001, 0.999),
    minFaceSize: parseIntegerOption('detect', 'min-size', values['min-size'], 0),
    inputSize: parseIntegerOption('detect', 'input-size', values['input-size'], 32, 4096),
    maxFaces: parseIntegerOption('detect', 'max-faces', values['max-faces'], 1),
    upsample: parseIntegerOption('detect', 'upsample', values.upsample, 1, 4),
    maxPixels: parseIntegerOption('detect', 'max-pixels', values['max-pixels'], 1),
  };
  checkExtras('detect', values, values.json);
  const workers = parseIntegerOption('detect', 'workers', values.workers, 1, 256) ?? defaultWorkerCount();
  const files = await expandImageArguments(positionals);
  if (files.length === 0) throw new UsageError(`facerec detect: no image files found in ${positionals.map((p) => `"${p}"`).join(', ')}`);
  const annotateDir = values.annotate;
  if (annotateDir) await mkdir(annotateDir, { recursive: true });
  const wantLandmarks = Boolean(values.json || annotateDir);

  const pool = await createPipelinePool({ detector }, Math.min(workers, files.length));
  const progress = new Progress(files.length, 'detect');
  const usedNames = new Set<string>();
  let failures = 0;
  try {
    // Results are printed in input order even though workers finish out of order.
    const results = files.map((file) => pool.process(file, { ...detectOptions, landmarks: wantLandmarks }));
    for (const pending of results) {
      const r = await pending;
      progress.tick(basename(r.file));
      if (r.error) {
        failures++;
        ctx.stderr.write(`facerec detect: ${r.error.message}\n`);
        continue;
      }
      if (values.json && anyExtras(values)) ctx.stdout.write(`${JSON.stringify(await addFaceExtras(JSON.parse(jsonLine(r)), r.file, values, detectOptions.maxPixels))}\n`);
      else if (values.json) ctx.stdout.write(`${jsonLine(r)}\n`);
      else for (const line of csvLine(r)) ctx.stdout.write(`${line}\n`);
      if (annotateDir) {
        const image = await loadImage(r.file, { maxPixels: detectOptions.maxPixels });
        const annotations = r.faces.map((f) => ({ box: f.box, landmarks: f.landmarks, label: f.score.toFixed(2) }));
        await writeAnnotatedImage(image, annotations, join(annotateDir, annotatedName(r.file, usedNames)));
      }
    }
  } finally {
    await pool.close();
    if (anyExtras(values)) await disposeExtras();
  }
  return failures > 0 ? 1 : 0;
}
