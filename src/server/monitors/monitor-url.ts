/**
 * Which inputs a monitor may watch: rtsp(s):// and http(s):// stream URLs and
 * V4L2 cameras (/dev/videoN) always; a local video file only when the server
 * allows it (`allowFiles`), because a file path lets API clients make the
 * server read any file it can open.
 */
import { existsSync, statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { ApiError } from '../api-error.js';

const STREAM_SCHEMES = new Set(['rtsp:', 'rtsps:', 'http:', 'https:']);

export function checkMonitorUrl(value: string, allowFiles: boolean, field = 'url'): string {
  const url = value.trim();
  const bad = (why: string) => new ApiError(400, 'BAD_REQUEST', `The body field "${field}" ${why}`);
  if (url === '') throw bad('is empty; give an rtsp://, http(s):// stream URL or /dev/videoN.');
  if (/[\u0000-\u001f\u007f]/.test(url)) throw bad('contains control characters.');
  if (/^[a-z][a-z0-9+.-]*:/i.test(url) && !url.startsWith('/')) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw bad(`is not a valid URL: "${url}".`);
    }
    if (!STREAM_SCHEMES.has(parsed.protocol)) {
      throw bad(`has the scheme "${parsed.protocol.slice(0, -1)}"; accepted: rtsp://, rtsps://, http://, https://, /dev/videoN${allowFiles ? ' or a local file path' : ''}.`);
    }
    if (!parsed.hostname) throw bad(`has no host: "${url}".`);
    return url;
  }
  if (/^\/dev\/video\d+$/.test(url)) return url;
  if (url.startsWith('/dev/')) throw bad(`names the device "${url}"; only V4L2 cameras /dev/videoN are accepted.`);
  if (!allowFiles) {
    throw bad(`must be an rtsp://, rtsps://, http(s):// stream URL or /dev/videoN; local file paths are accepted only when the server allows them (buildServer option monitors.allowFiles).`);
  }
  if (!isAbsolute(url)) throw bad(`is a relative file path ("${url}"); give an absolute path.`);
  if (!existsSync(url) || !statSync(url).isFile()) throw bad(`names no file: "${url}" does not exist or is not a file.`);
  return url;
}

/** The URL without any password, for lists and logs (rtsp://user:secret@cam → rtsp://user:***@cam). */
export function redactCredentials(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@:]*:)[^/@]*@/i, '$1***@');
}
