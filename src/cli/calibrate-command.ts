import { writeFile } from 'node:fs/promises';
import { DEFAULT_DB, openGalleryDb, redactDb } from '../enroll/gallery-db.js';
import { calibrateTolerance, CALIBRATION_SETTING, pairDistances, quantile, TOLERANCE_SETTING, type Calibration, type PairDistances } from '../calibrate/calibrate.js';
import { renderHistogramSvg } from '../calibrate/histogram-svg.js';
import { FacerecError } from '../errors.js';
import { parseCommandLine, parseIntegerOption, parseNumberOption, UsageError, type CommandContext } from './cli-support.js';

export const calibrateHelp = `Usage: facerec calibrate [--db FILE] [--far RATE] [options]

Chooses the match tolerance from the gallery's own faces. Distances between two
faces of one person (genuine pairs: persons with 2 or more faces) and between
faces of different persons (impostor pairs: all, or a seeded sample) give the
tolerance at which the target share of impostor pairs would be accepted (the
false accept rate, FAR), and the share of genuine pairs accepted there (TAR).
The empirical quantile is used when at least 10 impostor pairs fall below it;
otherwise a normal distribution fitted to the impostors' lower tail extrapolates,
and the output says which and how many pairs back it.

The tolerance is stored in the gallery; facerec identify uses it whenever
--tolerance is not given (and says so). A histogram of both distributions with
the tolerance marked is written as an SVG.

Options:
  --db FILE               gallery database (default ${DEFAULT_DB})
  --far RATE              target false accept rate (default 0.001)
  --svg FILE              histogram output (default calibration.svg)
  --max-impostor-pairs N  sample at most N impostor pairs (default 2000000)
  --dry-run               report only; store nothing
  --json                  print the calibration as one JSON object
  -h, --help              show this help

Examples:
  facerec calibrate --db team.db
  facerec calibrate --db team.db --far 0.01 --svg team-distances.svg --dry-run
`;

const options = {
  db: { type: 'string' },
  far: { type: 'string' },
  svg: { type: 'string' },
  'max-impostor-pairs': { type: 'string' },
  'dry-run': { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const pct = (v: number) => `${(v * 100).toFixed(2)}%`;
const int = (n: number) => n.toLocaleString('en-US');

export function formatCalibration(c: Calibration, d: PairDistances): string[] {
  const lines = [
    `genuine pairs: ${int(c.genuinePairs)} from ${d.personsWithPairs} persons with 2+ faces (median distance ${quantile(d.genuine, 0.5).toFixed(3)}, 95% ≤ ${quantile(d.genuine, 0.95).toFixed(3)})`,
    `impostor pairs: ${int(c.impostorPairs)}${d.impostorSampled ? ' (a seeded sample)' : ' (all)'} (median distance ${quantile(d.impostor, 0.5).toFixed(3)}, closest ${d.impostor[0]!.toFixed(3)})`,
  ];
  if (c.method === 'empirical') {
    lines.push(`target FAR ${c.targetFar}: tolerance ${c.tolerance.toFixed(4)} (empirical quantile, backed by ${int(c.impostorPairsBelow)} impostor pairs at or below it; the fitted tail gives ${c.fittedTolerance.toFixed(4)})`);
  } else {
    lines.push(
      `target FAR ${c.targetFar}: tolerance ${c.tolerance.toFixed(4)} (EXTRAPOLATED from a normal fit of the impostors' lower tail: only ${c.impostorPairsBelow} impostor pairs fall below the target quantile, ${int(c.impostorPairsNeeded)} pairs would be needed for 10; ` +
        `empirical: ${c.empiricalTolerance === null ? 'none (the closest impostor pair is already beyond the target)' : c.empiricalTolerance.toFixed(4)})`,
    );
  }
  lines.push(`at ${c.tolerance.toFixed(4)}: expected TAR ${pct(c.expectedTar)} of genuine pairs accepted; FAR observed on this gallery ${c.observedFar.toExponential(2)}, predicted ${c.predictedFar.toExponential(2)}`);
  return lines;
}

export async function runCalibrate(argv: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parseCommandLine('calibrate', argv, options);
  if (values.help) {
    ctx.stdout.write(calibrateHelp);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`facerec calibrate: unexpected argument "${positionals[0]}" (the gallery is given with --db FILE)`);
  const far = parseNumberOption('calibrate', 'far', values.far, 1e-9, 0.5) ?? 0.001;
  const maxImpostorPairs = parseIntegerOption('calibrate', 'max-impostor-pairs', values['max-impostor-pairs'], 100) ?? 2_000_000;
  const db = values.db ?? DEFAULT_DB;
  const svgPath = values.svg ?? 'calibration.svg';
  const store = await openGalleryDb(db, { create: false, writable: !values['dry-run'] });
  try {
    const faces = await store.listFaces();
    const persons = new Set(faces.map((f) => f.personName)).size;
    const d = pairDistances(faces.map((f) => ({ label: f.personName, embedding: f.embedding })), { maxImpostorPairs, seed: 1 });
    if (d.genuine.length === 0) throw new FacerecError('INVALID_ARGUMENT', `The gallery "${redactDb(db)}" has no person with 2 or more faces: calibration needs genuine pairs (enrol more photos per person).`);
    if (d.impostor.length < 2) throw new FacerecError('INVALID_ARGUMENT', `The gallery "${redactDb(db)}" has ${persons} person(s): calibration needs faces of at least 2 persons.`);
    const c = calibrateTolerance(d, far);
    const svg = renderHistogramSvg(
      [
        { label: 'same person', values: d.genuine, color: '#2ca02c' },
        { label: 'different persons', values: d.impostor, color: '#d62728' },
      ],
      [{ label: `tolerance at FAR ${far}`, value: c.tolerance }],
      { title: `Distances in ${redactDb(db)} (${faces.length} faces, ${persons} persons)` },
    );
    await writeFile(svgPath, svg);
    if (!values['dry-run']) {
      await store.setSetting(TOLERANCE_SETTING, String(Number(c.tolerance.toFixed(4))));
      await store.setSetting(CALIBRATION_SETTING, JSON.stringify({ ...c, calibratedAt: new Date().toISOString(), faces: faces.length, persons }));
    }
    if (values.json) {
      ctx.stdout.write(`${JSON.stringify({ db, faces: faces.length, persons, personsWithPairs: d.personsWithPairs, impostorSampled: d.impostorSampled, svg: svgPath, stored: !values['dry-run'], ...c })}\n`);
    } else {
      ctx.stdout.write(`gallery ${redactDb(db)}: ${faces.length} faces of ${persons} persons\n`);
      for (const line of formatCalibration(c, d)) ctx.stdout.write(`${line}\n`);
      ctx.stdout.write(values['dry-run'] ? 'dry run: nothing stored\n' : `stored: facerec identify --db ${redactDb(db)} now uses tolerance ${Number(c.tolerance.toFixed(4))} when --tolerance is not given\n`);
      ctx.stdout.write(`histogram: ${svgPath}\n`);
    }
    return 0;
  } finally {
    await store.close();
  }
}
