/**
 * Images in requests, three ways: a multipart/form-data upload (file fields),
 * a raw body with an image content type, or JSON with base64 strings (a data:
 * URL prefix is accepted). Every failure names the field.
 */
import type { FastifyRequest } from 'fastify';
import { ApiError } from './api-error.js';

/** Content types accepted as a raw image body. */
export const RAW_IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/tiff', 'image/avif', 'application/octet-stream'] as const;

export interface RequestImages {
  /** Image bytes by field name, in upload order. */
  files: Map<string, Uint8Array[]>;
  /** Text fields (multipart) or string properties (JSON). */
  fields: Record<string, string>;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function decodeBase64Image(value: unknown, field: string): Uint8Array {
  if (typeof value !== 'string') throw new ApiError(400, 'BAD_REQUEST', `The body field "${field}" must be a base64 string of image bytes`);
  const b64 = value.replace(/^data:[^,]*;base64,/, '').replace(/\s+/g, '');
  if (b64.length === 0) throw new ApiError(400, 'BAD_REQUEST', `The body field "${field}" is empty: it must be base64 image bytes`);
  if (b64.length % 4 !== 0 || !BASE64.test(b64)) throw new ApiError(400, 'BAD_REQUEST', `The body field "${field}" is not valid base64`);
  return new Uint8Array(Buffer.from(b64, 'base64'));
}

function isMultipart(request: FastifyRequest): boolean {
  return typeof (request as { isMultipart?: () => boolean }).isMultipart === 'function' && (request as unknown as { isMultipart: () => boolean }).isMultipart();
}

/**
 * Reads the images of the named fields. `rawField`: the field a raw image body
 * counts as. Files of other fields are drained and ignored.
 */
export async function readRequestImages(request: FastifyRequest, imageFields: readonly string[], rawField = imageFields[0] ?? 'image'): Promise<RequestImages> {
  const files = new Map<string, Uint8Array[]>();
  const fields: Record<string, string> = {};
  const push = (field: string, bytes: Uint8Array) => files.set(field, [...(files.get(field) ?? []), bytes]);
  if (isMultipart(request)) {
    for await (const part of request.parts()) {
      if (part.type === 'file') {
        const bytes = await part.toBuffer();
        if (imageFields.includes(part.fieldname)) push(part.fieldname, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      } else if (typeof part.value === 'string') {
        fields[part.fieldname] = part.value;
      }
    }
    return { files, fields };
  }
  const body = request.body;
  if (Buffer.isBuffer(body)) {
    push(rawField, new Uint8Array(body.buffer, body.byteOffset, body.byteLength));
    return { files, fields };
  }
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
      if (imageFields.includes(key)) {
        if (Array.isArray(value)) value.forEach((v, i) => push(key, decodeBase64Image(v, `${key}[${i}]`)));
        else push(key, decodeBase64Image(value, key));
      } else if (typeof value === 'string') {
        fields[key] = value;
      }
    }
  }
  return { files, fields };
}

/** Exactly one image of `field`, or a 400 naming it. */
export function oneImage(images: RequestImages, field: string): Uint8Array {
  const list = images.files.get(field) ?? [];
  if (list.length === 0) {
    throw new ApiError(400, 'BAD_REQUEST', `The image field "${field}" is required: send it as a multipart file "${field}", a raw image body, or JSON {"${field}": "<base64>"}`);
  }
  if (list.length > 1) throw new ApiError(400, 'BAD_REQUEST', `The image field "${field}" was sent ${list.length} times; send exactly one image`);
  return list[0]!;
}
