import { mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { DEFAULT_ENCODE_OPTIONS, resolveDetectorName } from '../face-recognizer.js';
import { readCalibratedTolerance } from '../calibrate/calibrate.js';
import { embeddingModelId } from '../encode/embedding-model-id.js';
import { unknownFacesOfFile } from '../identify/save-unknown.js';
import { DEFAULT_DB, isPostgresUrl, openGalleryDb, redactDb } from '../enroll/gallery-db.js';
import { FacerecError } from '../errors.js';
import type { GalleryStore, NewFace } from '../gallery/gallery-store.js';
import { writeAnnotatedImage } from '../image/annotate.js';
import { loadImage } from '../image/load-image.js';
import {
  faceRecognitionLines,
  identificationAnnotations,
  identificationJson,
  identifyFiles,
  indexIdentifier,
  knownFacesIdentifier,
  loadGalleryIndex,
  scanKnownPeople,
  type Identifier,
} from '../identify/identify.js';
import { createPipelinePool, defaultWorkerCount, type PipelinePool } from '../pool/pipeline-pool.js';
import { expandImageArguments, annotatedName } from './image-inputs.js';
import { parseCommandLine, parseIntegerOption, parseNumberOption, UsageError, type CommandContext } from './cli-support.js';
import { Progress } from './progress.js';
import { addFaceExtras, anyExtras, checkExtras, disposeExtras, EXTRAS_HELP } from './json-extras.js';

export const identifyHelp = `Usage: facerec identify [options] IMAGE|DIR...
       facerec identify --known KNOWN_DIR [options] IMAGE|DIR...

Names the faces in photos, printing what face_recognition's CLI prints:
  file,name                one line per recognised face
  file,unknown_person      a face no known face is within --tolerance of
  file,no_persons_found    a photo without a face
Against the gallery database (facerec enroll) by default, or with --known against
a folder of photos named after their person, one person per photo (like
"face_recognition KNOWN_DIR IMAGE"; no database needed). In --known mode, as in
face_recognition, a face within the tolerance of several known persons prints a
line for each; lower --tolerance if that happens. Warnings and unreadable files go
to stderr (exit code 1); the other photos go on.

Options:
  --db FILE           gallery database (default ${DEFAULT_DB})
  --known DIR         known people: DIR/<name>.jpg, one face per photo (a photo
                      without a face is skipped with a warning; with several faces
                      the first is used)
  --tolerance X       largest distance still called a match (default: the
                      gallery's calibrated tolerance (facerec calibrate) if
                      any, else 0.6; lower is stricter)
  --save-unknown      store the faces no one matched in the gallery's unknown
                      faces (to cluster and name later: facerec cluster --unknown)
  --show-distance     append the distance: file,name,0.4123…, or None for
                      unknown_person and no_persons_found
  --knn K             vote among the K nearest enrolled faces (default 1)
  --top-k N           candidates listed per face with --json (default 3)
  --json              one JSON object per photo: box, name (or null), distance,
                      confidence and the top-k candidates of each face
  --annotate OUT_DIR  also write each photo with boxes and names drawn (green
                      known, red unknown)
${EXTRAS_HELP}
  --model NAME        detector: accurate (default) or fast (hog/cnn accepted)
  --workers N         photos processed in parallel (default: ${defaultWorkerCount()}, all cores);
                      face_recognition's --cpus N is accepted (-1 = all)
  --max-pixels N      refuse photos larger than N pixels (default 40000000)
  --ann-threshold N   from N enrolled faces on, search an approximate (HNSW)
                      index kept in FILE.ann.usearch beside --db, re-ranked
                      exactly (default 500000; 0 = always exact search)
  -h, --help          show this help

Examples:
  facerec identify --known ../shared/data/face_recognition_examples/examples/knn_examples/train/obama unknown-photos/
  facerec identify --db team.db --show-distance party.jpg
  facerec identify --json --annotate named/ holiday-photos/
  facerec identify --db team.db --save-unknown door-camera/
  facerec identify --json --liveness --attributes door-camera/
`;

const options = {
  db: { type: 'string' },
  known: { type: 'string' },
  tolerance: { type: 'string' },
  'save-unknown': { type: 'boolean' },
  'show-distance': { type: 'boolean' },
  knn: { type: 'string' },
  'top-k': { type: 'string' },
  json: { type: 'boolean' },
  liveness: { type: 'boolean' },
  attributes: { type: 'boolean' },
  annotate: { type: 'string' },
  model: { type: 'string' },
  workers: { type: 'string' },
  cpus: { type: 'string' },
  'max-pixels': { type: 'string' },
  'ann-threshold': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** face_recognition's spellings: `--show-distance true|false` and `--cpus -1` (all cores). */
function acceptFaceRecognitionSpellings(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = argv[i + 1];
    if (a === '--show-distance' && next !== undefined && /^(true|false|1|0|yes|no)$/i.test(next)) {
      if (/^(true|1|yes)$/i.test(next)) out.push(a);
      i++;
    } else if (a === '--cpus' && next !== undefined && /^-\d+$/.test(next)) {
      out.push(`--cpus=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}


export async function runIdentify(argv: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parseCommandLine('identify', acceptFaceRecognitionSpellings(argv), options);
  if (values.help) {
    ctx.stdout.write(identifyHelp);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError('facerec identify: give at least one IMAGE or DIR to identify (see facerec identify --help)');
  if (values.known !== undefined && values.db !== undefined) throw new UsageError('facerec identify: give --known DIR or --db FILE, not both');
  checkExtras('identify', values, values.json);
  let detector;
  try {
    detector = resolveDetectorName(values.model ?? 'accurate');
  } catch {
    throw new UsageError(`facerec identify: --model expects accurate, fast, cnn or hog, got "${values.model}"`);
  }
  const toleranceFlag = parseNumberOption('identify', 'tolerance', values.tolerance, 0, 2);
  const tolerance = toleranceFlag ?? 0.6;
  if (values['save-unknown'] && values.known !== undefined) throw new UsageError('facerec identify: --save-unknown stores faces in the gallery database; it cannot be used with --known');
  const knn = parseIntegerOption('identify', 'knn', values.knn, 1, 100) ?? 1;
  const topK = parseIntegerOption('identify', 'top-k', values['top-k'], 1, 100) ?? 3;
  const maxPixels = parseIntegerOption('identify', 'max-pixels', values['max-pixels'], 1);
  let workers = parseIntegerOption('identify', 'workers', values.workers, 1, 256);
  if (values.cpus !== undefined) {
    const cpus = parseIntegerOption('identify', 'cpus', values.cpus, -1, 256);
    if (cpus === 0) throw new UsageError('facerec identify: --cpus expects -1 (all cores) or a whole number from 1 to 256, got "0"');
    workers ??= cpus === -1 ? defaultWorkerCount() : cpus;
  }
  workers ??= defaultWorkerCount();
  const matchOptions = { tolerance, knn, topK };
  const annThreshold = parseIntegerOption('identify', 'ann-threshold', values['ann-threshold'], 0);

  const files = await expandImageArguments(positionals);
  if (files.length === 0) throw new UsageError(`facerec identify: no image files found in ${positionals.map((p) => `"${p}"`).join(', ')}`);
  let knownFiles: string[] = [];
  if (values.known !== undefined) {
    knownFiles = await expandImageArguments([values.known]).catch(() => {
      throw new FacerecError('NOT_FOUND', `The known-people folder "${values.known}" does not exist`);
    });
    if (knownFiles.length === 0) throw new FacerecError('NOT_FOUND', `The known-people folder "${values.known}" has no photos: expected ${join(values.known, '<name>.jpg')}, one person per photo`);
  }

  // The gallery is opened and checked before any model is loaded: a wrong --db fails fast.
  let store: GalleryStore | undefined;
  let identifier: Identifier | undefined;
  if (values.known === undefined) {
    const db = values.db ?? DEFAULT_DB;
    store = await openGalleryDb(db, { create: false });
    try {
      const calibrated = toleranceFlag === undefined ? await readCalibratedTolerance(store) : null;
      if (calibrated !== null) {
        matchOptions.tolerance = calibrated;
        ctx.stderr.write(`facerec identify: using the gallery's calibrated tolerance ${calibrated} (facerec calibrate); --tolerance overrides it\n`);
      }
      // A PostgreSQL gallery (URL) has no folder to keep the ANN index in: built in memory.
      const ann = { path: isPostgresUrl(db) ? null : `${db}.ann.usearch`, log: (m: string) => ctx.stderr.write(`${m}\n`), ...(annThreshold !== undefined ? { threshold: annThreshold } : {}) };
      identifier = indexIdentifier((await loadGalleryIndex(store, `"${redactDb(db)}"`, undefined, ann)).index, matchOptions);
    } finally {
      await store.close();
    }
  }

  const annotateDir = values.annotate;
  if (annotateDir) await mkdir(annotateDir, { recursive: true });
  const pool: PipelinePool = await createPipelinePool({ detector }, Math.min(workers, Math.max(files.length, knownFiles.length)));
  let failures = 0;
  const unknownFaces: NewFace[] = [];
  try {
    if (values.known !== undefined) {
      const scan = await scanKnownPeople(pool, knownFiles, { maxPixels });
      for (const w of scan.warnings) ctx.stderr.write(`${w}\n`);
      if (scan.known.length === 0) throw new FacerecError('NO_FACE', `None of the ${knownFiles.length} photos in the known-people folder "${values.known}" shows a face`);
      identifier = knownFacesIdentifier(scan.known, matchOptions);
    }
    const progress = new Progress(files.length, 'identify');
    const usedNames = new Set<string>();
    for await (const r of identifyFiles(pool, files, identifier!, { maxPixels })) {
      progress.tick(basename(r.file));
      if (r.error) {
        failures++;
        ctx.stderr.write(`facerec identify: ${r.error.message}\n`);
        continue;
      }
      if (values['save-unknown']) unknownFaces.push(...(await unknownFacesOfFile(r.file, r.faces, maxPixels)));
      if (values.json && anyExtras(values)) ctx.stdout.write(`${JSON.stringify(await addFaceExtras(identificationJson(r) as { faces?: { box: { top: number; right: number; bottom: number; left: number } }[] }, r.file, values, maxPixels))}\n`);
      else if (values.json) ctx.stdout.write(`${JSON.stringify(identificationJson(r))}\n`);
      else for (const line of faceRecognitionLines(r, values['show-distance'])) ctx.stdout.write(`${line}\n`);
      if (annotateDir) {
        const image = await loadImage(r.file, { maxPixels });
        await writeAnnotatedImage(image, identificationAnnotations(r), join(annotateDir, annotatedName(r.file, usedNames)));
      }
    }
  } finally {
    await pool.close();
    if (anyExtras(values)) await disposeExtras();
  }
  if (values['save-unknown']) {
    const db = values.db ?? DEFAULT_DB;
    if (unknownFaces.length === 0) ctx.stderr.write(`facerec identify: no unknown face to save\n`);
    else {
      const writable = await openGalleryDb(db, { create: false, writable: true });
      try {
        const ids = await writable.addUnknownFaces(unknownFaces, embeddingModelId(DEFAULT_ENCODE_OPTIONS));
        ctx.stderr.write(`facerec identify: saved ${new Set(ids).size} unknown face(s) in ${db} (facerec cluster --unknown --db ${db} groups them)\n`);
      } finally {
        await writable.close();
      }
    }
  }
  return failures > 0 ? 1 : 0;
}
