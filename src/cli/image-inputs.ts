import { readdir, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { FacerecError } from '../errors.js';

/** File endings the decoder understands; folders are scanned for these. */
export const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif', '.heic', '.heif']);

export function isImageFileName(name: string): boolean {
  return IMAGE_EXTENSIONS.has(extname(name).toLowerCase());
}

/**
 * Expands IMAGE|DIR arguments into image files: a file is taken as given (a bad
 * one is reported later, by name); a folder contributes its image files, sorted,
 * not recursing — like face_recognition's CLI.
 */
export async function expandImageArguments(args: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const arg of args) {
    let info;
    try {
      info = await stat(arg);
    } catch {
      throw new FacerecError('IMAGE_NOT_FOUND', `No such file or folder: "${arg}"`);
    }
    if (info.isDirectory()) {
      const names = (await readdir(arg)).filter(isImageFileName).sort();
      files.push(...names.map((n) => join(arg, n)));
    } else {
      files.push(arg);
    }
  }
  return files;
}

/** Output names are unique even when two inputs share a file name. */
export function annotatedName(file: string, used: Set<string>): string {
  const ext = extname(file).toLowerCase();
  const stem = basename(file, extname(file));
  const outExt = ['.jpg', '.jpeg', '.png', '.webp'].includes(ext) ? ext : '.png';
  let name = `${stem}${outExt}`;
  for (let k = 2; used.has(name); k++) name = `${stem}-${k}${outExt}`;
  used.add(name);
  return name;
}
