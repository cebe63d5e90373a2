import { parseArgs, type ParseArgsConfig } from 'node:util';
import { FacerecError } from '../errors.js';

/** A usage mistake: printed with the command's name and a pointer to --help, exit code 2. */
export class UsageError extends Error {}

export interface CommandContext {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export type Options = NonNullable<ParseArgsConfig['options']>;
type Parsed<T extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: T; allowPositionals: true; strict: true }>>;

/** parseArgs with errors rephrased as one sentence naming the flag. */
export function parseCommandLine<T extends Options>(command: string, argv: string[], options: T): Parsed<T> {
  try {
    return parseArgs<{ args: string[]; options: T; allowPositionals: true; strict: true }>({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    const msg = (err as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    throw new UsageError(`facerec ${command}: ${msg}`);
  }
}

export function parseIntegerOption(command: string, flag: string, value: string | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || n < min || n > max) {
    throw new UsageError(`facerec ${command}: --${flag} expects a whole number from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : ' up'}, got "${value}"`);
  }
  return n;
}

export function parseNumberOption(command: string, flag: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
    throw new UsageError(`facerec ${command}: --${flag} expects a number from ${min} to ${max}, got "${value}"`);
  }
  return n;
}

/** Message for errors that reach the top: ours are shown as they are, others with their type. */
export function errorMessage(err: unknown): string {
  if (err instanceof FacerecError || err instanceof UsageError) return err.message;
  return `unexpected error: ${(err as Error)?.stack ?? String(err)}`;
}
