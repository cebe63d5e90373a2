/**
 * A fake IP camera for monitor tests: a clip in which one known person and then
 * a stranger cross the picture (face crops of the npm sample photos), encoded
 * as MPEG-TS (streamable without seeking) and served over HTTP by a real local
 * server, so a monitor reads it exactly as it reads an http:// camera stream.
 */
import { createServer, type Server } from 'node:http';
import { readFile, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { FaceRecognizer } from '../face-recognizer.js';
import { loadImage } from '../image/load-image.js';
import { euclideanDistance } from '../match/face-distance.js';
import { syntheticFaces } from './test-datasets.js';
import { faceCard, writeClip } from './video-clip.js';

export interface CameraStream {
  /** http://127.0.0.1:PORT/camera.ts */
  url: string;
  /** A photo of the known person (another picture than the clip's), to enrol. */
  knownPhoto: Buffer;
  /** Requests served so far. */
  requests: () => number;
  close: () => Promise<void>;
}

/** Known person on screen 0–1.6 s, stranger 2.2–3.8 s, nobody until 4.4 s; 640×480 at 15 fps. */
export async function startCameraStream(dir: string, recognizer: FaceRecognizer): Promise<CameraStream> {
  const faces = await syntheticFaces(5);
  if (faces.length < 2) throw new Error(`two distinct sample faces are needed, found ${faces.length}`);
  // The stranger: the sample face least like the known one (some samples are look-alikes).
  const encode = async (jpeg: Buffer) => (await recognizer.detectFaces(await loadImage(jpeg)))[0]?.encoding;
  const known = faces[0]!;
  const knownEncoding = await encode(known.variants[0]!);
  if (!knownEncoding) throw new Error('no face in the known sample');
  let stranger = faces[1]!;
  let farthest = -1;
  for (const f of faces.slice(1)) {
    const e = await encode(f.variants[0]!);
    const d = e ? euclideanDistance(knownEncoding, e) : -1;
    if (d > farthest) [farthest, stranger] = [d, f];
  }
  const knownFile = join(dir, 'known-clip.jpg');
  const strangerFile = join(dir, 'stranger-clip.jpg');
  await writeFile(knownFile, known.variants[1]!); // mirrored: not the enrolled bytes
  await writeFile(strangerFile, stranger.variants[0]!);
  const [a, b] = [await faceCard(recognizer, knownFile, 180), await faceCard(recognizer, strangerFile, 180)];
  const clip = join(dir, 'camera.ts');
  await writeClip(clip, {
    width: 640,
    height: 480,
    fps: 15,
    seconds: 4.4,
    appearances: [
      { card: a, from: 0, to: 1.6, y: 120, x0: 60, x1: 300 },
      { card: b, from: 2.2, to: 3.8, y: 150, x0: 380, x1: 160 },
    ],
    codecArgs: ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '20', '-pix_fmt', 'yuv420p', '-f', 'mpegts'],
  });
  const bytes = await readFile(clip);
  let requests = 0;
  const server: Server = createServer((req, res) => {
    requests++;
    if (req.url !== '/camera.ts') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'video/mp2t', 'content-length': bytes.length });
    res.end(req.method === 'HEAD' ? undefined : bytes);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/camera.ts`,
    knownPhoto: known.variants[0]!,
    requests: () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
