/**
 * The server's ONE error type, ApiError, and the mapping of everything else onto
 * it: FacerecError codes, fastify's own errors (schema validation, body limits,
 * content types), plugin errors (multipart, rate limit). The body of every error
 * response is `{error: {code, message}}`; the message names the field. Anything
 * unexpected becomes a 500 INTERNAL whose message hides the details (they go to
 * the log only).
 */
import { FacerecError, type FacerecErrorCode } from '../errors.js';

export type ApiErrorCode =
  | FacerecErrorCode
  | 'BAD_REQUEST'
  | 'UNAUTHORIZED'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'RATE_LIMITED'
  | 'BUSY'
  | 'INTERNAL';

export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: ApiErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ApiError';
  }

  toJSON(): { error: { code: string; message: string } } {
    return { error: { code: this.code, message: this.message } };
  }
}

/** HTTP status of each FacerecError code. */
const FACEREC_STATUS: Record<FacerecErrorCode, number> = {
  INVALID_ARGUMENT: 400,
  IMAGE_EMPTY: 400,
  IMAGE_NOT_FOUND: 400,
  IMAGE_UNSUPPORTED: 415,
  IMAGE_CORRUPT: 415,
  IMAGE_TOO_LARGE: 422,
  NO_FACE: 422,
  LOW_QUALITY: 422,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  MODEL_MISMATCH: 409,
  IO_ERROR: 500,
  DATABASE_ERROR: 500,
  UNAVAILABLE: 503,
  VIDEO_CORRUPT: 422,
};

export const INTERNAL_MESSAGE = 'Internal server error; the details are in the server log.';

interface ValidationItem {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** Rewords a JSON-schema validation error so it names the field: `querystring field "topK" must be integer`. */
function validationMessage(items: readonly ValidationItem[], context: string | undefined): string {
  const where = context ?? 'request';
  const first = items[0];
  if (!first) return `Invalid ${where}`;
  const path = (first.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
  const missing = typeof first.params?.missingProperty === 'string' ? first.params.missingProperty : undefined;
  if (first.keyword === 'required' && missing) {
    return `The ${where} field "${path ? `${path}.` : ''}${missing}" is required`;
  }
  if (first.keyword === 'additionalProperties' && typeof first.params?.additionalProperty === 'string') {
    return `The ${where} field "${path ? `${path}.` : ''}${first.params.additionalProperty}" is not allowed`;
  }
  if (first.keyword === 'enum' && Array.isArray(first.params?.allowedValues)) {
    return `The ${where} field "${path}" must be one of ${first.params.allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  if (!path) return `The ${where} ${first.message ?? 'is invalid'}`;
  return `The ${where} field "${path}" ${first.message ?? 'is invalid'}`;
}

/** Maps any thrown value to an ApiError (status, code, safe message). */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof FacerecError) {
    const status = FACEREC_STATUS[err.code] ?? 500;
    // The database is down or slow: a retryable 503, without the server's database address (that goes to the log).
    if (err.code === 'UNAVAILABLE') return new ApiError(503, 'UNAVAILABLE', 'The gallery database is unreachable right now; try again shortly.', { cause: err });
    if (status >= 500) return new ApiError(500, 'INTERNAL', INTERNAL_MESSAGE, { cause: err });
    // The store names its database file; clients need not learn server paths.
    return new ApiError(status, err.code, err.message.replace(/ in the gallery "[^"]*"/g, ''), { cause: err });
  }
  const e = (err ?? {}) as { code?: unknown; statusCode?: unknown; message?: unknown; validation?: unknown; validationContext?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  const message = typeof e.message === 'string' ? e.message : '';
  if (Array.isArray(e.validation)) {
    return new ApiError(400, 'BAD_REQUEST', validationMessage(e.validation as ValidationItem[], typeof e.validationContext === 'string' ? e.validationContext : undefined), { cause: err });
  }
  switch (code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
    case 'FST_REQ_FILE_TOO_LARGE':
    case 'FST_FILES_LIMIT':
    case 'FST_PARTS_LIMIT':
    case 'FST_FIELDS_LIMIT':
      return new ApiError(413, 'PAYLOAD_TOO_LARGE', `The request body is too large: ${message.replace(/\.$/, '')}.`, { cause: err });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError(
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        'The request body must be an image (Content-Type image/jpeg, image/png, image/webp, …), multipart/form-data with an "image" file, or JSON {"image": "<base64>"}.',
        { cause: err },
      );
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
    case 'FST_PROTO_VIOLATION':
      return new ApiError(400, 'BAD_REQUEST', message || 'Bad request', { cause: err });
  }
  if (err instanceof SyntaxError || code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return new ApiError(400, 'BAD_REQUEST', `The body is not valid JSON: ${message}`, { cause: err });
  }
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500;
  if (status === 404) return new ApiError(404, 'NOT_FOUND', message || 'Not found', { cause: err });
  if (status === 413) return new ApiError(413, 'PAYLOAD_TOO_LARGE', message || 'The request body is too large', { cause: err });
  if (status === 415) return new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', message || 'Unsupported media type', { cause: err });
  if (status === 429) return new ApiError(429, 'RATE_LIMITED', message || 'Too many requests', { cause: err });
  if (status >= 400 && status < 500 && code.startsWith('FST_')) return new ApiError(status, 'BAD_REQUEST', message, { cause: err });
  return new ApiError(500, 'INTERNAL', INTERNAL_MESSAGE, { cause: err });
}
