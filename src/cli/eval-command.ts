import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';
import { DEFAULT_ENCODE_OPTIONS, resolveDetectorName } from '../face-recognizer.js';
import { evaluatePairs, type EncodingVariant, type PairEvaluationReport } from '../eval/pair-evaluation.js';
import { renderRocSvg } from '../eval/roc-svg.js';
import { createPipelinePool, defaultWorkerCount } from '../pool/pipeline-pool.js';
import { parseCommandLine, parseIntegerOption, parseNumberOption, UsageError, type CommandContext } from './cli-support.js';
import { Progress } from './progress.js';
import { runEvalIdentify } from './eval-identify.js';

export const evalHelp = `Usage: facerec eval pairs --pairs PAIRS.txt --root LFW_DIR [options]
       facerec eval identify DATASET_DIR [--holdout 1] [--unknown-every 5]
         (open-set identification; see facerec eval identify --help)

Measures face verification accuracy with the LFW protocol.
  View 1 (pairsDevTest.txt): the threshold is chosen on the training pairs
    (--train-pairs pairsDevTrain.txt; found automatically beside the test file)
    and accuracy is reported on the test pairs.
  View 2 (pairs.txt, "10 300" header): 10-fold, the threshold of each fold chosen
    on the other nine; mean ± std.
Reports accuracy, ROC AUC, TAR at FAR 1e-3, the best global threshold, and how
each image's face was found (a face ≥ 0.5 nearest the centre; else a low-score
face; else a centred box). Writes report.json and roc.svg to --out.

Options:
  --pairs FILE          pair file to report on (required)
  --train-pairs FILE    View 1 training pairs (threshold selection)
  --root DIR            folder holding the per-person image folders (required)
  --out DIR             where report.json and roc.svg go (default: eval-report)
  --compare             also measure face-api's axis-aligned crop and no-flip
                        variants, with paired McNemar tests against the default
  --jitters N           encode with N jitters (default 1)
  --low-score N         accept a face scoring down to N when none reaches 0.5
                        (default 0.2; 0 disables)
  --model NAME          detector: accurate (default) or fast
  --workers N           parallel workers (default: ${defaultWorkerCount()})
  --min-accuracy X      exit with code 3 if the default variant's accuracy is
                        below X (0..1), e.g. as a regression guard in CI
  -h, --help            show this help

Example:
  facerec eval pairs --pairs ../shared/data/lfw-view1/protocol/pairsDevTest.txt \\
    --root ../shared/data/lfw-view1/lfw --compare
`;

const options = {
  pairs: { type: 'string' },
  'train-pairs': { type: 'string' },
  root: { type: 'string' },
  out: { type: 'string' },
  compare: { type: 'boolean' },
  jitters: { type: 'string' },
  'low-score': { type: 'string' },
  model: { type: 'string' },
  workers: { type: 'string' },
  'min-accuracy': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const pct = (v: number) => `${(v * 100).toFixed(2)}%`;

function summary(report: PairEvaluationReport): string {
  const lines = [
    `pairs ${report.pairs} (${report.trainPairsFile ? 'threshold from ' + report.trainPairsFile : '10-fold'}), images ${report.images}`,
    `faces: ${report.faces.detected} detected ≥ 0.5, ${report.faces['low-score']} low-score (≥ ${report.lowScoreThreshold}), ${report.faces['centre-box']} centre-box fallback, ${report.faces.unreadable} unreadable`,
    '',
    'variant                        accuracy         threshold  AUC      TAR@FAR1e-3  best-global',
  ];
  for (const v of report.variants) {
    const acc = v.std !== undefined ? `${pct(v.accuracy)} ± ${pct(v.std)}` : pct(v.accuracy);
    const tar = `${pct(v.tarAtFar1e3.tar)}${v.tarAtFar1e3.resolvable ? '' : '*'}`;
    lines.push(
      `${v.name.padEnd(30)} ${acc.padEnd(16)} ${v.threshold.toFixed(4).padEnd(10)} ${v.auc.toFixed(4)}   ${tar.padEnd(12)} ${pct(v.bestGlobalAccuracy)} @ ${v.bestGlobalThreshold.toFixed(3)}`,
    );
    if (v.accuracyWithoutLowScoreRule !== undefined) lines.push(`${''.padEnd(30)} (${pct(v.accuracyWithoutLowScoreRule)} with the centre box instead of low-score faces)`);
  }
  if (report.variants.some((v) => !v.tarAtFar1e3.resolvable)) lines.push('* FAR 1e-3 is below 1/(different pairs): interpolated, not observed');
  for (const c of report.comparisons) {
    lines.push(`${c.b} vs ${c.a}: ${c.onlyB} pairs only it gets right, ${c.onlyA} only the other; McNemar p = ${c.pValue.toPrecision(3)}`);
  }
  lines.push(`(${report.seconds.toFixed(0)} s)`);
  return `${lines.join('\n')}\n`;
}

export async function runEval(argv: string[], ctx: CommandContext): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub || sub === '--help' || sub === '-h') {
    ctx.stdout.write(evalHelp);
    return 0;
  }
  if (sub === 'identify') return runEvalIdentify(rest, ctx);
  if (sub !== 'pairs') throw new UsageError(`facerec eval: unknown evaluation "${sub}"; expected "pairs" or "identify" (see facerec eval --help)`);
  const { values } = parseCommandLine('eval pairs', rest, options);
  if (values.help) {
    ctx.stdout.write(evalHelp);
    return 0;
  }
  if (!values.pairs) throw new UsageError('facerec eval pairs: --pairs FILE is required');
  if (!values.root) throw new UsageError('facerec eval pairs: --root DIR is required (the folder holding the per-person folders)');
  let trainPairs = values['train-pairs'];
  if (!trainPairs && /pairsDevTest\.txt$/.test(values.pairs)) {
    const guess = join(dirname(values.pairs), 'pairsDevTrain.txt');
    if (existsSync(guess)) trainPairs = guess;
  }
  let detector;
  try {
    detector = resolveDetectorName(values.model ?? 'accurate');
  } catch {
    throw new UsageError(`facerec eval pairs: --model expects accurate, fast, cnn or hog, got "${values.model}"`);
  }
  const jitters = parseIntegerOption('eval pairs', 'jitters', values.jitters, 1, 100) ?? 1;
  const lowScore = parseNumberOption('eval pairs', 'low-score', values['low-score'], 0, 0.5) ?? 0.2;
  const minAccuracy = parseNumberOption('eval pairs', 'min-accuracy', values['min-accuracy'], 0, 1);
  const workers = parseIntegerOption('eval pairs', 'workers', values.workers, 1, 256) ?? defaultWorkerCount();
  const outDir = values.out ?? 'eval-report';

  const base = { ...DEFAULT_ENCODE_OPTIONS, numJitters: jitters };
  const variants: EncodingVariant[] = [{ name: `default (${base.alignment}${base.flip ? ' + flip' : ''})`, options: base }];
  if (values.compare) {
    variants.push(
      { name: 'dlib chip, no flip', options: { ...base, alignment: 'dlib', flip: false } },
      { name: 'face-api crop + flip', options: { ...base, alignment: 'face-api', flip: true } },
      { name: 'face-api crop, no flip', options: { ...base, alignment: 'face-api', flip: false } },
      { name: 'dlib + face-api chips + flip', options: { ...base, alignment: 'dlib+face-api', flip: true } },
    );
  }

  const pool = await createPipelinePool({ detector }, workers);
  let progress: Progress | undefined;
  let report: PairEvaluationReport;
  try {
    report = await evaluatePairs(pool, {
      pairsFile: values.pairs,
      trainPairsFile: trainPairs,
      root: values.root,
      variants,
      lowScoreThreshold: lowScore,
      onProgress: (done, total) => {
        progress ??= new Progress(total, 'encode');
        progress.tick();
      },
    });
  } finally {
    await pool.close();
  }
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, 'report.json'), `${JSON.stringify(report, (k, v) => (k === 'correct' ? undefined : v), 2)}\n`);
  const svg = renderRocSvg(
    report.variants.map((v) => ({ label: v.name, points: v.roc, auc: v.auc })),
    { title: `ROC — ${report.pairs} pairs of ${values.pairs.split('/').pop()}`, logFar: true },
  );
  await writeFile(join(outDir, 'roc.svg'), svg);
  ctx.stdout.write(summary(report));
  ctx.stdout.write(`wrote ${join(outDir, 'report.json')} and ${join(outDir, 'roc.svg')}\n`);
  for (const u of report.unreadable) ctx.stderr.write(`facerec eval: ${u.message}\n`);
  if (minAccuracy !== undefined && report.variants[0]!.accuracy < minAccuracy) {
    ctx.stderr.write(`facerec eval: accuracy ${pct(report.variants[0]!.accuracy)} is below the required ${pct(minAccuracy)}\n`);
    return 3;
  }
  return 0;
}
