/**
 * Unknown faces: faces identification did not name (saved with identify
 * --save-unknown or the identify route's `saveUnknown`), grouped by the labels of
 * the last clustering (facerec cluster --unknown, or POST /unknown-faces/cluster).
 * Naming a cluster enrols its faces as a person (one transaction) and removes
 * them from the unknown list.
 */
import type { FastifyInstance } from 'fastify';
import { clusterUnknownFaces } from '../cluster/cluster-photos.js';
import { FacerecError } from '../errors.js';
import type { UnknownFaceRecord } from '../gallery/gallery-store.js';
import { placeholderThumbnail } from './pipeline.js';
import { errors, idParam } from './schemas.js';
import type { ServerContext } from './server.js';

const PREFIX = '/api/v1';
const unknownThumbnailUrl = (id: number) => `${PREFIX}/unknown-faces/${id}/thumbnail`;

const unknownFaceOut = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    thumbnail: { type: 'string' },
    quality: { type: ['number', 'null'] },
    sourcePath: { type: ['string', 'null'] },
    createdAt: { type: 'string' },
  },
  required: ['id', 'thumbnail', 'quality', 'createdAt'],
} as const;

const unknownFaceJson = (f: UnknownFaceRecord) => ({ id: f.id, thumbnail: unknownThumbnailUrl(f.id), quality: f.quality, sourcePath: f.sourcePath, createdAt: f.createdAt });

const nameBody = { type: 'object', properties: { name: { type: 'string', minLength: 1, maxLength: 800 } }, required: ['name'], additionalProperties: false } as const;
const namedOut = {
  type: 'object',
  properties: {
    person: { type: 'object', properties: { name: { type: 'string' }, faceCount: { type: 'integer' } }, required: ['name', 'faceCount'] },
    added: { type: 'integer', description: 'faces enrolled' },
    duplicates: { type: 'integer', description: 'faces whose photo already gave the gallery a face (one face per photo): removed from the unknown list, not enrolled' },
  },
  required: ['person', 'added', 'duplicates'],
} as const;

export function registerUnknownRoutes(api: FastifyInstance, ctx: ServerContext): void {
  const store = ctx.gallery.store;

  api.get(
    '/unknown-faces',
    {
      schema: {
        summary: 'Unknown faces grouped by cluster (largest first), then the unclustered ones',
        tags: ['unknown'],
        response: {
          200: {
            type: 'object',
            properties: {
              total: { type: 'integer' },
              clusters: { type: 'array', items: { type: 'object', properties: { id: { type: 'integer' }, size: { type: 'integer' }, faces: { type: 'array', items: unknownFaceOut } }, required: ['id', 'size', 'faces'] } },
              unclustered: { type: 'array', items: unknownFaceOut },
            },
            required: ['total', 'clusters', 'unclustered'],
          },
          ...errors,
        },
      },
    },
    async () => {
      const faces = await store.listUnknownFaces();
      const groups = new Map<number, UnknownFaceRecord[]>();
      for (const f of faces) if (f.clusterId !== null) groups.set(f.clusterId, [...(groups.get(f.clusterId) ?? []), f]);
      return {
        total: faces.length,
        clusters: [...groups.entries()].sort((a, b) => b[1].length - a[1].length || a[0] - b[0]).map(([id, fs]) => ({ id, size: fs.length, faces: fs.map(unknownFaceJson) })),
        unclustered: faces.filter((f) => f.clusterId === null).map(unknownFaceJson),
      };
    },
  );

  api.post(
    '/unknown-faces/cluster',
    {
      schema: {
        summary: 'Cluster the unknown faces now (Chinese Whispers) and save the labels',
        tags: ['unknown'],
        body: { type: ['object', 'null'], properties: { threshold: { type: 'number', exclusiveMinimum: 0, maximum: 2, default: 0.5 } }, additionalProperties: false },
        response: { 200: { type: 'object', properties: { faces: { type: 'integer' }, clusters: { type: 'integer' }, noise: { type: 'integer' }, sizes: { type: 'array', items: { type: 'integer' } } }, required: ['faces', 'clusters'] }, ...errors },
      },
    },
    async (request) => {
      const threshold = (request.body as { threshold?: number } | null)?.threshold ?? 0.5;
      return clusterUnknownFaces(store, { threshold });
    },
  );

  api.get(
    '/unknown-faces/:id/thumbnail',
    {
      schema: { summary: 'An unknown face\u2019s JPEG thumbnail', tags: ['unknown'], params: idParam, produces: ['image/jpeg'], response: { 200: { type: 'string', format: 'binary' }, ...errors } },
    },
    async (request, reply) => {
      const { id } = request.params as { id: number };
      const face = (await store.listUnknownFaces()).find((f) => f.id === id);
      if (!face) throw new FacerecError('NOT_FOUND', `There is no unknown face with id ${id} (path parameter "id").`);
      void reply.type('image/jpeg').header('cache-control', 'private, max-age=300');
      return face.thumbnail && face.thumbnail.length > 0 ? Buffer.from(face.thumbnail) : await placeholderThumbnail();
    },
  );

  api.post(
    '/unknown-clusters/:id/name',
    {
      schema: {
        summary: 'Name a cluster of unknown faces: its faces are enrolled as that person (new or existing) and leave the unknown list',
        tags: ['unknown'],
        params: { type: 'object', properties: { id: { type: 'integer', minimum: 0 } }, required: ['id'] },
        body: nameBody,
        response: { 200: namedOut, ...errors },
      },
    },
    async (request) => {
      const { id } = request.params as { id: number };
      const { name } = request.body as { name: string };
      const ids = (await store.listUnknownFaces()).filter((f) => f.clusterId === id).map((f) => f.id);
      if (ids.length === 0) throw new FacerecError('NOT_FOUND', `There is no cluster ${id} of unknown faces (path parameter "id"); list them with GET ${PREFIX}/unknown-faces.`);
      const r = await ctx.gallery.enrolUnknownFaces(ids, name);
      return { person: { name: r.person.name, faceCount: r.person.faceCount }, added: r.added.length, duplicates: r.duplicates.length };
    },
  );

  api.post(
    '/unknown-faces/:id/name',
    {
      schema: { summary: 'Name one unknown face (an unclustered one, say)', tags: ['unknown'], params: idParam, body: nameBody, response: { 200: namedOut, ...errors } },
    },
    async (request) => {
      const { id } = request.params as { id: number };
      const { name } = request.body as { name: string };
      const r = await ctx.gallery.enrolUnknownFaces([id], name);
      return { person: { name: r.person.name, faceCount: r.person.faceCount }, added: r.added.length, duplicates: r.duplicates.length };
    },
  );

  api.delete(
    '/unknown-faces/:id',
    { schema: { summary: 'Forget one unknown face', tags: ['unknown'], params: idParam, response: { 204: { type: 'null' }, ...errors } } },
    async (request, reply) => {
      const { id } = request.params as { id: number };
      await store.deleteUnknownFaces([id]);
      void reply.status(204);
      return null;
    },
  );
}
