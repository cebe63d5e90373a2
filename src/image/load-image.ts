import { readFile, stat } from 'node:fs/promises';
import sharp from 'sharp';
import { FacerecError } from '../errors.js';
import type { RgbImage } from '../types.js';

/** 40 megapixels: larger photos are refused unless the caller raises the limit. */
export const DEFAULT_MAX_PIXELS = 40_000_000;

export interface LoadImageOptions {
  /** Refuse images with more pixels than this (protects memory). Default 40 MP. */
  maxPixels?: number;
  /** Name to use in error messages when the input is a buffer. */
  label?: string;
}

const SUPPORTED = 'JPEG, PNG, WebP, GIF, TIFF or AVIF';

function megapixels(n: number): string {
  return `${(n / 1e6).toFixed(1)} MP`;
}

/**
 * Decodes a file path or encoded bytes into 8-bit RGB: EXIF orientation applied,
 * grayscale/16-bit/alpha converted (alpha flattened onto white), first frame of
 * animations. Every failure is a FacerecError that names the file.
 */
export async function loadImage(input: string | Uint8Array, options: LoadImageOptions = {}): Promise<RgbImage> {
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  const label = typeof input === 'string' ? input : (options.label ?? 'image buffer');
  let bytes: Uint8Array;
  if (typeof input === 'string') {
    try {
      const info = await stat(input);
      if (info.isDirectory()) throw new FacerecError('IMAGE_UNSUPPORTED', `Cannot read image "${label}": it is a folder, not an image file`);
      bytes = await readFile(input);
    } catch (err) {
      if (err instanceof FacerecError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new FacerecError('IMAGE_NOT_FOUND', `Cannot read image "${label}": no such file`, { cause: err });
      if (code === 'EACCES') throw new FacerecError('IO_ERROR', `Cannot read image "${label}": permission denied`, { cause: err });
      throw new FacerecError('IO_ERROR', `Cannot read image "${label}": ${(err as Error).message}`, { cause: err });
    }
  } else if (input instanceof Uint8Array) {
    bytes = input;
  } else {
    throw new FacerecError('INVALID_ARGUMENT', `Expected a file path or a Uint8Array/Buffer of encoded image bytes for image but received ${typeof input}`);
  }
  if (bytes.length === 0) throw new FacerecError('IMAGE_EMPTY', `Cannot read image "${label}": the file is empty (0 bytes)`);

  let width: number;
  let height: number;
  try {
    // Header only: refuse oversized images before decoding any pixels.
    const meta = await sharp(bytes, { limitInputPixels: false }).metadata();
    if (!meta.width || !meta.height) throw new Error('no dimensions');
    const rotated = (meta.orientation ?? 1) >= 5;
    width = rotated ? meta.height : meta.width;
    height = rotated ? meta.width : meta.height;
  } catch (err) {
    throw new FacerecError('IMAGE_UNSUPPORTED', `Cannot read image "${label}": not a ${SUPPORTED} image`, { cause: err });
  }
  if (width * height > maxPixels) {
    throw new FacerecError(
      'IMAGE_TOO_LARGE',
      `Cannot read image "${label}": ${width}×${height} is ${megapixels(width * height)}, over the ${megapixels(maxPixels)} limit (raise maxPixels / --max-pixels to allow it)`,
    );
  }
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: maxPixels, failOn: 'error', pages: 1 })
      .rotate()
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoder returned ${info.channels} channels`);
    return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), source: label };
  } catch (err) {
    throw new FacerecError('IMAGE_CORRUPT', `Cannot read image "${label}": the file is truncated or corrupt (${(err as Error).message.split('\n')[0]})`, {
      cause: err,
    });
  }
}
