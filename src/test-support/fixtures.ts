/** Where test inputs come from: photos shipped in npm packages, and ../shared/data when present. */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

/** Repository root (this file lives in src/test-support/). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** One of the six 1920-px group photos shipped in @vladmandic/face-api's demo folder. */
export function sampleImagePath(n: 1 | 2 | 3 | 4 | 5 | 6): string {
  return join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo', `sample${n}.jpg`);
}

/** ../shared/data beside the repository, or FACEREC_SHARED_DATA. */
export const sharedDataDir = process.env.FACEREC_SHARED_DATA ?? resolve(repoRoot, '..', 'shared', 'data');

/** A folder of ../shared/data, or undefined (tests then skip with `sharedDataSkip`). */
export function sharedData(sub: string): string | undefined {
  const dir = join(sharedDataDir, sub);
  return existsSync(dir) ? dir : undefined;
}

export function sharedDataSkip(sub: string): string {
  return `skipped: ${join(sharedDataDir, sub)} is absent (real labelled photos live in ../shared/data on development machines)`;
}
