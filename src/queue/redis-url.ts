/** The --redis flag: default and check (no Redis client loaded: commands import this at start-up). */
import { FacerecError } from '../errors.js';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** Checks --redis: a redis:// or rediss:// URL, else INVALID_ARGUMENT naming the flag. */
export function checkRedisUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new FacerecError('INVALID_ARGUMENT', `--redis expects a URL like ${DEFAULT_REDIS_URL}, got "${url}"`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new FacerecError('INVALID_ARGUMENT', `--redis expects a redis:// or rediss:// URL, got "${url}"`);
  }
  return url;
}
