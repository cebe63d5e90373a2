/**
 * Parsers for the official LFW pair files (Labeled Faces in the Wild, "View 1" and "View 2").
 *
 * View 1 (`pairsDevTrain.txt`, `pairsDevTest.txt`): the first line is a count N, followed by N
 * same-person lines `name i j` and then N different-person lines `name1 i name2 j`.
 *
 * View 2 (`pairs.txt`): the first line is `folds n`, followed, for each fold in turn, by n
 * same-person lines and then n different-person lines.
 *
 * Fields may be separated by tabs or spaces; CRLF line ends and trailing blank lines are accepted.
 * Image index `i` of person `name` is the file `<root>/<name>/<name>_<i as 4 digits>.jpg`, where
 * `root` is the folder holding the per-name folders (in the shared View-1 copy: `lfw-view1/lfw`).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface LfwPair {
  /** 0-based fold number (always 0 for View 1). */
  fold: number;
  /** True for a same-person pair. */
  same: boolean;
  nameA: string;
  indexA: number;
  nameB: string;
  indexB: number;
  /** `<root>/<nameA>/<nameA>_<indexA 4 digits>.jpg` */
  pathA: string;
  pathB: string;
  /** 1-based line in the pair file, for messages. */
  line: number;
}

export interface LfwPairSet {
  format: 'view1' | 'view2';
  /** Number of folds (1 for View 1, usually 10 for View 2). */
  folds: number;
  /** Same-person pairs per fold (= different-person pairs per fold). */
  pairsPerFold: number;
  /** In file order: for each fold, its same pairs then its different pairs. */
  pairs: LfwPair[];
}

export interface LfwParseOptions {
  /** Folder holding the per-name image folders. */
  root: string;
  /** File name used in error messages (default `<pairs>`). */
  file?: string;
  /** Force a format instead of detecting it from the header (1 number = View 1, 2 numbers = View 2). */
  format?: 'view1' | 'view2';
}

/** A malformed pair file; the message starts with `file:line:`. */
export class LfwPairsParseError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(`${file}:${line}: ${reason}`);
    this.name = 'LfwPairsParseError';
  }
}

/** `<root>/<name>/<name>_<index as 4 digits>.jpg` */
export function lfwImagePath(root: string, name: string, index: number): string {
  return join(root, name, `${name}_${String(index).padStart(4, '0')}.jpg`);
}

/** Parse the text of an LFW pair file (View 1 or View 2, detected from the header line). */
export function parseLfwPairs(text: string, options: LfwParseOptions): LfwPairSet {
  const file = options.file ?? '<pairs>';
  const lines = text.split(/\r?\n/);
  // Trailing blank lines (the usual final newline included) are not pair lines.
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
  if (lines.length === 0) throw new LfwPairsParseError(file, 1, 'empty file: expected a header line with the pair count');

  const header = lines[0]!.trim().split(/\s+/);
  const format = options.format ?? (header.length === 1 ? 'view1' : header.length === 2 ? 'view2' : undefined);
  if (format === undefined)
    throw new LfwPairsParseError(file, 1, `header "${lines[0]!.trim()}" should be a pair count N (View 1) or "folds n" (View 2)`);
  const expectedFields = format === 'view1' ? 1 : 2;
  if (header.length !== expectedFields)
    throw new LfwPairsParseError(
      file,
      1,
      `${format === 'view1' ? 'View 1' : 'View 2'} header should have ${expectedFields === 1 ? 'one number (pair count N)' : 'two numbers "folds n"'}, found "${lines[0]!.trim()}"`,
    );
  const folds = format === 'view1' ? 1 : parseCount(header[0]!, file, 1, 'fold count');
  const perFold = parseCount(header[header.length - 1]!, file, 1, 'pairs per fold');

  const expectedLines = folds * perFold * 2;
  const actualLines = lines.length - 1;
  if (actualLines !== expectedLines) {
    const what = format === 'view1' ? `${perFold} same + ${perFold} different` : `${folds} folds × (${perFold} same + ${perFold} different)`;
    if (actualLines < expectedLines)
      throw new LfwPairsParseError(file, lines.length, `header promises ${what} = ${expectedLines} pair lines but the file ends after ${actualLines}`);
    throw new LfwPairsParseError(file, expectedLines + 2, `header promises ${what} = ${expectedLines} pair lines but the file has ${actualLines} (first extra line here)`);
  }

  const pairs: LfwPair[] = [];
  for (let k = 0; k < expectedLines; k++) {
    const lineNo = k + 2;
    const fold = Math.floor(k / (2 * perFold));
    const same = k % (2 * perFold) < perFold;
    const raw = lines[k + 1]!;
    const fields = raw.trim().split(/\s+/).filter((f) => f !== '');
    const where = format === 'view1' ? '' : ` (fold ${fold + 1})`;
    if (same) {
      if (fields.length !== 3)
        throw new LfwPairsParseError(file, lineNo, `expected a same-person pair "name i j"${where}, found ${describeFields(fields)}: "${raw.trim()}"`);
      const name = parseName(fields[0]!, file, lineNo);
      const i = parseIndex(fields[1]!, file, lineNo);
      const j = parseIndex(fields[2]!, file, lineNo);
      if (i === j) throw new LfwPairsParseError(file, lineNo, `same-person pair uses image ${i} of ${name} twice`);
      pairs.push({ fold, same, nameA: name, indexA: i, nameB: name, indexB: j, pathA: lfwImagePath(options.root, name, i), pathB: lfwImagePath(options.root, name, j), line: lineNo });
    } else {
      if (fields.length !== 4)
        throw new LfwPairsParseError(file, lineNo, `expected a different-person pair "name1 i name2 j"${where}, found ${describeFields(fields)}: "${raw.trim()}"`);
      const nameA = parseName(fields[0]!, file, lineNo);
      const i = parseIndex(fields[1]!, file, lineNo);
      const nameB = parseName(fields[2]!, file, lineNo);
      const j = parseIndex(fields[3]!, file, lineNo);
      if (nameA === nameB) throw new LfwPairsParseError(file, lineNo, `different-person pair names the same person twice (${nameA})`);
      pairs.push({ fold, same, nameA, indexA: i, nameB, indexB: j, pathA: lfwImagePath(options.root, nameA, i), pathB: lfwImagePath(options.root, nameB, j), line: lineNo });
    }
  }
  return { format, folds, pairsPerFold: perFold, pairs };
}

/** Read and parse an LFW pair file; `root` is the folder holding the per-name image folders. */
export async function readLfwPairs(pairFile: string, root: string, format?: 'view1' | 'view2'): Promise<LfwPairSet> {
  const text = await readFile(pairFile, 'utf8');
  return parseLfwPairs(text, { root, file: pairFile, ...(format ? { format } : {}) });
}

function describeFields(fields: string[]): string {
  return fields.length === 0 ? 'an empty line' : `${fields.length} field${fields.length === 1 ? '' : 's'}`;
}

function parseCount(s: string, file: string, line: number, what: string): number {
  if (!/^\d+$/.test(s) || Number(s) < 1) throw new LfwPairsParseError(file, line, `${what} "${s}" is not a positive integer`);
  return Number(s);
}

function parseIndex(s: string, file: string, line: number): number {
  if (!/^\d+$/.test(s) || Number(s) < 1 || Number(s) > 9999) throw new LfwPairsParseError(file, line, `image index "${s}" is not an integer in 1..9999`);
  return Number(s);
}

function parseName(s: string, file: string, line: number): string {
  if (/^\d+$/.test(s)) throw new LfwPairsParseError(file, line, `expected a person name, found the number "${s}"`);
  if (s === '.' || s === '..' || /[\\/]/.test(s)) throw new LfwPairsParseError(file, line, `person name "${s}" must not contain a path separator`);
  return s;
}
