/**
 * GET /api/v1/live: the WebSocket of the live camera page (protocol in
 * live-protocol.md). Binary messages are JPEG frames; each gets exactly one
 * reply: `result`, `dropped` (a newer frame arrived while the server was busy)
 * or `error`. At most one frame runs and one waits per connection: never an
 * unbounded queue.
 */
import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import type { DetectorKind } from '../detect/face-detector.js';
import { toApiError } from './api-error.js';
import { analyse, finiteOrNull, pointPairs, roundBox } from './routes-recognition.js';
import type { ServerContext } from './server.js';
import { maybeLiveness } from './liveness-api.js';

interface LiveConfig {
  detector: DetectorKind;
  tolerance: number;
  /** Score each face with the anti-spoofing models (optional package). */
  liveness: boolean;
}

const r2 = (v: number) => Math.round(v * 100) / 100;

function parseTolerance(v: unknown): number | undefined {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 && n <= 2 ? n : undefined;
}

function parseDetector(v: unknown): DetectorKind | undefined {
  return v === 'fast' || v === 'accurate' ? v : undefined;
}

export function registerLiveRoute(api: FastifyInstance, ctx: ServerContext): void {
  api.get(
    '/live',
    {
      websocket: true,
      schema: {
        summary: 'WebSocket: send JPEG frames, receive one JSON reply per frame (see live-protocol.md)',
        tags: ['live'],
        querystring: {
          type: 'object',
          properties: {
            detector: { type: 'string', enum: ['accurate', 'fast'], default: 'fast' },
            tolerance: { type: 'number', minimum: 0, maximum: 2, default: 0.6 },
            liveness: { type: 'boolean', default: false, description: 'add a liveness score to each face (see docs/liveness.md)' },
            key: { type: 'string', description: 'API key (browsers cannot set headers on WebSockets)' },
          },
        },
      },
    },
    (socket: WebSocket, request) => {
      const q = request.query as { detector?: DetectorKind; tolerance?: number; liveness?: boolean };
      const config: LiveConfig = { detector: q.detector ?? 'fast', tolerance: q.tolerance ?? 0.6, liveness: q.liveness === true };
      let frameNo = 0;
      let busy = false;
      let pending: { frame: number; bytes: Uint8Array } | null = null;
      const send = (msg: unknown) => {
        if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(msg));
      };

      const process = async (frame: number, bytes: Uint8Array): Promise<void> => {
        busy = true;
        const t0 = performance.now();
        try {
          const a = await analyse(ctx, config.detector, bytes, { label: `frame ${frame}` });
          const tm = performance.now();
          const faces = a.faces.map((f) => {
            const id = ctx.gallery.identify(f.encoding!, { tolerance: config.tolerance, topK: 1 });
            return { box: roundBox(f.box), landmarks: pointPairs(f.landmarks), name: id.name, distance: finiteOrNull(id.distance), confidence: r2(id.confidence * 100) / 100 };
          });
          const matchMs = performance.now() - tm;
          const tl = performance.now();
          const live = await maybeLiveness(config.liveness, a.image, a.faces.map((f) => f.box));
          const livenessMs = performance.now() - tl;
          faces.forEach((f, i) => {
            if (live[i]) Object.assign(f, { liveness: live[i] });
          });
          const t = a.timings;
          send({
            type: 'result',
            frame,
            width: a.image.width,
            height: a.image.height,
            faces,
            timings: {
              decodeMs: r2(t.decodeMs),
              detectMs: r2(t.detectMs),
              landmarksMs: r2(t.landmarksMs),
              encodeMs: r2(t.encodeMs),
              matchMs: r2(matchMs),
              ...(config.liveness ? { livenessMs: r2(livenessMs) } : {}),
              totalMs: r2(performance.now() - t0),
            },
            model: { detector: config.detector, encoder: ctx.modelId },
          });
        } catch (err) {
          const e = toApiError(err);
          if (e.statusCode >= 500 && e.code !== 'BUSY') request.log.error({ err }, 'live frame failed');
          send({ type: 'error', frame, error: { code: e.code, message: e.message } });
        } finally {
          busy = false;
        }
        const next = pending;
        pending = null;
        if (next && socket.readyState === socket.OPEN) void process(next.frame, next.bytes);
      };

      socket.on('message', (data, isBinary) => {
        if (!isBinary) {
          let msg: Record<string, unknown>;
          try {
            msg = JSON.parse(String(data)) as Record<string, unknown>;
          } catch {
            send({ type: 'error', frame: null, error: { code: 'BAD_REQUEST', message: 'Text messages must be JSON, e.g. {"type":"config","detector":"fast","tolerance":0.6}; frames are binary JPEG messages.' } });
            return;
          }
          if (msg?.type !== 'config') {
            send({ type: 'error', frame: null, error: { code: 'BAD_REQUEST', message: `Unknown message type ${JSON.stringify(msg?.type)}; the only text message is {"type":"config", …}.` } });
            return;
          }
          const detector = msg.detector === undefined ? config.detector : parseDetector(msg.detector);
          const tolerance = msg.tolerance === undefined ? config.tolerance : parseTolerance(msg.tolerance);
          if (msg.liveness !== undefined && typeof msg.liveness !== 'boolean') {
            send({ type: 'error', frame: null, error: { code: 'BAD_REQUEST', message: 'The config field "liveness" must be true or false.' } });
            return;
          }
          if (detector === undefined || tolerance === undefined) {
            const field = detector === undefined ? 'detector' : 'tolerance';
            const expected = field === 'detector' ? '"fast" or "accurate"' : 'a number from 0 to 2';
            send({ type: 'error', frame: null, error: { code: 'BAD_REQUEST', message: `The config field "${field}" must be ${expected}.` } });
            return;
          }
          config.detector = detector;
          config.tolerance = tolerance;
          if (typeof msg.liveness === 'boolean') config.liveness = msg.liveness;
          send({ type: 'config', detector, tolerance, ...(typeof msg.liveness === 'boolean' || config.liveness ? { liveness: config.liveness } : {}) });
          return;
        }
        const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
        const frame = ++frameNo;
        ctx.metrics.inc('facerec_live_frames_total');
        if (!busy) {
          void process(frame, new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
          return;
        }
        if (pending) {
          ctx.metrics.inc('facerec_live_frames_dropped_total');
          send({ type: 'dropped', frame: pending.frame });
        }
        pending = { frame, bytes: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength) };
      });
      socket.on('close', () => {
        pending = null;
      });
    },
  );
}
