/**
 * `facerec serve`'s HTTP server: fastify with JSON schemas on every route, the
 * REST API under /api/v1 (OpenAPI at /api/v1/openapi.json, a readable list at
 * /api), the live WebSocket at /api/v1/live, Prometheus metrics, and the web
 * pages of src/server/public at /.
 *
 * buildServer() returns the app WITHOUT listening: tests use app.inject().
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { availableParallelism } from 'node:os';
import fastifyMultipart from '@fastify/multipart';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type { DetectorKind } from '../detect/face-detector.js';
import { embeddingModelId } from '../encode/embedding-model-id.js';
import { DEFAULT_ENCODE_OPTIONS } from '../face-recognizer.js';
import { FacerecError } from '../errors.js';
import type { GalleryStore } from '../gallery/gallery-store.js';
import { SqliteGalleryStore } from '../gallery/sqlite-gallery-store.js';
import { isPostgresUrl, openGalleryDb } from '../enroll/gallery-db.js';
import { DEFAULT_MAX_PIXELS } from '../image/load-image.js';
import { ApiError, toApiError } from './api-error.js';
import { apiPageHtml } from './api-page.js';
import { GalleryService } from './gallery-service.js';
import { registerLiveRoute } from './live.js';
import { registerMonitorRoutes, setupMonitors, type MonitorServerOptions } from './monitors/monitors.js';
import { Metrics } from './metrics.js';
import { RecognitionQueue, RecognizerSet } from './recognition-queue.js';
import { registerGalleryRoutes } from './routes-gallery.js';
import { registerRecognitionRoutes } from './routes-recognition.js';
import { registerUnknownRoutes } from './routes-unknown.js';
import { registerJobRoutes } from './routes-jobs.js';
import { registerStaticRoutes, resolvePublicDir } from './static-files.js';
import { RAW_IMAGE_TYPES } from './image-input.js';
import { errors } from './schemas.js';

export interface ServerOptions {
  /** Gallery database path (default ./facerec.db); ignored when `store` is given. */
  db?: string;
  /** An open store to use instead of `db` (not closed with the server). */
  store?: GalleryStore;
  /** The address the server will listen on; anything but loopback requires `apiKey`. Default 127.0.0.1. */
  host?: string;
  /** When set, every /api request must carry it (x-api-key header, Authorization: Bearer, or ?key=). */
  apiKey?: string | null;
  /** Default detector of the REST routes (default 'accurate'); the live route defaults to 'fast'. */
  detector?: DetectorKind;
  /** Also write photos enrolled through the API to DIR/<Name>/<timestamp>.jpg. */
  datasetDir?: string | null;
  /** Largest request body / uploaded file in MB (default 10). */
  maxBodyMb?: number;
  /** Requests per minute per client on /api (default 600; 0 = no limit). */
  rateLimit?: number;
  /** Recognition jobs that may wait for the recognizer before requests get 503 (default 32). */
  queueLimit?: number;
  /** ONNX Runtime threads (default: all cores). Ignored when `recognizers` is given. */
  threads?: number;
  /** Shared recognizers (not disposed with the server); tests share one set between apps. */
  recognizers?: RecognizerSet;
  maxPixels?: number;
  /** fastify/pino logger option (default: info level to stdout; false for none). */
  logger?: boolean | Record<string, unknown>;
  /** Folder of the web pages (default: src/server/public, found from src/ or dist/). */
  publicDir?: string;
  /** Camera monitors (the Cameras page): store, file inputs, video engine. */
  monitors?: MonitorServerOptions;
  /** Redis of the batch job queue (facerec enqueue/worker): enables GET /api/v1/jobs and the Jobs page. */
  redis?: string | null;
  /** Faces from which identify uses the ANN index (default 500,000; 0 = always exact). */
  annThreshold?: number;
  /** Where the ANN index is persisted (default: `<db>.ann.usearch` beside the SQLite file; in memory only for a given `store`). */
  annPath?: string | null;
}

export interface ServerContext {
  gallery: GalleryService;
  queue: RecognitionQueue;
  recognizers: RecognizerSet;
  metrics: Metrics;
  detector: DetectorKind;
  modelId: string;
  maxPixels: number;
  maxBodyBytes: number;
  startedAt: number;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost', '::ffff:127.0.0.1']);

export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Throws unless the host/key combination is allowed: binding beyond loopback needs an API key. */
export function checkBindSecurity(host: string, apiKey: string | null | undefined): void {
  if (!isLoopback(host) && !apiKey) {
    throw new FacerecError(
      'INVALID_ARGUMENT',
      `Refusing to listen on ${host} without an API key: anyone on the network could read and change the gallery. Set FACEREC_API_KEY (clients then send it as the x-api-key header), or bind to 127.0.0.1.`,
    );
  }
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** Constant-time comparison of a presented key with the expected one (equal-length sha256 digests). */
export function keyMatches(presented: string | undefined, expected: string): boolean {
  if (typeof presented !== 'string') return false;
  return timingSafeEqual(digest(presented), digest(expected));
}

function presentedKey(request: FastifyRequest): string | undefined {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string') return header;
  const auth = request.headers.authorization;
  if (typeof auth === 'string' && /^Bearer /i.test(auth)) return auth.slice(7).trim();
  const q = request.query as Record<string, unknown> | undefined;
  if (q && typeof q.key === 'string') return q.key;
  return undefined;
}

/** The request URL with any ?key= value masked, for logs. */
export function redactUrl(url: string): string {
  return url.replace(/([?&]key=)[^&]*/gi, '$1***');
}

export async function buildServer(options: ServerOptions = {}): Promise<FastifyInstance> {
  const host = options.host ?? '127.0.0.1';
  const apiKey = options.apiKey || null;
  checkBindSecurity(host, apiKey);
  const detector = options.detector ?? 'accurate';
  const maxBodyBytes = Math.round((options.maxBodyMb ?? 10) * 1024 * 1024);
  const rateLimit = options.rateLimit ?? 600;
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  const modelId = embeddingModelId(DEFAULT_ENCODE_OPTIONS);

  const app = Fastify({
    bodyLimit: maxBodyBytes,
    logger:
      options.logger === false
        ? false
        : {
            level: 'info',
            ...(typeof options.logger === 'object' ? options.logger : {}),
            serializers: {
              req: (req: { method: string; url: string; ip?: string }) => ({ method: req.method, url: redactUrl(req.url), remoteAddress: req.ip }),
            },
          },
    ajv: { customOptions: { coerceTypes: true, removeAdditional: false, useDefaults: true, allErrors: false } },
  });

  const ownStore = !options.store;
  const dbPath = options.db ?? './facerec.db';
  const store = options.store ?? (isPostgresUrl(dbPath) ? await openGalleryDb(dbPath, { create: true }) : await SqliteGalleryStore.open(dbPath));
  const ownRecognizers = !options.recognizers;
  const recognizers = options.recognizers ?? new RecognizerSet(options.threads ?? availableParallelism());
  let gallery: GalleryService;
  try {
    gallery = await GalleryService.open(store, modelId, options.datasetDir ?? null, (err) => app.log.error({ err }, 'dataset copy failed'), {
      ...(options.annThreshold !== undefined ? { threshold: options.annThreshold } : {}),
      // A PostgreSQL gallery has no file to keep the ANN index beside: in memory, kept in sync by the change feed.
      path: options.annPath !== undefined ? options.annPath : ownStore && !isPostgresUrl(dbPath) ? `${dbPath}.ann.usearch` : null,
      log: (message) => app.log.warn(message),
    });
  } catch (err) {
    if (ownStore) await store.close();
    throw err;
  }
  const ctx: ServerContext = {
    gallery,
    queue: new RecognitionQueue(options.queueLimit ?? 32),
    recognizers,
    metrics: new Metrics(),
    detector,
    modelId,
    maxPixels,
    maxBodyBytes,
    startedAt: Date.now(),
  };

  app.addHook('onClose', async () => {
    if (ownRecognizers) await recognizers.dispose();
    await gallery.close();
    if (ownStore) await store.close();
  });
  // A PostgreSQL gallery keeps the cameras in the same database (every node sees them), not in a SQLite file.
  let monitorOptions = options.monitors;
  if (ownStore && isPostgresUrl(dbPath) && !options.monitors?.store && !options.monitors?.db) {
    const { PgMonitorStore } = await import('./monitors/pg-monitor-store.js');
    const pgMonitors = await PgMonitorStore.open(dbPath);
    app.addHook('onClose', async () => pgMonitors.close());
    monitorOptions = { ...options.monitors, store: pgMonitors };
  }
  const monitors = await setupMonitors(app, ctx, store, monitorOptions);

  // Errors: one shape, statuses from ApiError; internals only in the log.
  app.setErrorHandler((err, request, reply) => {
    const api = toApiError(err);
    if (api.statusCode >= 500) request.log.error({ err }, 'request failed');
    else request.log.info({ code: api.code, message: api.message }, 'request refused');
    if (api.statusCode === 429 || api.statusCode === 503) reply.header('retry-after', api.statusCode === 503 ? '1' : reply.getHeader('retry-after') ?? '60');
    void reply.status(api.statusCode).type('application/json; charset=utf-8').send(api.toJSON());
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send(new ApiError(404, 'NOT_FOUND', `There is no route ${request.method} ${redactUrl(request.url.split('?')[0] ?? '')}; see /api for the API.`).toJSON());
  });

  // Raw image bodies; plain text is not an accepted body (415).
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser([...RAW_IMAGE_TYPES], { parseAs: 'buffer', bodyLimit: maxBodyBytes }, (_req, body, done) => done(null, body));

  // Metrics for every request.
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    ctx.metrics.observeRequest(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
  });

  // API key on /api (pages under / are public files; their scripts send the key).
  if (apiKey) {
    app.addHook('onRequest', async (request) => {
      if (!request.url.startsWith('/api')) return;
      if (!keyMatches(presentedKey(request), apiKey)) {
        throw new ApiError(401, 'UNAUTHORIZED', 'A valid API key is required: send it as the x-api-key header (or Authorization: Bearer KEY, or ?key=KEY).');
      }
    });
  }

  if (rateLimit > 0) {
    await app.register(fastifyRateLimit, {
      global: true,
      max: rateLimit,
      timeWindow: 60_000,
      allowList: (request) => !request.url.startsWith('/api'),
      errorResponseBuilder: (_request, context) => {
        const e = new ApiError(429, 'RATE_LIMITED', `Too many requests: at most ${context.max} per minute per client; retry in ${Math.ceil(context.ttl / 1000)} s.`);
        return e as unknown as object;
      },
    });
  }
  await app.register(fastifyMultipart, { limits: { fileSize: maxBodyBytes, files: 10, fields: 20, fieldSize: 64 * 1024, parts: 40 } });
  await app.register(fastifyWebsocket, { options: { maxPayload: maxBodyBytes } });
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'facerec API',
        version: '1',
        description:
          'Self-hosted face recognition (face_recognition on ONNX Runtime). Errors are `{error: {code, message}}`. When the server has an API key, send it as the `x-api-key` header.',
      },
      components: { securitySchemes: { apiKey: { type: 'apiKey', name: 'x-api-key', in: 'header' } } },
      ...(apiKey ? { security: [{ apiKey: [] }] } : {}),
    },
  });

  await app.register(
    async (api) => {
      api.get(
        '/health',
        {
          schema: {
            summary: 'Server status, gallery size and models',
            tags: ['system'],
            response: {
              200: {
                type: 'object',
                properties: {
                  status: { type: 'string' },
                  persons: { type: 'integer' },
                  faces: { type: 'integer' },
                  modelId: { type: 'string' },
                  detector: { type: 'string' },
                  uptime: { type: 'number', description: 'seconds' },
                  queue: { type: 'object', properties: { running: { type: 'integer' }, waiting: { type: 'integer' }, maxWaiting: { type: 'integer' } } },
                },
                required: ['status', 'persons', 'faces', 'modelId', 'detector', 'uptime'],
              },
              ...errors,
            },
          },
        },
        async () => ({
          status: 'ok',
          persons: ctx.gallery.personCount,
          faces: ctx.gallery.faceCount,
          modelId: ctx.modelId,
          detector: ctx.detector,
          uptime: Math.round((Date.now() - ctx.startedAt) / 100) / 10,
          queue: ctx.queue.stats(),
        }),
      );
      api.get(
        '/metrics',
        {
          schema: {
            summary: 'Prometheus metrics (text exposition format)',
            tags: ['system'],
            produces: ['text/plain'],
            response: { 200: { type: 'string' }, ...errors },
          },
        },
        async (_request, reply) => {
          const q = ctx.queue.stats();
          void reply.type('text/plain; version=0.0.4; charset=utf-8');
          return ctx.metrics.render({
            facerec_gallery_persons: { help: 'Persons in the gallery.', value: ctx.gallery.personCount },
            facerec_gallery_faces: { help: 'Faces in the gallery (and its search index).', value: ctx.gallery.faceCount },
            facerec_queue_waiting: { help: 'Recognition jobs waiting for the recognizer.', value: q.waiting },
            facerec_queue_running: { help: 'Recognition jobs running.', value: q.running },
            facerec_queue_rejected_total: { help: 'Requests refused with 503 because the queue was full.', value: q.rejected },
            facerec_uptime_seconds: { help: 'Seconds since the server started.', value: (Date.now() - ctx.startedAt) / 1000 },
          });
        },
      );
      api.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
      registerRecognitionRoutes(api, ctx);
      registerGalleryRoutes(api, ctx);
      registerUnknownRoutes(api, ctx);
      registerLiveRoute(api, ctx);
      registerMonitorRoutes(api, monitors);
      registerJobRoutes(api, options.redis);
    },
    { prefix: '/api/v1' },
  );

  app.get('/api', { schema: { hide: true } }, async (_request, reply) => {
    void reply.type('text/html; charset=utf-8');
    return apiPageHtml(app.swagger() as Parameters<typeof apiPageHtml>[0]);
  });
  registerStaticRoutes(app, options.publicDir ?? resolvePublicDir());
  return app;
}
