/**
 * Camera monitors inside `facerec serve`: the store (the gallery's SQLite file
 * unless another MonitorStore is given), the manager running the video
 * sessions, and the server hooks — enabled monitors start when the server is
 * ready and stop (staying enabled) when it closes.
 */
import type { FastifyInstance } from 'fastify';
import type { FaceIndex } from '../../match/face-index.js';
import { runVideoSession } from '../../video/video-session.js';
import type { ServerContext } from '../server.js';
import { MonitorManager, type RunVideoSession } from './monitor-manager.js';
import type { MonitorStore } from './monitor-store.js';
import type { MonitorRouteOptions } from './routes-monitors.js';
import { SqliteMonitorStore } from './sqlite-monitor-store.js';

export { registerMonitorRoutes } from './routes-monitors.js';

export interface MonitorServerOptions {
  /** Where monitors are kept (not closed with the server). Default: tables in the gallery's SQLite file. */
  store?: MonitorStore;
  /** SQLite file for the monitor tables when `store` is not given (default: the gallery store's file). */
  db?: string;
  /** Accept local video file paths as monitor URLs (default false: API clients could make the server read files). */
  allowFiles?: boolean;
  /** Start enabled monitors when the server is ready (default true). */
  autostart?: boolean;
  /** The video engine (tests inject a fake). */
  runSession?: RunVideoSession;
  /** Events kept per monitor (default 200). */
  keepEvents?: number;
  retryDelayMs?: number;
  reconnectDelayMs?: number;
}

/** The gallery's database file when it is a SQLite file store, else null. */
function galleryFile(store: object): string | null {
  const path = (store as { path?: unknown }).path;
  return typeof path === 'string' && path !== '' && path !== ':memory:' && !path.includes('://') ? path : null;
}

/**
 * The server's gallery as the video sessions see it: searches go to the live
 * index of the GalleryService, so faces enrolled while a monitor runs are
 * recognised without restarting it.
 */
function liveGalleryIndex(ctx: ServerContext): FaceIndex {
  const view = {
    get size() {
      return ctx.gallery.faceCount;
    },
    identify: (encoding: Float32Array, options: { tolerance?: number; topK: number }) => ctx.gallery.identify(encoding, { tolerance: options.tolerance ?? 0.6, topK: options.topK }),
  };
  // The session only reads `size` and calls `identify` (src/video/track-identity.ts).
  return view as unknown as FaceIndex;
}

export async function setupMonitors(app: FastifyInstance, ctx: ServerContext, galleryStore: object, options: MonitorServerOptions = {}): Promise<MonitorRouteOptions> {
  let store = options.store;
  const ownStore = !store;
  if (!store) {
    const file = options.db ?? galleryFile(galleryStore);
    if (!file) app.log.warn('monitors: the gallery is not a SQLite file; monitors are kept in memory only (pass monitors.store or monitors.db to keep them)');
    store = SqliteMonitorStore.open(file ?? ':memory:');
  }
  const manager = new MonitorManager({
    store,
    gallery: () => ({ index: liveGalleryIndex(ctx), modelId: ctx.modelId }),
    recognizer: (detector) => ctx.recognizers.get(detector),
    runSession: options.runSession ?? runVideoSession,
    ...(options.keepEvents !== undefined ? { keepEvents: options.keepEvents } : {}),
    ...(options.retryDelayMs !== undefined ? { retryDelayMs: options.retryDelayMs } : {}),
    ...(options.reconnectDelayMs !== undefined ? { reconnectDelayMs: options.reconnectDelayMs } : {}),
    log: (message) => app.log.info(message),
  });
  if (options.autostart ?? true) {
    app.addHook('onReady', async () => {
      const n = await manager.restoreEnabled();
      if (n > 0) app.log.info(`monitors: started ${n} enabled monitor${n === 1 ? '' : 's'}`);
    });
  }
  // Before the recognizers are disposed (onClose): sessions end, MJPEG viewers are released.
  app.addHook('preClose', async () => manager.close());
  app.addHook('onClose', async () => {
    if (ownStore) await store.close();
  });
  return { manager, allowFiles: options.allowFiles ?? false };
}
