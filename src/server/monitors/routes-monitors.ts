/**
 * /api/v1/monitors: camera monitors (stream URL → video session with tracking),
 * their state, recent events, and the annotated preview as the latest JPEG or
 * an MJPEG stream (multipart/x-mixed-replace, for a plain <img src>).
 */
import { PassThrough } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../api-error.js';
import { errors, idParam } from '../schemas.js';
import type { MonitorManager } from './monitor-manager.js';
import type { MonitorDetector, MonitorEventRecord, MonitorRecord } from './monitor-store.js';
import { checkMonitorUrl, redactCredentials } from './monitor-url.js';

const PREFIX = '/api/v1/monitors';
const BOUNDARY = 'facerec-frame';

export interface MonitorRouteOptions {
  manager: MonitorManager;
  /** Accept local video file paths as monitor URLs (tests, trusted setups). */
  allowFiles: boolean;
}

const statusOut = {
  type: 'object',
  properties: {
    state: { type: 'string', enum: ['stopped', 'connecting', 'running', 'reconnecting'] },
    lastError: { type: 'string', nullable: true },
    frames: { type: 'integer' },
    lastFrameAt: { type: 'string', nullable: true },
    width: { type: 'integer', nullable: true },
    height: { type: 'integer', nullable: true },
  },
  required: ['state', 'lastError', 'frames'],
} as const;

const monitorOut = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    name: { type: 'string' },
    url: { type: 'string', description: 'the stream URL with any password masked' },
    detector: { type: 'string', enum: ['fast', 'accurate'] },
    enabled: { type: 'boolean', description: 'enabled monitors run, and restart with the server' },
    createdAt: { type: 'string' },
    status: statusOut,
    preview: { type: 'string', description: 'MJPEG stream of the annotated frames' },
    previewJpeg: { type: 'string', description: 'the latest annotated frame' },
    events: { type: 'string' },
  },
  required: ['id', 'name', 'url', 'detector', 'enabled', 'createdAt', 'status'],
} as const;

const eventOut = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    trackId: { type: 'integer' },
    person: { type: 'string', nullable: true, description: 'null: unknown person' },
    firstSeenAt: { type: 'string' },
    lastSeenAt: { type: 'string' },
    framesSeen: { type: 'integer' },
    bestDistance: { type: 'number', nullable: true },
    thumbnail: { type: 'string', nullable: true },
  },
  required: ['id', 'trackId', 'person', 'firstSeenAt', 'lastSeenAt', 'framesSeen', 'bestDistance', 'thumbnail'],
} as const;

export function registerMonitorRoutes(api: FastifyInstance, { manager, allowFiles }: MonitorRouteOptions): void {
  const monitorJson = (m: MonitorRecord) => ({
    id: m.id,
    name: m.name,
    url: redactCredentials(m.url),
    detector: m.detector,
    enabled: m.enabled,
    createdAt: m.createdAt,
    status: manager.status(m.id),
    preview: `${PREFIX}/${m.id}/preview.mjpg`,
    previewJpeg: `${PREFIX}/${m.id}/preview.jpg`,
    events: `${PREFIX}/${m.id}/events`,
  });
  const eventJson = (e: MonitorEventRecord) => ({
    id: e.id,
    trackId: e.trackId,
    person: e.person,
    firstSeenAt: e.firstSeenAt,
    lastSeenAt: e.lastSeenAt,
    framesSeen: e.framesSeen,
    bestDistance: e.bestDistance,
    thumbnail: e.hasThumbnail ? `${PREFIX}/${e.monitorId}/events/${e.id}/thumbnail` : null,
  });
  const monitorOr404 = async (id: number) => {
    const m = await manager.get(id);
    if (!m) throw new ApiError(404, 'NOT_FOUND', `There is no monitor with id ${id} (path parameter "id").`);
    return m;
  };
  const tags = ['monitors'];

  api.get(
    '/monitors',
    { schema: { summary: 'List the camera monitors and their state', tags, response: { 200: { type: 'object', properties: { monitors: { type: 'array', items: monitorOut } }, required: ['monitors'] }, ...errors } } },
    async () => ({ monitors: (await manager.list()).map(monitorJson) }),
  );

  api.post(
    '/monitors',
    {
      schema: {
        summary: 'Add a camera monitor (and start it unless enabled is false)',
        description: `\`url\`: rtsp://, rtsps://, http(s):// stream or /dev/videoN${allowFiles ? ', or an absolute path of a local video file (this server allows files)' : '; local file paths are refused unless the server allows them'}.`,
        tags,
        body: {
          type: 'object',
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 100 },
            url: { type: 'string', minLength: 1, maxLength: 2000 },
            detector: { type: 'string', enum: ['fast', 'accurate'], default: 'fast' },
            enabled: { type: 'boolean', default: true },
          },
          required: ['name', 'url'],
          additionalProperties: false,
        },
        response: { 201: monitorOut, ...errors },
      },
    },
    async (request, reply) => {
      const body = request.body as { name: string; url: string; detector: MonitorDetector; enabled: boolean };
      const name = body.name.trim();
      if (name === '') throw new ApiError(400, 'BAD_REQUEST', 'The body field "name" is blank; give the camera a name.');
      const url = checkMonitorUrl(body.url, allowFiles);
      const m = await manager.create({ name, url, detector: body.detector, enabled: body.enabled });
      void reply.status(201);
      return monitorJson(m);
    },
  );

  api.get(
    '/monitors/:id',
    { schema: { summary: 'One monitor and its state', tags, params: idParam, response: { 200: monitorOut, ...errors } } },
    async (request) => monitorJson(await monitorOr404((request.params as { id: number }).id)),
  );

  api.delete(
    '/monitors/:id',
    { schema: { summary: 'Stop and delete a monitor and its events', tags, params: idParam, response: { 204: { type: 'null' }, ...errors } } },
    async (request, reply) => {
      const { id } = request.params as { id: number };
      await monitorOr404(id);
      await manager.delete(id);
      void reply.status(204);
    },
  );

  api.post(
    '/monitors/:id/start',
    { schema: { summary: 'Enable and start a monitor', tags, params: idParam, response: { 200: monitorOut, ...errors } } },
    async (request) => {
      const { id } = request.params as { id: number };
      await monitorOr404(id);
      return monitorJson(await manager.start(id));
    },
  );

  api.post(
    '/monitors/:id/stop',
    { schema: { summary: 'Stop and disable a monitor (its open tracks become events)', tags, params: idParam, response: { 200: monitorOut, ...errors } } },
    async (request) => {
      const { id } = request.params as { id: number };
      await monitorOr404(id);
      return monitorJson(await manager.stop(id));
    },
  );

  api.get(
    '/monitors/:id/events',
    {
      schema: {
        summary: 'Recent events of a monitor (one per face track, newest first)',
        tags,
        params: idParam,
        querystring: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 1000, default: 50 } } },
        response: { 200: { type: 'object', properties: { events: { type: 'array', items: eventOut } }, required: ['events'] }, ...errors },
      },
    },
    async (request) => {
      const { id } = request.params as { id: number };
      const { limit } = request.query as { limit: number };
      await monitorOr404(id);
      return { events: (await manager.events(id, limit)).map(eventJson) };
    },
  );

  api.get(
    '/monitors/:id/events/:eventId/thumbnail',
    {
      schema: {
        summary: 'The face crop of an event (JPEG)',
        tags,
        params: { type: 'object', properties: { id: { type: 'integer', minimum: 1 }, eventId: { type: 'integer', minimum: 1 } }, required: ['id', 'eventId'] },
        produces: ['image/jpeg'],
        response: { 200: { type: 'string', format: 'binary' }, ...errors },
      },
    },
    async (request, reply) => {
      const { id, eventId } = request.params as { id: number; eventId: number };
      const jpeg = await manager.store.eventThumbnail(id, eventId);
      if (!jpeg) throw new ApiError(404, 'NOT_FOUND', `Monitor ${id} has no event ${eventId} with a thumbnail (path parameter "eventId").`);
      void reply.type('image/jpeg').header('cache-control', 'private, max-age=3600');
      return Buffer.from(jpeg);
    },
  );

  api.get(
    '/monitors/:id/preview.jpg',
    {
      schema: {
        summary: 'The latest annotated frame of a running monitor (JPEG)',
        tags,
        params: idParam,
        produces: ['image/jpeg'],
        response: { 200: { type: 'string', format: 'binary' }, ...errors },
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: number };
      await monitorOr404(id);
      const jpeg = manager.latestJpeg(id);
      if (!jpeg) throw new ApiError(404, 'NOT_FOUND', `Monitor ${id} has no frame yet (state: ${manager.status(id).state}).`);
      void reply.type('image/jpeg').header('cache-control', 'no-store');
      return Buffer.from(jpeg);
    },
  );

  api.get(
    '/monitors/:id/preview.mjpg',
    {
      schema: {
        summary: 'The annotated frames as an MJPEG stream (multipart/x-mixed-replace), for <img src>',
        description: 'Starts with the latest frame; ends when the monitor stops. 409 when the monitor is not running.',
        tags,
        params: idParam,
        produces: [`multipart/x-mixed-replace; boundary=${BOUNDARY}`],
        response: { 200: { type: 'string', format: 'binary' }, ...errors },
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: number };
      await monitorOr404(id);
      const stream = new PassThrough();
      const part = (jpeg: Uint8Array) => {
        // A slow viewer skips frames instead of buffering them without bound.
        if (stream.writableLength > 4 * 1024 * 1024) return;
        stream.write(`--${BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: ${jpeg.length}\r\n\r\n`);
        stream.write(jpeg);
        stream.write('\r\n');
      };
      const unsubscribe = manager.subscribe(id, { frame: part, end: () => stream.end() });
      if (!unsubscribe) throw new ApiError(409, 'BAD_REQUEST', `Monitor ${id} is not running; start it with POST ${PREFIX}/${id}/start.`);
      reply.raw.on('close', () => {
        unsubscribe();
        stream.end();
      });
      const latest = manager.latestJpeg(id);
      if (latest) part(latest);
      void reply.type(`multipart/x-mixed-replace; boundary=${BOUNDARY}`).header('cache-control', 'no-store').header('x-accel-buffering', 'no');
      return reply.send(stream);
    },
  );
}
