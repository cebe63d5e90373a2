/**
 * The web pages: src/server/public served as-is at /. The folder is found from
 * the source tree (tsx) and from dist/ (the build does not copy it). A request
 * path never reaches the file system unchecked: segments are plain names, the
 * resolved path must stay inside the folder.
 */
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { ApiError } from './api-error.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/** src/server/public from src/server (tsx) or dist/server (built). */
export function resolvePublicDir(): string {
  const candidates = [new URL('./public/', import.meta.url), new URL('../../src/server/public/', import.meta.url)];
  for (const url of candidates) {
    const path = fileURLToPath(url);
    if (existsSync(path) && statSync(path).isDirectory()) return path;
  }
  return fileURLToPath(candidates[0]!);
}

/** The file a URL path names inside `root`, or undefined when the path is not a plain relative file path. */
export function publicFilePath(root: string, urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded === '' || decoded.endsWith('/')) decoded += 'index.html';
  const segments = decoded.replace(/^\/+/, '').split('/');
  if (segments.some((s) => s === '' || s.startsWith('.') || s.includes('\\') || s.includes('\0'))) return undefined;
  const base = resolve(root);
  const file = resolve(base, ...segments);
  return file.startsWith(base + sep) ? file : undefined;
}

export function registerStaticRoutes(app: FastifyInstance, root: string): void {
  const serve = async (urlPath: string) => {
    const file = publicFilePath(root, urlPath);
    if (!file || !TYPES[extname(file).toLowerCase()]) return undefined;
    try {
      return { body: await readFile(file), type: TYPES[extname(file).toLowerCase()]! };
    } catch {
      return undefined;
    }
  };
  const handler = async (request: { url: string; method: string }, reply: { type: (t: string) => unknown; header: (k: string, v: string) => unknown }) => {
    const path = request.url.split('?')[0] ?? '/';
    // Pages may be linked without their extension: /live → live.html.
    const found = (await serve(path)) ?? (extname(path) === '' && !path.endsWith('/') ? await serve(`${path}.html`) : undefined);
    if (!found) throw new ApiError(404, 'NOT_FOUND', `There is no page or route ${request.method} ${path}; see /api for the API.`);
    reply.type(found.type);
    reply.header('cache-control', 'no-cache');
    reply.header('x-content-type-options', 'nosniff');
    return found.body;
  };
  app.get('/', { schema: { hide: true } }, handler);
  app.get('/*', { schema: { hide: true } }, handler);
}
