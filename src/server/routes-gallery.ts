/**
 * Persons and faces. A person always has at least one face (the store's rule),
 * so a person is CREATED by enrolling photos: POST /persons with a name and ≥ 1
 * photo. POST /persons/{name}/faces adds photos to an existing person.
 * Each photo contributes one face: its only face, or its largest face with a
 * warning when it shows several. Photos without a usable face are reported in
 * `skipped`; when no photo could be enrolled the request fails (422, or 409 when
 * every photo was already enrolled, or the photo's own error for a single photo).
 * Uploaded photos are never stored, except as the enrolled face's thumbnail and,
 * with --dataset-dir, as the enrolled photo's copy.
 */
import type { FastifyInstance } from 'fastify';
import { DEFAULT_MIN_QUALITY, sha256Hex } from '../enroll/enroll.js';
import { faceQuality } from '../quality/face-quality.js';
import { FacerecError } from '../errors.js';
import type { FaceRecord, NewFace, PersonRecord } from '../gallery/gallery-store.js';
import { ApiError, toApiError } from './api-error.js';
import { readRequestImages } from './image-input.js';
import { faceThumbnail, largestFace, placeholderThumbnail } from './pipeline.js';
import { analyse, roundBox } from './routes-recognition.js';
import { enrolOut, errors, faceOut, idParam, nameParam, personOut } from './schemas.js';
import type { ServerContext } from './server.js';

const PREFIX = '/api/v1';
export const thumbnailUrl = (faceId: number) => `${PREFIX}/faces/${faceId}/thumbnail`;

type SkipReason = 'no-face' | 'unreadable' | 'duplicate' | 'too-large' | 'low-quality';
interface Skipped {
  photo: number;
  reason: SkipReason;
  code: string;
  message: string;
}

function faceJson(f: FaceRecord) {
  return {
    id: f.id,
    person: f.personName,
    createdAt: f.createdAt,
    thumbnail: thumbnailUrl(f.id),
    hasThumbnail: Boolean(f.thumbnail && f.thumbnail.length > 0),
    quality: f.quality,
    box: f.box ? roundBox(f.box) : null,
  };
}

export function registerGalleryRoutes(api: FastifyInstance, ctx: ServerContext): void {
  // The oldest face (smallest id) stands for the person.
  const personJson = (p: PersonRecord, first = ctx.gallery.firstFaces()) => {
    const id = first.get(p.name);
    return { name: p.name, faceCount: p.faceCount, createdAt: p.createdAt, thumbnail: id === undefined ? null : thumbnailUrl(id) };
  };

  /** Photos → faces (in the queue), then one locked gallery write. */
  async function enrol(name: string, photos: readonly Uint8Array[], mode: 'create' | 'append') {
    if (photos.length === 0) {
      throw new ApiError(400, 'BAD_REQUEST', 'The image field "image" is required: send one or more photos as multipart files "image", or JSON {"image": "<base64>"} / {"images": ["<base64>", …]}.');
    }
    // Cheap checks before any recognition work.
    const existing = await ctx.gallery.getPerson(name);
    if (mode === 'create' && existing) throw new FacerecError('ALREADY_EXISTS', `A person named "${existing.name}" already exists; add photos with POST ${PREFIX}/persons/{name}/faces.`);
    if (mode === 'append' && !existing) throw new FacerecError('NOT_FOUND', `There is no person named "${name.trim()}" (path parameter "name"); create one with POST ${PREFIX}/persons.`);

    const skipped: Skipped[] = [];
    const warnings: string[] = [];
    const faces: NewFace[] = [];
    const kept: Uint8Array[] = [];
    const errorsByPhoto: ApiError[] = [];
    for (const [i, bytes] of photos.entries()) {
      const label = photos.length === 1 ? 'image' : `image[${i}]`;
      try {
        const sha = sha256Hex(bytes);
        const a = await analyse(ctx, ctx.detector, bytes, { label });
        const face = largestFace(a.faces);
        if (!face?.encoding) throw new FacerecError('NO_FACE', `No face was found in "${label}"; enrolment needs a photo with one face.`);
        if (a.faces.length > 1) warnings.push(`"${label}" shows ${a.faces.length} faces; the largest one was enrolled.`);
        // The quality gate of `facerec enroll` (default --min-quality), with the reasons in the answer.
        const q = face.landmarks?.length === 68 ? faceQuality(a.image, face.box, face.landmarks) : null;
        if (q && q.score < DEFAULT_MIN_QUALITY) {
          throw new FacerecError('LOW_QUALITY', `The face in "${label}" is too poor to enrol (quality ${q.score.toFixed(2)}, minimum ${DEFAULT_MIN_QUALITY}): ${q.reasons.join('; ') || 'several small defects'}. Use a sharper, larger, frontal, well-lit photo.`);
        }
        faces.push({ embedding: face.encoding, sourcePath: null, sourceSha256: sha, box: face.box, landmarks: face.landmarks, quality: q ? q.score : null, thumbnail: await faceThumbnail(a.image, face.box) });
        kept.push(bytes);
      } catch (err) {
        const e = toApiError(err);
        if (e.statusCode >= 500 || e.statusCode === 503) throw err;
        errorsByPhoto.push(e);
        skipped.push({ photo: i, reason: e.code === 'NO_FACE' ? 'no-face' : e.code === 'LOW_QUALITY' ? 'low-quality' : e.code === 'IMAGE_TOO_LARGE' ? 'too-large' : 'unreadable', code: e.code, message: e.message });
      }
    }
    if (faces.length === 0) {
      if (photos.length === 1 && errorsByPhoto[0]) throw errorsByPhoto[0];
      throw new FacerecError('NO_FACE', `None of the ${photos.length} photos could be enrolled: ${skipped.map((s) => s.message).join(' ')}`);
    }
    const result = await ctx.gallery.addFaces(name, faces, kept, mode);
    const dups = new Set(result.duplicates);
    faces.forEach((f, i) => {
      if (f.sourceSha256 && dups.has(f.sourceSha256)) {
        const photo = photos.indexOf(kept[i]!);
        skipped.push({ photo, reason: 'duplicate', code: 'ALREADY_EXISTS', message: `Photo ${photo} is already enrolled (the same bytes).` });
      }
    });
    skipped.sort((a, b) => a.photo - b.photo);
    if (result.added.length === 0) {
      throw new FacerecError('ALREADY_EXISTS', `Nothing was enrolled: ${photos.length === 1 ? 'the photo is' : 'every usable photo is'} already enrolled (the same bytes).`);
    }
    return { person: personJson(result.person), added: result.added.map(faceJson), skipped, warnings: [...warnings, ...result.warnings] };
  }

  const photosOf = async (request: Parameters<typeof readRequestImages>[0]) => {
    const images = await readRequestImages(request, ['image', 'images']);
    return { photos: [...(images.files.get('image') ?? []), ...(images.files.get('images') ?? [])], fields: images.fields };
  };

  const enrolBody = {
    content: {
      'application/json': {
        schema: {
          type: 'object',
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 800 },
            image: { type: 'string', description: 'base64 photo' },
            images: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 10, description: 'base64 photos' },
          },
        },
      },
    },
  } as const;

  api.get(
    '/persons',
    {
      schema: {
        summary: 'List the persons of the gallery',
        tags: ['gallery'],
        response: { 200: { type: 'object', properties: { persons: { type: 'array', items: personOut } }, required: ['persons'] }, ...errors },
      },
    },
    async () => {
      const first = ctx.gallery.firstFaces();
      return { persons: (await ctx.gallery.listPersons()).map((p) => personJson(p, first)) };
    },
  );

  api.post(
    '/persons',
    {
      schema: {
        summary: 'Create a person by enrolling ≥ 1 photo',
        description:
          'multipart/form-data with a text field `name` and one or more files `image` (≤ 10), or JSON `{"name": "…", "image": "<base64>"}` / `{"name": "…", "images": ["<base64>", …]}`. 409 if the name is taken. Each photo must show one face (else its largest face is enrolled, with a warning).',
        tags: ['gallery'],
        body: enrolBody,
        response: { 201: enrolOut, ...errors },
      },
    },
    async (request, reply) => {
      const { photos, fields } = await photosOf(request);
      if (typeof fields.name !== 'string' || fields.name.trim() === '') throw new ApiError(400, 'BAD_REQUEST', 'The body field "name" is required: the person\u2019s name.');
      const out = await enrol(fields.name, photos, 'create');
      void reply.status(201);
      return out;
    },
  );

  api.patch(
    '/persons/:name',
    {
      schema: {
        summary: 'Rename a person',
        description: '409 if the new name is taken (merge instead).',
        tags: ['gallery'],
        params: nameParam,
        body: { type: 'object', properties: { name: { type: 'string', minLength: 1, maxLength: 800 } }, required: ['name'], additionalProperties: false },
        response: { 200: personOut, ...errors },
      },
    },
    async (request) => {
      const { name } = request.params as { name: string };
      const body = request.body as { name: string };
      return personJson(await ctx.gallery.renamePerson(name, body.name));
    },
  );

  api.post(
    '/persons/:name/merge',
    {
      schema: {
        summary: 'Move every face of a person into another person and delete the first',
        tags: ['gallery'],
        params: nameParam,
        body: { type: 'object', properties: { into: { type: 'string', minLength: 1, maxLength: 800 } }, required: ['into'], additionalProperties: false },
        response: { 200: personOut, ...errors },
      },
    },
    async (request) => {
      const { name } = request.params as { name: string };
      const { into } = request.body as { into: string };
      return personJson(await ctx.gallery.mergePersons(name, into));
    },
  );

  api.delete(
    '/persons/:name',
    {
      schema: { summary: 'Delete a person and all their faces', tags: ['gallery'], params: nameParam, response: { 204: { type: 'null' }, ...errors } },
    },
    async (request, reply) => {
      const { name } = request.params as { name: string };
      await ctx.gallery.deletePerson(name);
      void reply.status(204);
    },
  );

  api.get(
    '/persons/:name/faces',
    {
      schema: {
        summary: 'List a person\u2019s enrolled faces, oldest first',
        tags: ['gallery'],
        params: nameParam,
        response: { 200: { type: 'object', properties: { faces: { type: 'array', items: faceOut } }, required: ['faces'] }, ...errors },
      },
    },
    async (request) => {
      const { name } = request.params as { name: string };
      return { faces: (await ctx.gallery.listFaces(name)).map(faceJson) };
    },
  );

  api.post(
    '/persons/:name/faces',
    {
      schema: {
        summary: 'Enrol more photos of an existing person',
        description:
          'One or more photos: multipart files `image` (≤ 10), a raw image body, or JSON `{"image": "<base64>"}` / `{"images": [...]}`. 404 if the person does not exist (create with POST /persons). Returns the added face ids and the skipped photos with reasons.',
        tags: ['gallery'],
        params: nameParam,
        body: enrolBody,
        response: { 201: enrolOut, ...errors },
      },
    },
    async (request, reply) => {
      const { name } = request.params as { name: string };
      const { photos } = await photosOf(request);
      const out = await enrol(name, photos, 'append');
      void reply.status(201);
      return out;
    },
  );

  api.get(
    '/faces/:id/thumbnail',
    {
      schema: {
        summary: 'The face\u2019s JPEG thumbnail (a grey placeholder when none was stored)',
        tags: ['gallery'],
        params: idParam,
        produces: ['image/jpeg'],
        response: { 200: { type: 'string', format: 'binary' }, ...errors },
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: number };
      const face = await ctx.gallery.getFace(id);
      const jpeg = face.thumbnail && face.thumbnail.length > 0 ? Buffer.from(face.thumbnail) : await placeholderThumbnail();
      void reply
        .type('image/jpeg')
        .header('cache-control', 'private, max-age=300')
        .header('x-thumbnail', face.thumbnail ? 'stored' : 'placeholder');
      return jpeg;
    },
  );

  api.delete(
    '/faces/:id',
    {
      schema: {
        summary: 'Delete one face (deleting a person\u2019s last face deletes the person)',
        tags: ['gallery'],
        params: idParam,
        response: { 204: { type: 'null' }, ...errors },
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: number };
      await ctx.gallery.deleteFace(id);
      void reply.status(204);
    },
  );
}
