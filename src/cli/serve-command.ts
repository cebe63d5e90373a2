import { availableParallelism } from 'node:os';
import { resolveDetectorName } from '../face-recognizer.js';
import { buildServer, checkBindSecurity } from '../server/server.js';
import { checkRedisUrl } from '../queue/redis-url.js';
import { parseCommandLine, parseIntegerOption, parseNumberOption, UsageError, type CommandContext } from './cli-support.js';

export const serveHelp = `Usage: facerec serve [options]

Runs the web app and REST API: enrol persons, identify photos, a live camera page,
and a gallery manager, at http://HOST:PORT/. The API is described at /api
(OpenAPI 3 at /api/v1/openapi.json); metrics for Prometheus at /api/v1/metrics.

Options:
  --db PATH|URL       gallery database (default ./facerec.db; created if missing),
                      or postgres://user:pass@host/db: a gallery shared by several
                      serve nodes, each kept in sync by LISTEN/NOTIFY (docs/scaling.md)
  --host ADDR         address to listen on (default 127.0.0.1). Any other address
                      requires the FACEREC_API_KEY environment variable: clients
                      then send it as the x-api-key header
  --port N            TCP port (default 8080; 0 picks a free one)
  --detector NAME     detector of the REST routes: accurate (default) or fast;
                      the live page defaults to fast
  --dataset-dir DIR   also save photos enrolled through the API as
                      DIR/<Name>/<timestamp>.jpg (face_recognition's layout)
  --max-body-mb N     largest request body / uploaded photo in MB (default 10)
  --rate-limit N      requests per minute per client on /api (default 600; 0 = off)
  --queue N           recognition requests that may wait before 503 (default 32)
  --threads N         ONNX Runtime threads (default: ${availableParallelism()}, all cores)
  --max-pixels N      refuse photos larger than N pixels (default 40000000)
  --ann-threshold N   from N enrolled faces on, identify searches an approximate
                      (HNSW) index kept in DB.ann.usearch, re-ranked exactly
                      (default 500000; 0 = always exact search)
  --allow-file-cameras  let the Cameras page (/api/v1/monitors) watch local video
                      files by absolute path, besides rtsp/http(s) streams and
                      /dev/videoN (off by default: API clients could read any
                      video file the server can open)
  --redis URL         Redis of the batch job queue (facerec enqueue/worker): shows
                      job progress at /jobs.html and GET /api/v1/jobs
  -h, --help          show this help

Environment:
  FACEREC_API_KEY     API key; when set, every /api request (and the live
                      WebSocket, via ?key=) without it gets 401

Examples:
  facerec serve                                   # http://127.0.0.1:8080/
  facerec serve --db people.db --dataset-dir known_people/
  facerec serve --db million.db --ann-threshold 100000
  facerec serve --db postgres://facerec:secret@db.lan/facerec --port 8081   # one of N nodes
  FACEREC_API_KEY=$(openssl rand -hex 24) facerec serve --host 0.0.0.0 --port 80
  curl -H 'content-type: image/jpeg' --data-binary @group.jpg http://127.0.0.1:8080/api/v1/identify
`;

const options = {
  db: { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  detector: { type: 'string' },
  model: { type: 'string' },
  'dataset-dir': { type: 'string' },
  'max-body-mb': { type: 'string' },
  'rate-limit': { type: 'string' },
  queue: { type: 'string' },
  threads: { type: 'string' },
  'max-pixels': { type: 'string' },
  'ann-threshold': { type: 'string' },
  'allow-file-cameras': { type: 'boolean' },
  redis: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function runServe(argv: string[], ctx: CommandContext, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { values, positionals } = parseCommandLine('serve', argv, options);
  if (values.help) {
    ctx.stdout.write(serveHelp);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`facerec serve: unexpected argument "${positionals[0]}" (see facerec serve --help)`);
  let detector;
  try {
    detector = resolveDetectorName(values.detector ?? values.model ?? 'accurate');
  } catch {
    throw new UsageError(`facerec serve: --detector expects accurate or fast, got "${values.detector ?? values.model}"`);
  }
  const host = values.host ?? '127.0.0.1';
  const port = parseIntegerOption('serve', 'port', values.port, 0, 65535) ?? 8080;
  const apiKey = env.FACEREC_API_KEY?.trim() || null;
  try {
    checkBindSecurity(host, apiKey);
  } catch (err) {
    throw new UsageError(`facerec serve: ${(err as Error).message}`);
  }
  const app = await buildServer({
    db: values.db ?? './facerec.db',
    host,
    apiKey,
    detector,
    datasetDir: values['dataset-dir'] ?? null,
    maxBodyMb: parseNumberOption('serve', 'max-body-mb', values['max-body-mb'], 0.1, 1024),
    rateLimit: parseIntegerOption('serve', 'rate-limit', values['rate-limit'], 0),
    queueLimit: parseIntegerOption('serve', 'queue', values.queue, 0, 10_000),
    threads: parseIntegerOption('serve', 'threads', values.threads, 1, 64),
    maxPixels: parseIntegerOption('serve', 'max-pixels', values['max-pixels'], 1),
    monitors: { allowFiles: values['allow-file-cameras'] ?? false },
    annThreshold: parseIntegerOption('serve', 'ann-threshold', values['ann-threshold'], 0),
    redis: values.redis !== undefined ? checkRedisUrl(values.redis) : null,
  });
  const address = await app.listen({ host, port });
  ctx.stderr.write(`facerec serve: listening on ${address} (API: ${address}/api${apiKey ? '; API key required' : ''})\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await app.close();
  return 0;
}
