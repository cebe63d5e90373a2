import { basename } from 'node:path';
import { resolveDetectorName } from '../face-recognizer.js';
import { scanDataset, describeLayout } from '../enroll/dataset-layout.js';
import { FacerecError } from '../errors.js';
import { evaluateHoldoutIdentification, type HoldoutEvaluationReport } from '../identify/holdout-evaluation.js';
import { createPipelinePool, defaultWorkerCount } from '../pool/pipeline-pool.js';
import { parseCommandLine, parseIntegerOption, parseNumberOption, UsageError, type CommandContext } from './cli-support.js';
import { Progress } from './progress.js';

export const evalIdentifyHelp = `Usage: facerec eval identify DATASET_DIR [options]

Measures open-set identification on a folder-per-person dataset
(DATASET_DIR/<Person Name>/*.jpg) with an in-memory gallery; no database is
written. For each person with at least holdout+1 photos, the first photos (by
name) are enrolled and the last --holdout photos are probes. Every K-th person
(--unknown-every; the 1st, (K+1)th, … in name order) is left out of the gallery
entirely: all of its photos must be called unknown. Reports the top-1 accuracy of
known probes and the unknown-rejection rate at the tolerance, with counts.

Options:
  --holdout N         probe photos per known person (default 1)
  --unknown-every K   leave every K-th person out as unknown (default 5; 0 = none)
  --tolerance X       largest distance of a match (default 0.6)
  --knn K             vote among the K nearest gallery faces (default 1)
  --model NAME        detector: accurate (default) or fast
  --workers N         parallel workers (default: ${defaultWorkerCount()})
  --max-pixels N      refuse photos larger than N pixels (default 40000000)
  --json              print the full report (every probe) as JSON
  -h, --help          show this help

Example:
  facerec eval identify ../shared/data/face_recognition_examples/examples/knn_examples/train --holdout 1
`;

const options = {
  holdout: { type: 'string' },
  'unknown-every': { type: 'string' },
  tolerance: { type: 'string' },
  knn: { type: 'string' },
  model: { type: 'string' },
  workers: { type: 'string' },
  'max-pixels': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const pct = (v: number) => (Number.isNaN(v) ? 'n/a' : `${(v * 100).toFixed(2)}%`);

export function formatHoldoutEvaluation(r: HoldoutEvaluationReport): string {
  const { known, unknown } = r.metrics;
  const lines = [
    `persons: ${r.persons.total}; gallery ${r.persons.gallery.length} (${r.galleryFaces} faces), unknown ${r.persons.unknown.length}${r.persons.unknown.length ? ` (${r.persons.unknown.join(', ')})` : ''}, ${r.persons.tooFewPhotos.length} with ≤ ${r.holdout} photo${r.holdout === 1 ? '' : 's'} not used`,
    `known probes:   ${known.total}, top-1 accuracy ${pct(known.top1Accuracy)} (${known.correct} right, ${known.misidentified} wrong person, ${known.rejected} called unknown); closed-set top-1 ${pct(r.closedSetTop1)}`,
    `unknown probes: ${unknown.total}, rejection rate ${pct(unknown.rejectionRate)} (${unknown.rejected} rejected, ${unknown.falselyAccepted} taken for someone)`,
    `tolerance ${r.tolerance}, knn ${r.knn}, holdout ${r.holdout}, unknown every ${r.unknownEvery}; model ${r.modelId}`,
  ];
  if (r.unscored > 0) lines.push(`not scored: ${r.unscored} probe${r.unscored === 1 ? '' : 's'} without a usable face`);
  if (r.persons.noGalleryFace.length > 0) lines.push(`no face in any gallery photo, left out: ${r.persons.noGalleryFace.join(', ')}`);
  lines.push(`(${r.seconds.toFixed(1)} s)`);
  return `${lines.join('\n')}\n`;
}

export async function runEvalIdentify(argv: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parseCommandLine('eval identify', argv, options);
  if (values.help) {
    ctx.stdout.write(evalIdentifyHelp);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('facerec eval identify: give one DATASET_DIR (a folder of per-person folders)');
  let detector;
  try {
    detector = resolveDetectorName(values.model ?? 'accurate');
  } catch {
    throw new UsageError(`facerec eval identify: --model expects accurate, fast, cnn or hog, got "${values.model}"`);
  }
  const holdout = parseIntegerOption('eval identify', 'holdout', values.holdout, 1, 1000) ?? 1;
  const unknownEvery = parseIntegerOption('eval identify', 'unknown-every', values['unknown-every'], 0, 100000) ?? 5;
  if (unknownEvery === 1) throw new UsageError('facerec eval identify: --unknown-every 1 would leave every person out of the gallery; use 2 or more, or 0 for none');
  const tolerance = parseNumberOption('eval identify', 'tolerance', values.tolerance, 0, 2);
  const knn = parseIntegerOption('eval identify', 'knn', values.knn, 1, 100);
  const maxPixels = parseIntegerOption('eval identify', 'max-pixels', values['max-pixels'], 1);
  const workers = parseIntegerOption('eval identify', 'workers', values.workers, 1, 256) ?? defaultWorkerCount();

  const scan = await scanDataset(positionals[0]!);
  if (scan.layout !== 'folder-per-person') {
    throw new FacerecError('INVALID_ARGUMENT', `facerec eval identify needs one folder per person (DATASET_DIR/<Person Name>/*.jpg), but "${scan.root}" holds photos directly`);
  }
  const eligible = scan.persons.filter((p) => p.files.length >= holdout + 1).length;
  if (eligible === 0) throw new FacerecError('NOT_FOUND', `No person in "${scan.root}" has more than ${holdout} photo${holdout === 1 ? '' : 's'}; lower --holdout or add photos`);
  (values.json ? ctx.stderr : ctx.stdout).write(`layout: ${describeLayout(scan)}\n`);

  const total = scan.persons.filter((p) => p.files.length >= holdout + 1).reduce((n, p) => n + p.files.length, 0);
  const pool = await createPipelinePool({ detector }, Math.min(workers, total));
  const progress = new Progress(total, 'eval identify');
  let report: HoldoutEvaluationReport;
  try {
    report = await evaluateHoldoutIdentification(pool, scan.persons, {
      holdout,
      unknownEvery,
      tolerance,
      knn,
      maxPixels,
      onProgress: (_done, _total, file) => progress.tick(basename(file)),
    });
  } finally {
    await pool.close();
  }
  if (values.json) ctx.stdout.write(`${JSON.stringify(report)}\n`);
  else ctx.stdout.write(formatHoldoutEvaluation(report));
  return 0;
}
