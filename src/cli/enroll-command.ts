import { basename } from 'node:path';
import { DEFAULT_ENCODE_OPTIONS, resolveDetectorName } from '../face-recognizer.js';
import { embeddingModelId } from '../encode/embedding-model-id.js';
import { describeLayout, scanDataset, type DatasetPerson } from '../enroll/dataset-layout.js';
import { assertGalleryModel, DEFAULT_MIN_QUALITY, enrollPersons, type EnrollReport, type MultipleFacesPolicy, type SkipReason } from '../enroll/enroll.js';
import { DEFAULT_DB, openGalleryDb, redactDb } from '../enroll/gallery-db.js';
import { createPipelinePool, defaultWorkerCount } from '../pool/pipeline-pool.js';
import { expandImageArguments } from './image-inputs.js';
import { parseCommandLine, parseIntegerOption, parseNumberOption, UsageError, type CommandContext } from './cli-support.js';
import { Progress } from './progress.js';

export const enrollHelp = `Usage: facerec enroll DATASET_DIR [options]
       facerec enroll --person NAME IMAGE|DIR... [options]

Enrols known persons into a gallery database, for facerec identify. The dataset's
layout is detected and announced:
  DATASET_DIR/<Person Name>/*.jpg   one folder per person (the reference layout)
  DATASET_DIR/<name>.jpg            flat, one person per photo, named by the file
                                    (face_recognition's known-people folder)
Each person is written as soon as their photos are done, so Ctrl-C loses only the
person in progress. Photos already enrolled (same bytes, by SHA-256) are skipped,
so running again enrols only what is new. Your files are never moved or changed.
Skipped photos are listed at the end with the reason: no face, several faces
(--multiple skip), unreadable, duplicate, low quality (with what is wrong:
too small, blurred, turned to the side, too dark…). Exit code 1 when a photo was unreadable
or a person had no usable photo.

Options:
  --db FILE           gallery database (default ${DEFAULT_DB}; created if missing)
  --person NAME       enrol the given photos (or folders of them) as NAME
  --multiple POLICY   a photo with several faces: largest (default: enrol the
                      largest face, with a warning naming the file) or skip
  --holdout N         keep the last N photos (by name) of each person out of the
                      gallery, identify them after enrolment and report top-1
                      accuracy (persons with N photos or fewer are not probed)
  --min-quality Q     skip faces whose quality score (0–1: size, sharpness, pose,
                      exposure) is below Q (default ${DEFAULT_MIN_QUALITY}; 0 keeps every face)
  --tolerance X       --holdout: largest distance of a match (default 0.6)
  --knn K             --holdout: vote among the K nearest faces (default 1)
  --model NAME        detector: accurate (default) or fast (hog/cnn accepted)
  --workers N         photos processed in parallel (default: ${defaultWorkerCount()}, all cores)
  --max-pixels N      refuse photos larger than N pixels (default 40000000)
  --json              print the report as one JSON object instead of the summary
  -h, --help          show this help

Examples:
  facerec enroll ../shared/data/face_recognition_examples/examples/knn_examples/train
  facerec enroll --db team.db --holdout 1 staff-photos/
  facerec enroll --person "Ada Lovelace" ada1.jpg ada2.jpg
  facerec enroll --min-quality 0.5 staff-photos/
`;

const options = {
  db: { type: 'string' },
  person: { type: 'string' },
  multiple: { type: 'string' },
  holdout: { type: 'string' },
  tolerance: { type: 'string' },
  'min-quality': { type: 'string' },
  knn: { type: 'string' },
  model: { type: 'string' },
  workers: { type: 'string' },
  'max-pixels': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const REASONS: Record<SkipReason, string> = {
  'no-face': 'no face',
  'multiple-faces': 'several faces',
  unreadable: 'unreadable',
  duplicate: 'duplicate',
  'low-quality': 'low quality',
};

const pct = (v: number) => (Number.isNaN(v) ? 'n/a' : `${(v * 100).toFixed(2)}%`);
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The end-of-run summary: enrolled per person, skipped photos with reasons, hold-out accuracy. */
export function formatEnrollSummary(report: EnrollReport, db: string, emptyPersons: readonly string[] = []): string {
  const lines: string[] = [];
  const persons = report.persons.filter((p) => p.enrolled > 0).length;
  lines.push(`enrolled ${plural(report.enrolled, 'face')} of ${plural(persons, 'person')} into ${redactDb(db)} (model ${report.modelId})`);
  const width = Math.min(32, Math.max(8, ...report.persons.map((p) => p.name.length)));
  for (const p of report.persons) {
    const parts = [`${p.enrolled} enrolled`];
    if (p.skipped.length > 0) parts.push(`${p.skipped.length} skipped`);
    if (p.heldOut > 0) parts.push(`${p.heldOut} held out`);
    if (!p.committed) parts.push('NOT written (interrupted)');
    lines.push(`  ${p.name.padEnd(width)} ${parts.join(', ')}`);
  }
  const skipped = report.persons.flatMap((p) => p.skipped);
  if (skipped.length > 0) {
    const counts = (Object.keys(REASONS) as SkipReason[]).filter((r) => report.skipped[r] > 0).map((r) => `${report.skipped[r]} ${REASONS[r]}`);
    lines.push(`skipped ${plural(skipped.length, 'photo')} (${counts.join(', ')}):`);
    // A re-run of a big dataset skips every photo as already enrolled: those are counted, not listed.
    const already = skipped.filter((s) => s.reason === 'duplicate' && s.message === 'already enrolled');
    const collapse = already.length > 10;
    for (const s of skipped) {
      if (collapse && already.includes(s)) continue;
      lines.push(s.reason === 'unreadable' ? `  unreadable: ${s.message}` : `  ${REASONS[s.reason]}: ${s.file} (${s.message})`);
    }
    if (collapse) lines.push(`  duplicate: ${already.length} photos already enrolled (same bytes), not listed`);
  }
  const unusable = [...emptyPersons.map((n) => `${n} (no photo files)`), ...report.persons.filter((p) => p.noUsablePhoto).map((p) => `${p.name} (${plural(p.photos, 'photo')}, none usable)`)];
  if (unusable.length > 0) lines.push(`persons with no usable photo, not enrolled: ${unusable.join('; ')}`);
  const h = report.holdout;
  if (h) {
    const probes = h.probes.length;
    lines.push(
      probes === 0
        ? `hold-out: no person has more than ${h.holdout} photo${h.holdout === 1 ? '' : 's'}, nothing to probe`
        : `hold-out: top-1 accuracy ${pct(h.top1Accuracy)} on ${plural(h.scored, 'photo')} (${h.correct} right, ${h.misidentified} wrong person, ${h.rejected} called unknown; tolerance ${h.tolerance})` +
            (h.unscored > 0 ? `; ${h.unscored} without a usable face, not scored` : ''),
    );
    for (const p of h.probes.filter((p) => p.problem === undefined && p.predicted !== p.person)) {
      lines.push(`  ${p.file}: ${p.person} identified as ${p.predicted ?? 'unknown_person'}${p.distance !== null ? ` (distance ${p.distance.toFixed(3)})` : ''}`);
    }
    if (h.notProbed.length > 0) lines.push(`  not probed (${h.holdout} photo${h.holdout === 1 ? '' : 's'} or fewer): ${h.notProbed.join(', ')}`);
  }
  if (report.interrupted) lines.push('interrupted: the persons listed above as enrolled are stored; run the same command again to go on');
  return `${lines.join('\n')}\n`;
}

export async function runEnroll(argv: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parseCommandLine('enroll', argv, options);
  if (values.help) {
    ctx.stdout.write(enrollHelp);
    return 0;
  }
  const multiple = (values.multiple ?? 'largest') as MultipleFacesPolicy;
  if (multiple !== 'largest' && multiple !== 'skip') throw new UsageError(`facerec enroll: --multiple expects largest or skip, got "${values.multiple}"`);
  let detector;
  try {
    detector = resolveDetectorName(values.model ?? 'accurate');
  } catch {
    throw new UsageError(`facerec enroll: --model expects accurate, fast, cnn or hog, got "${values.model}"`);
  }
  const holdout = parseIntegerOption('enroll', 'holdout', values.holdout, 0, 1000) ?? 0;
  const tolerance = parseNumberOption('enroll', 'tolerance', values.tolerance, 0, 2);
  const knn = parseIntegerOption('enroll', 'knn', values.knn, 1, 100);
  const minQuality = parseNumberOption('enroll', 'min-quality', values['min-quality'], 0, 1);
  const maxPixels = parseIntegerOption('enroll', 'max-pixels', values['max-pixels'], 1);
  const workers = parseIntegerOption('enroll', 'workers', values.workers, 1, 256) ?? defaultWorkerCount();
  const db = values.db ?? DEFAULT_DB;

  // What to enrol: checked before the database is touched, so a mistake creates nothing.
  let persons: DatasetPerson[];
  let emptyPersons: string[] = [];
  const say = (line: string) => (values.json ? ctx.stderr : ctx.stdout).write(`${line}\n`);
  if (values.person !== undefined) {
    const name = values.person.trim();
    if (!name) throw new UsageError('facerec enroll: --person expects a non-empty NAME');
    if (positionals.length === 0) throw new UsageError('facerec enroll: --person NAME needs the photos to enrol: facerec enroll --person NAME IMAGE...');
    const files = await expandImageArguments(positionals);
    if (files.length === 0) throw new UsageError(`facerec enroll: no image files found in ${positionals.map((p) => `"${p}"`).join(', ')}`);
    persons = [{ name, files }];
    say(`enrolling ${plural(files.length, 'photo')} as "${name}"`);
  } else {
    if (positionals.length === 0) throw new UsageError('facerec enroll: give the DATASET_DIR to enrol (see facerec enroll --help)');
    if (positionals.length > 1) {
      throw new UsageError(`facerec enroll: give one DATASET_DIR, got ${positionals.length} arguments (to add photos to one person: facerec enroll --person NAME IMAGE...)`);
    }
    const scan = await scanDataset(positionals[0]!);
    persons = scan.persons;
    emptyPersons = scan.emptyPersons;
    say(`layout: ${describeLayout(scan)}`);
    if (scan.ignored.length > 0) say(`ignored ${plural(scan.ignored.length, 'entry')} that ${scan.ignored.length === 1 ? 'is' : 'are'} not a person's photo: ${scan.ignored.slice(0, 5).join(', ')}${scan.ignored.length > 5 ? ', …' : ''}`);
  }
  const total = persons.reduce((n, p) => n + p.files.length, 0);

  const store = await openGalleryDb(db, { create: true });
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort();
    ctx.stderr.write('\nfacerec enroll: stopping; persons already written stay, the person in progress is not written (Ctrl-C again to quit at once)\n');
  };
  process.on('SIGINT', onSigint);
  let report: EnrollReport;
  try {
    const modelId = embeddingModelId(DEFAULT_ENCODE_OPTIONS);
    await assertGalleryModel(store, modelId, `"${redactDb(db)}"`);
    const pool = await createPipelinePool({ detector }, Math.min(workers, Math.max(1, total)));
    const progress = new Progress(total, 'enroll');
    try {
      report = await enrollPersons(store, pool, persons, {
        multiple,
        holdout,
        tolerance,
        knn,
        minQuality,
        maxPixels,
        signal: controller.signal,
        onEvent: (e) => {
          if (e.kind === 'photo') progress.tick(`${e.person}/${basename(e.file)}`);
        },
      });
    } finally {
      await pool.close();
    }
  } finally {
    process.off('SIGINT', onSigint);
    await store.close();
  }
  for (const w of report.warnings) ctx.stderr.write(`facerec enroll: warning: ${w}\n`);
  if (values.json) ctx.stdout.write(`${JSON.stringify({ db, ...report, emptyPersons })}\n`);
  else ctx.stdout.write(formatEnrollSummary(report, db, emptyPersons));
  if (report.interrupted) return 130;
  const unusable = emptyPersons.length > 0 || report.persons.some((p) => p.noUsablePhoto);
  return report.skipped.unreadable > 0 || unusable ? 1 : 0;
}
