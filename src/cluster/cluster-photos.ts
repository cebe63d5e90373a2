/**
 * Clustering the faces of a photo collection: detect + encode every face on the
 * pool, drop the faces that match a gallery person (what is left is "people not
 * in the gallery"), then cluster the rest. Also clusters a gallery's stored
 * unknown faces and saves the labels.
 */
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import sharp from 'sharp';
import { DEFAULT_ENCODE_OPTIONS } from '../face-recognizer.js';
import { embeddingModelId } from '../encode/embedding-model-id.js';
import { galleryFaceIndex } from '../enroll/enroll.js';
import type { GalleryStore } from '../gallery/gallery-store.js';
import { loadImage } from '../image/load-image.js';
import { FaceIndex } from '../match/face-index.js';
import type { PipelinePool } from '../pool/pipeline-pool.js';
import { isImageFileName } from '../cli/image-inputs.js';
import type { FaceBox } from '../types.js';
import { chineseWhispers, dbscan } from './cluster.js';

export type ClusterAlgorithm = 'chinese-whispers' | 'dbscan';

export interface ClusterSettings {
  algorithm?: ClusterAlgorithm;
  threshold?: number;
  minClusterSize?: number;
  seed?: number;
}

export function clusterEmbeddings(embeddings: readonly Float32Array[], s: ClusterSettings = {}): (number | null)[] {
  const opts = { threshold: s.threshold ?? 0.5, minClusterSize: s.minClusterSize ?? 1 };
  return (s.algorithm ?? 'chinese-whispers') === 'dbscan' ? dbscan(embeddings, opts) : chineseWhispers(embeddings, { ...opts, seed: s.seed ?? 1 });
}

/** Image files under `dir`, recursively, sorted (a folder per person works as the truth labels). */
export async function listImagesRecursive(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const path = join(dir, entry.name);
    // Symlinks are followed (a folder of links to person folders is a handy labelled set).
    const kind = entry.isSymbolicLink() ? await stat(path).catch(() => undefined) : entry;
    if (kind?.isDirectory()) out.push(...(await listImagesRecursive(path)));
    else if (kind?.isFile() && isImageFileName(entry.name)) out.push(path);
  }
  return out;
}

export interface PhotoFace {
  file: string;
  /** Index of the face within its photo. */
  face: number;
  box: FaceBox;
  embedding: Float32Array;
  /** Set when the face matched a gallery person (then it is not clustered). */
  galleryMatch?: { name: string; distance: number };
  /** Cluster label; null for noise or a gallery match. */
  cluster: number | null;
}

export interface PhotoClustering {
  faces: PhotoFace[];
  clusters: number;
  /** Files without a face, and unreadable ones. */
  noFace: string[];
  errors: { file: string; message: string }[];
}

export interface ClusterPhotosOptions extends ClusterSettings {
  /** Faces within `tolerance` of a gallery face are that person's, not clustered. */
  gallery?: { store: GalleryStore; tolerance: number };
  maxPixels?: number;
  onFile?: (file: string) => void;
}

export async function clusterPhotos(pool: PipelinePool, files: readonly string[], options: ClusterPhotosOptions = {}): Promise<PhotoClustering> {
  const faces: PhotoFace[] = [];
  const noFace: string[] = [];
  const errors: { file: string; message: string }[] = [];
  const index = options.gallery ? await galleryIndex(options.gallery.store) : undefined;
  const pipeline = { ...DEFAULT_ENCODE_OPTIONS, encode: true, maxPixels: options.maxPixels };
  // Bounded look-ahead: every worker busy, memory flat.
  const window = Math.max(4, pool.workers * 3);
  const pending = files.slice(0, window).map((f) => pool.process(f, pipeline));
  for (let i = 0; i < files.length; i++) {
    const r = await pending[i]!;
    if (i + window < files.length) pending.push(pool.process(files[i + window]!, pipeline));
    options.onFile?.(files[i]!);
    if (r.error) {
      errors.push({ file: r.file, message: r.error.message });
      continue;
    }
    const encoded = r.faces.filter((f) => f.encoding && f.encoding.length > 0);
    if (encoded.length === 0) noFace.push(r.file);
    encoded.forEach((f, k) => {
      const face: PhotoFace = { file: r.file, face: k, box: f.box, embedding: f.encoding!, cluster: null };
      if (index) {
        const m = index.identify(f.encoding!, { tolerance: options.gallery!.tolerance, topK: 1 });
        if (m.name !== null) face.galleryMatch = { name: m.name, distance: m.distance };
      }
      faces.push(face);
    });
  }
  const rest = faces.filter((f) => !f.galleryMatch);
  const labels = clusterEmbeddings(
    rest.map((f) => f.embedding),
    options,
  );
  rest.forEach((f, i) => (f.cluster = labels[i]!));
  return { faces, clusters: new Set(labels.filter((l) => l !== null)).size, noFace, errors };
}

/** The gallery's faces (model checked: faces of another encoder cannot be compared), or undefined when it has none. */
async function galleryIndex(store: GalleryStore): Promise<FaceIndex | undefined> {
  const index = await galleryFaceIndex(store, embeddingModelId(DEFAULT_ENCODE_OPTIONS));
  return index.size > 0 ? index : undefined;
}

/**
 * Writes one folder per cluster (cluster-001, …, by size) holding a COPY of each
 * face's crop as a JPEG (with a margin), named after its photo; faces of noise go
 * to `unclustered/`. Copies, not symlinks: they survive moving the output and show
 * which face of a group photo is meant. Returns the folders written.
 */
export async function writeClusterFolders(result: PhotoClustering, outDir: string, maxPixels?: number): Promise<string[]> {
  const byFile = new Map<string, PhotoFace[]>();
  for (const f of result.faces) if (!f.galleryMatch) byFile.set(f.file, [...(byFile.get(f.file) ?? []), f]);
  const folders = new Set<string>();
  const used = new Set<string>();
  for (const [file, faces] of byFile) {
    const image = await loadImage(file, { maxPixels });
    for (const f of faces) {
      const folder = join(outDir, f.cluster === null ? 'unclustered' : `cluster-${String(f.cluster + 1).padStart(3, '0')}`);
      await mkdir(folder, { recursive: true });
      folders.add(folder);
      const stem = `${basename(dirname(file))}-${basename(file, extname(file))}${faces.length > 1 ? `-face${f.face + 1}` : ''}`;
      let name = `${stem}.jpg`;
      for (let k = 2; used.has(join(folder, name)); k++) name = `${stem}-${k}.jpg`;
      used.add(join(folder, name));
      const side = Math.max(f.box.right - f.box.left, f.box.bottom - f.box.top) * 1.5;
      const left = Math.max(0, Math.floor((f.box.left + f.box.right) / 2 - side / 2));
      const top = Math.max(0, Math.floor((f.box.top + f.box.bottom) / 2 - side / 2));
      const width = Math.max(1, Math.min(image.width - left, Math.ceil(side)));
      const height = Math.max(1, Math.min(image.height - top, Math.ceil(side)));
      const jpeg = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } }).extract({ left, top, width, height }).jpeg({ quality: 90 }).toBuffer();
      await writeFile(join(folder, name), jpeg);
    }
  }
  return [...folders].sort();
}

export interface UnknownClustering {
  faces: number;
  clusters: number;
  noise: number;
  /** Cluster sizes, largest first. */
  sizes: number[];
}

/** Clusters the store's unknown faces and saves the labels (setUnknownClusters). */
export async function clusterUnknownFaces(store: GalleryStore, settings: ClusterSettings = {}): Promise<UnknownClustering> {
  const unknown = await store.listUnknownFaces();
  const labels = clusterEmbeddings(
    unknown.map((f) => f.embedding),
    settings,
  );
  if (unknown.length > 0) await store.setUnknownClusters(new Map(unknown.map((f, i) => [f.id, labels[i]!])));
  const sizes = new Map<number, number>();
  for (const l of labels) if (l !== null) sizes.set(l, (sizes.get(l) ?? 0) + 1);
  return { faces: unknown.length, clusters: sizes.size, noise: labels.filter((l) => l === null).length, sizes: [...sizes.values()].sort((a, b) => b - a) };
}
