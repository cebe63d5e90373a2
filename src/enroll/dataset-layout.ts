/**
 * Recognises how a dataset folder is laid out, the two ways face_recognition's
 * users keep photos of people:
 *   - folder per person: DATASET/<Person Name>/*.jpg (the reference layout, as in
 *     face_recognition's knn example and LFW);
 *   - flat: DATASET/<name>.jpg, one person per file, name = file stem (the
 *     known_people folder of the face_recognition CLI).
 * Only image files are taken (see IMAGE_EXTENSIONS); hidden files are ignored.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { isImageFileName } from '../cli/image-inputs.js';
import { FacerecError } from '../errors.js';

export type DatasetLayout = 'folder-per-person' | 'flat';

export interface DatasetPerson {
  name: string;
  /** Image files, sorted by name (code-point order). */
  files: string[];
}

export interface DatasetScan {
  root: string;
  layout: DatasetLayout;
  /** Persons with at least one image file, sorted by name. */
  persons: DatasetPerson[];
  /** Folder-per-person only: person folders holding no image file, sorted. */
  emptyPersons: string[];
  /** Entries not taken: loose files beside person folders, nested folders, non-image files. */
  ignored: string[];
}

const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const hidden = (name: string) => name.startsWith('.');

/** One sentence naming the layout, e.g. `folder per person (DATASET/<Person Name>/*.jpg): 5 persons, 9 photos`. */
export function describeLayout(scan: DatasetScan): string {
  const photos = scan.persons.reduce((n, p) => n + p.files.length, 0);
  const counts = `${scan.persons.length} person${scan.persons.length === 1 ? '' : 's'}, ${photos} photo${photos === 1 ? '' : 's'}`;
  return scan.layout === 'folder-per-person'
    ? `folder per person (${scan.root}/<Person Name>/*.jpg): ${counts}`
    : `flat, one person per photo, name = file name without extension (${scan.root}/<name>.jpg): ${counts}`;
}

/**
 * Scans DATASET_DIR (not deeper than person folders). Throws a FacerecError with
 * one sentence when the folder is missing, is a file, or holds no photo at all.
 */
export async function scanDataset(dir: string): Promise<DatasetScan> {
  let info;
  try {
    info = await stat(dir);
  } catch {
    throw new FacerecError('NOT_FOUND', `The dataset folder "${dir}" does not exist`);
  }
  if (!info.isDirectory()) {
    throw new FacerecError(
      'INVALID_ARGUMENT',
      `"${dir}" is a file, not a dataset folder: give a folder holding one folder of photos per person, or photos named after their person`,
    );
  }
  const entries = (await readdir(dir, { withFileTypes: true })).filter((e) => !hidden(e.name)).sort((a, b) => byCodePoint(a.name, b.name));
  const looseImages: string[] = [];
  const otherFiles: string[] = [];
  const folders: string[] = [];
  for (const e of entries) {
    // Follow symlinks: a dataset may link person folders or photos from elsewhere.
    const isDir = e.isDirectory() || (e.isSymbolicLink() && (await stat(join(dir, e.name)).catch(() => undefined))?.isDirectory());
    if (isDir) folders.push(e.name);
    else if (isImageFileName(e.name)) looseImages.push(e.name);
    else otherFiles.push(join(dir, e.name));
  }

  const persons: DatasetPerson[] = [];
  const emptyPersons: string[] = [];
  const ignored: string[] = [...otherFiles];
  for (const name of folders) {
    const sub = join(dir, name);
    const inner = (await readdir(sub, { withFileTypes: true })).filter((e) => !hidden(e.name)).sort((a, b) => byCodePoint(a.name, b.name));
    const files: string[] = [];
    for (const e of inner) {
      const path = join(sub, e.name);
      if (!e.isDirectory() && isImageFileName(e.name)) files.push(path);
      else ignored.push(path);
    }
    if (files.length > 0) persons.push({ name, files });
    else emptyPersons.push(name);
  }

  if (persons.length > 0) {
    ignored.push(...looseImages.map((f) => join(dir, f)));
    return { root: dir, layout: 'folder-per-person', persons, emptyPersons, ignored: ignored.sort(byCodePoint) };
  }
  if (looseImages.length > 0) {
    // Flat: several files with one stem (obama.jpg, obama.png) are one person.
    const byName = new Map<string, string[]>();
    for (const f of looseImages) {
      const stem = basename(f, extname(f));
      byName.set(stem, [...(byName.get(stem) ?? []), join(dir, f)]);
    }
    const flat = [...byName.entries()].sort((a, b) => byCodePoint(a[0], b[0])).map(([name, files]) => ({ name, files }));
    const nested = folders.map((f) => join(dir, f));
    return { root: dir, layout: 'flat', persons: flat, emptyPersons: [], ignored: [...otherFiles, ...nested].sort(byCodePoint) };
  }
  if (folders.length > 0) {
    throw new FacerecError(
      'NO_FACE',
      `The dataset folder "${dir}" has person folders (${folders.slice(0, 5).join(', ')}${folders.length > 5 ? ', …' : ''}) but none holds a photo (JPEG, PNG, WebP, GIF, TIFF or AVIF)`,
    );
  }
  throw new FacerecError(
    'NOT_FOUND',
    `The dataset folder "${dir}" has no photos: expected ${join(dir, '<Person Name>', 'photo.jpg')} (one folder per person) or ${join(dir, '<name>.jpg')} (one photo per person)`,
  );
}
