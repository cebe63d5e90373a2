/**
 * Moving a whole gallery between stores (SQLite file ⇄ PostgreSQL): persons and
 * faces through export/import (one transaction on the target), then the unknown
 * faces with their cluster labels and the calibrated tolerance. A checksum over
 * every embedding, independent of ids and store, proves nothing was lost.
 */
import { createHash } from 'node:crypto';
import { TOLERANCE_SETTING } from '../calibrate/calibrate.js';
import { FacerecError } from '../errors.js';
import type { GalleryStore } from './gallery-store.js';
import { embeddingToBytes } from './gallery-validation.js';

export interface GallerySummary {
  persons: number;
  faces: number;
  unknownFaces: number;
  /** sha256 (hex) over every face's person, source hash and embedding bytes, sorted: equal galleries have equal checksums. */
  checksum: string;
}

/** Counts and the content checksum of a gallery. */
export async function summarizeGallery(store: GalleryStore): Promise<GallerySummary> {
  const persons = await store.listPersons();
  const faces = await store.listFaces();
  const unknown = await store.listUnknownFaces();
  const lines = [
    ...faces.map((f) => `face\t${f.personName}\t${f.sourceSha256 ?? ''}\t${embeddingToBytes(f.embedding).toString('base64')}`),
    ...unknown.map((f) => `unknown\t${f.sourceSha256 ?? ''}\t${embeddingToBytes(f.embedding).toString('base64')}`),
  ].sort();
  const hash = createHash('sha256');
  for (const line of lines) hash.update(`${line}\n`);
  return { persons: persons.length, faces: faces.length, unknownFaces: unknown.length, checksum: hash.digest('hex') };
}

export interface MigrateResult {
  source: GallerySummary;
  target: GallerySummary;
  added: { persons: number; faces: number; duplicates: number; unknownFaces: number };
}

/**
 * Copies `from` into `to`. Refuses (ALREADY_EXISTS) a target that already holds
 * persons or unknown faces unless `append` (then duplicates by photo hash are skipped).
 */
export async function migrateGallery(from: GalleryStore, to: GalleryStore, options: { append?: boolean; targetName?: string } = {}): Promise<MigrateResult> {
  const before = await summarizeGallery(to);
  if (!options.append && (before.faces > 0 || before.unknownFaces > 0)) {
    throw new FacerecError(
      'ALREADY_EXISTS',
      `The target gallery ${options.targetName ?? ''} is not empty (${before.persons} persons, ${before.faces} faces, ${before.unknownFaces} unknown faces); add --append to merge into it (photos already there are skipped).`.replace('  ', ' '),
    );
  }
  const source = await summarizeGallery(from);
  const imported = await to.importGallery(await from.exportGallery());
  let unknownFaces = 0;
  const unknown = await from.listUnknownFaces();
  const modelId = unknown[0]?.modelId;
  if (modelId !== undefined) {
    const ids = await to.addUnknownFaces(unknown, modelId);
    unknownFaces = new Set(ids).size;
    const labels = new Map<number, number | null>();
    unknown.forEach((u, i) => labels.set(ids[i]!, u.clusterId));
    await to.setUnknownClusters(labels);
  }
  const tolerance = await from.getSetting(TOLERANCE_SETTING);
  if (tolerance !== null && (await to.getSetting(TOLERANCE_SETTING)) === null) await to.setSetting(TOLERANCE_SETTING, tolerance);
  return { source, target: await summarizeGallery(to), added: { ...imported, unknownFaces } };
}
