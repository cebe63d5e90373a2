/**
 * Every error a user can cause is a FacerecError with a stable `code` and one
 * clear sentence that names the file or field and what would be accepted.
 */
export type FacerecErrorCode =
  | 'INVALID_ARGUMENT'
  | 'IMAGE_NOT_FOUND'
  | 'IMAGE_EMPTY'
  | 'IMAGE_UNSUPPORTED'
  | 'IMAGE_CORRUPT'
  | 'IMAGE_TOO_LARGE'
  | 'MODEL_MISMATCH'
  | 'NO_FACE'
  /** The face is there but too poor to enrol (quality gate: too small, blurred, turned, badly exposed). */
  | 'LOW_QUALITY'
  | 'NOT_FOUND'
  | 'IO_ERROR'
  | 'ALREADY_EXISTS'
  | 'DATABASE_ERROR'
  /** A database server cannot be reached (down, network, timeout): retry later (HTTP 503). */
  | 'UNAVAILABLE'
  | 'VIDEO_CORRUPT';

export class FacerecError extends Error {
  constructor(
    readonly code: FacerecErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'FacerecError';
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `"${value}" of type string`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return `${String(value)} of type ${typeof value}`;
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  return `a value of type ${Array.isArray(value) ? 'array' : typeof value}`;
}

/** `Expected <what> for <field> but received <value>` — sharp's phrasing, one helper for all. */
export function invalidArgument(field: string, expected: string, received: unknown): FacerecError {
  return new FacerecError('INVALID_ARGUMENT', `Expected ${expected} for ${field} but received ${describe(received)}`);
}

export function checkNumber(field: string, value: unknown, opts: { min?: number; max?: number; integer?: boolean } = {}): number {
  const { min = -Infinity, max = Infinity, integer = false } = opts;
  const ok = typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max && (!integer || Number.isInteger(value));
  if (!ok) {
    const kind = integer ? 'an integer' : 'a number';
    const range =
      min > -Infinity && max < Infinity ? ` from ${min} to ${max}` : min > -Infinity ? ` of at least ${min}` : max < Infinity ? ` of at most ${max}` : '';
    throw invalidArgument(field, `${kind}${range}`, value);
  }
  return value as number;
}

export function checkChoice<T extends string>(field: string, value: unknown, choices: readonly T[]): T {
  if (typeof value !== 'string' || !choices.includes(value as T)) {
    throw invalidArgument(field, `one of ${choices.map((c) => `"${c}"`).join(', ')}`, value);
  }
  return value as T;
}
