import { existsSync, statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { readCalibratedTolerance } from '../calibrate/calibrate.js';
import { clusterPhotos, clusterUnknownFaces, listImagesRecursive, writeClusterFolders, type ClusterAlgorithm, type PhotoClustering } from '../cluster/cluster-photos.js';
import { scoreClustering } from '../cluster/cluster.js';
import { DEFAULT_DB, isPostgresUrl, openGalleryDb } from '../enroll/gallery-db.js';
import { FacerecError } from '../errors.js';
import { resolveDetectorName } from '../face-recognizer.js';
import type { GalleryStore } from '../gallery/gallery-store.js';
import { createPipelinePool, defaultWorkerCount } from '../pool/pipeline-pool.js';
import { parseCommandLine, parseIntegerOption, parseNumberOption, UsageError, type CommandContext } from './cli-support.js';
import { Progress } from './progress.js';

export const clusterHelp = `Usage: facerec cluster DIR [options]
       facerec cluster --unknown [--db FILE] [options]

Groups faces of people you have not named yet. Chinese Whispers (dlib's face
clustering): faces closer than --threshold are linked, and each face takes the
label most common among its neighbours until nothing changes (seeded, so the same
input gives the same groups); or DBSCAN (--algorithm dbscan).

DIR: every photo under DIR (recursively) is detected and encoded. With --db FILE,
faces matching one of its persons are left out: the clusters are the people NOT
in the gallery (without --db every face is clustered). The groups are printed (or
--json); --out OUT_DIR also writes one folder per cluster (cluster-001 is the
largest) holding COPIES of the face crops as JPEG (not symlinks: a group photo's
crop shows which face is meant); faces in no cluster go to unclustered/.

--unknown: clusters the unknown faces stored in the gallery (facerec identify
--save-unknown, the web app's identify) and saves the labels, so the web app's
Unknown page shows them grouped, ready to be named.

Options:
  --db FILE            gallery database (--unknown: default ${DEFAULT_DB}; DIR mode:
                       only when given)
  --threshold X        faces closer than X are linked (default 0.5, dlib's
                       clustering value; stricter than the 0.6 match tolerance)
  --algorithm NAME     chinese-whispers (default) or dbscan
  --min-size N         clusters smaller than N count as unclustered (default 1)
  --out OUT_DIR        DIR mode: write a folder of face crops per cluster
  --json               DIR mode: one JSON object with the groups
  --score-by-folder    DIR mode: score the clusters against the true labels,
                       taken from each photo's folder name (a folder per person):
                       pairwise precision/recall and BCubed F
  --tolerance X        DIR mode: gallery match distance (default: calibrated or 0.6)
  --model NAME         detector: accurate (default) or fast
  --workers N          photos processed in parallel (default: ${defaultWorkerCount()})
  --max-pixels N       refuse photos larger than N pixels (default 40000000)
  -h, --help           show this help

Examples:
  facerec cluster holiday-photos/ --out holiday-people/
  facerec cluster --unknown --db team.db
  facerec cluster --db team.db party-photos/ --json
  facerec cluster ../shared/data/face_api_js_bbt/examples/images --score-by-folder
`;

const options = {
  db: { type: 'string' },
  unknown: { type: 'boolean' },
  threshold: { type: 'string' },
  algorithm: { type: 'string' },
  'min-size': { type: 'string' },
  out: { type: 'string' },
  json: { type: 'boolean' },
  'score-by-folder': { type: 'boolean' },
  tolerance: { type: 'string' },
  model: { type: 'string' },
  workers: { type: 'string' },
  'max-pixels': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

export function clusteringJson(r: PhotoClustering, dir: string) {
  const groups = new Map<number, { file: string; face: number; box: PhotoClustering['faces'][number]['box'] }[]>();
  for (const f of r.faces) if (f.cluster !== null) groups.set(f.cluster, [...(groups.get(f.cluster) ?? []), { file: f.file, face: f.face, box: f.box }]);
  return {
    dir,
    clusters: [...groups.entries()].sort((a, b) => a[0] - b[0]).map(([id, faces]) => ({ id: id + 1, size: faces.length, faces })),
    unclustered: r.faces.filter((f) => f.cluster === null && !f.galleryMatch).map((f) => ({ file: f.file, face: f.face, box: f.box })),
    inGallery: r.faces.filter((f) => f.galleryMatch).map((f) => ({ file: f.file, face: f.face, box: f.box, person: f.galleryMatch!.name, distance: f.galleryMatch!.distance })),
    noFace: r.noFace,
    errors: r.errors,
  };
}

export async function runCluster(argv: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parseCommandLine('cluster', argv, options);
  if (values.help) {
    ctx.stdout.write(clusterHelp);
    return 0;
  }
  const algorithm = (values.algorithm ?? 'chinese-whispers') as ClusterAlgorithm;
  if (algorithm !== 'chinese-whispers' && algorithm !== 'dbscan') throw new UsageError(`facerec cluster: --algorithm expects chinese-whispers or dbscan, got "${values.algorithm}"`);
  const threshold = parseNumberOption('cluster', 'threshold', values.threshold, 0.01, 2) ?? 0.5;
  const minClusterSize = parseIntegerOption('cluster', 'min-size', values['min-size'], 1, 1_000_000) ?? 1;
  const settings = { algorithm, threshold, minClusterSize, seed: 1 };
  const db = values.db ?? DEFAULT_DB;

  if (values.unknown) {
    if (positionals.length > 0) throw new UsageError('facerec cluster: give DIR or --unknown, not both');
    for (const flag of ['out', 'json', 'score-by-folder'] as const) if (values[flag]) throw new UsageError(`facerec cluster: --${flag} is for DIR mode, not --unknown`);
    const store = await openGalleryDb(db, { create: false, writable: true });
    try {
      const r = await clusterUnknownFaces(store, settings);
      if (r.faces === 0) ctx.stdout.write(`no unknown faces in ${db} (facerec identify --save-unknown stores some)\n`);
      else {
        ctx.stdout.write(`clustered ${r.faces} unknown faces of ${db} into ${r.clusters} clusters (sizes ${r.sizes.join(', ')})${r.noise > 0 ? `; ${r.noise} unclustered` : ''} with ${algorithm}, threshold ${threshold}\n`);
        ctx.stdout.write(`labels saved: name a cluster in the web app (facerec serve --db ${db}, Unknown page)\n`);
      }
    } finally {
      await store.close();
    }
    return 0;
  }

  if (positionals.length !== 1) throw new UsageError('facerec cluster: give one DIR of photos, or --unknown (see facerec cluster --help)');
  const dir = positionals[0]!;
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new FacerecError('IMAGE_NOT_FOUND', `No such folder: "${dir}"`);
  let detector;
  try {
    detector = resolveDetectorName(values.model ?? 'accurate');
  } catch {
    throw new UsageError(`facerec cluster: --model expects accurate, fast, cnn or hog, got "${values.model}"`);
  }
  const toleranceFlag = parseNumberOption('cluster', 'tolerance', values.tolerance, 0, 2);
  const workers = parseIntegerOption('cluster', 'workers', values.workers, 1, 256) ?? defaultWorkerCount();
  const maxPixels = parseIntegerOption('cluster', 'max-pixels', values['max-pixels'], 1);
  const files = await listImagesRecursive(dir);
  if (files.length === 0) throw new UsageError(`facerec cluster: no image files found under "${dir}"`);

  // The gallery is optional here: used only when --db is given (it must exist).
  let store: GalleryStore | undefined;
  if (values.db !== undefined) {
    if (!isPostgresUrl(values.db) && !existsSync(values.db)) throw new FacerecError('NOT_FOUND', `The gallery database "${values.db}" does not exist (leave out --db to cluster every face)`);
    store = await openGalleryDb(db, { create: false });
  }
  let result: PhotoClustering;
  try {
    let gallery: { store: GalleryStore; tolerance: number } | undefined;
    if (store && (await store.listPersons()).length > 0) {
      const tolerance = toleranceFlag ?? (await readCalibratedTolerance(store)) ?? 0.6;
      gallery = { store, tolerance };
      ctx.stderr.write(`facerec cluster: leaving out faces of the ${db} gallery's persons (tolerance ${tolerance}): clustering people not in the gallery\n`);
    }
    const pool = await createPipelinePool({ detector }, Math.min(workers, files.length));
    const progress = new Progress(files.length, 'cluster');
    try {
      result = await clusterPhotos(pool, files, { ...settings, gallery, maxPixels, onFile: (f) => progress.tick(basename(f)) });
    } finally {
      await pool.close();
    }
  } finally {
    await store?.close();
  }
  for (const e of result.errors) ctx.stderr.write(`facerec cluster: ${e.message}\n`);
  const json = clusteringJson(result, dir);
  const scored = result.faces.filter((f) => !f.galleryMatch);
  const scores = values['score-by-folder'] ? scoreClustering(scored.map((f) => f.cluster), scored.map((f) => basename(dirname(f.file)))) : undefined;
  let folders: string[] = [];
  if (values.out) folders = await writeClusterFolders(result, values.out, maxPixels);
  if (values.json) {
    ctx.stdout.write(`${JSON.stringify({ ...json, algorithm, threshold, ...(scores ? { scores } : {}), ...(values.out ? { out: values.out, copies: true } : {}) })}\n`);
  } else {
    const clustered = scored.length;
    ctx.stdout.write(`${result.faces.length} faces in ${files.length} photos; ${result.faces.length - clustered} of gallery persons left out; ${clustered} clustered into ${result.clusters} clusters (${algorithm}, threshold ${threshold})\n`);
    for (const c of json.clusters) {
      const names = c.faces.map((f) => `${basename(f.file)}${result.faces.filter((g) => g.file === f.file).length > 1 ? `#${f.face + 1}` : ''}`);
      ctx.stdout.write(`  cluster ${c.id}: ${c.size} face${c.size === 1 ? '' : 's'}: ${names.slice(0, 8).join(', ')}${names.length > 8 ? `, … (${names.length - 8} more)` : ''}\n`);
    }
    if (json.unclustered.length > 0) ctx.stdout.write(`  unclustered: ${json.unclustered.length} faces\n`);
    if (result.noFace.length > 0) ctx.stdout.write(`  no face: ${result.noFace.length} photos\n`);
    if (values.out) ctx.stdout.write(`wrote ${folders.length} folders of face crops (copies, JPEG) under ${values.out}\n`);
    if (scores) {
      ctx.stdout.write(
        `scores against folder names (${scores.persons} persons, ${clustered} faces): pairwise precision ${pct(scores.pairwisePrecision)}, recall ${pct(scores.pairwiseRecall)}, F ${pct(scores.pairwiseF)}; ` +
          `BCubed precision ${pct(scores.bcubedPrecision)}, recall ${pct(scores.bcubedRecall)}, F ${pct(scores.bcubedF)}\n`,
      );
    }
  }
  return result.errors.length > 0 ? 1 : 0;
}
