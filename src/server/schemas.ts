/** JSON schemas of the REST API (validation, response serialisation and the OpenAPI document). */

export const errorBody = {
  type: 'object',
  description: 'Every error: a stable code and one sentence naming the field.',
  properties: {
    error: {
      type: 'object',
      properties: { code: { type: 'string' }, message: { type: 'string' } },
      required: ['code', 'message'],
    },
  },
  required: ['error'],
} as const;

export const errors = { '4xx': errorBody, '5xx': errorBody } as const;

export const box = {
  type: 'object',
  properties: { top: { type: 'number' }, right: { type: 'number' }, bottom: { type: 'number' }, left: { type: 'number' } },
  required: ['top', 'right', 'bottom', 'left'],
} as const;

export const landmarks = {
  type: 'array',
  description: '68 points [x, y] in iBUG-300W order',
  items: { type: 'array', items: { type: 'number' }, minItems: 2, maxItems: 2 },
} as const;

export const candidate = {
  type: 'object',
  properties: { name: { type: 'string' }, distance: { type: 'number' } },
  required: ['name', 'distance'],
} as const;

export const detectorQuery = { type: 'string', enum: ['accurate', 'fast'], description: 'detector for this request (default: the server\u2019s --detector)' } as const;
export const toleranceQuery = { type: 'number', minimum: 0, maximum: 2, default: 0.6, description: 'largest distance that counts as the same person' } as const;

export const IMAGE_BODY_NOTE =
  'The image is sent as a multipart/form-data file field `image`, as the raw body with an image Content-Type (image/jpeg, image/png, image/webp, image/gif, image/tiff, image/avif, application/octet-stream), or as JSON `{"image": "<base64>"}`.';

/** Body schema: validated for JSON only; multipart and raw image bodies are read by the handler. */
export function imageJsonBody(fields: readonly string[], extra: Record<string, unknown> = {}, required: readonly string[] = fields) {
  return {
    content: {
      'application/json': {
        schema: {
          type: 'object',
          properties: {
            ...Object.fromEntries(fields.map((f) => [f, { type: 'string', description: 'base64 image bytes (a data: URL prefix is accepted)' }])),
            ...extra,
          },
          required: [...required],
        },
      },
    },
  } as const;
}

export const personOut = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    faceCount: { type: 'integer' },
    createdAt: { type: 'string' },
    thumbnail: { type: ['string', 'null'], description: 'URL of the oldest face\u2019s thumbnail' },
  },
  required: ['name', 'faceCount', 'createdAt', 'thumbnail'],
} as const;

export const faceOut = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    person: { type: 'string' },
    createdAt: { type: 'string' },
    thumbnail: { type: 'string', description: 'URL of the face\u2019s JPEG thumbnail' },
    hasThumbnail: { type: 'boolean', description: 'false: the thumbnail URL serves a grey placeholder' },
    quality: { type: ['number', 'null'], description: 'quality score of the enrolled face, 0–1 (size, sharpness, pose, exposure; src/quality); null when not measured' },
    box: { anyOf: [box, { type: 'null' }] },
  },
  required: ['id', 'person', 'createdAt', 'thumbnail', 'hasThumbnail', 'quality'],
} as const;

export const enrolOut = {
  type: 'object',
  properties: {
    person: personOut,
    added: { type: 'array', items: faceOut },
    skipped: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          photo: { type: 'integer', description: '0-based index of the photo in the request' },
          reason: { type: 'string', enum: ['no-face', 'unreadable', 'duplicate', 'too-large', 'low-quality'] },
          code: { type: 'string' },
          message: { type: 'string' },
        },
        required: ['photo', 'reason', 'code', 'message'],
      },
    },
    warnings: { type: 'array', items: { type: 'string' } },
  },
  required: ['person', 'added', 'skipped', 'warnings'],
} as const;

export const nameParam = {
  type: 'object',
  properties: { name: { type: 'string', minLength: 1, maxLength: 800 } },
  required: ['name'],
} as const;

export const idParam = {
  type: 'object',
  properties: { id: { type: 'integer', minimum: 1 } },
  required: ['id'],
} as const;
