/**
 * The reference implementation for parity tests and the benchmark peer:
 * @vladmandic/face-api with its original tfjs nets, on the pure-JS CPU backend
 * (parity) or the WASM backend (speed peer). Test/bench code only.
 */
import { createRequire } from 'node:module';
import { faceApiModelDir } from '../models/tfjs-weights.js';

const require = createRequire(import.meta.url);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type FaceApi = any;

let loaded: { faceapi: FaceApi; backend: string } | undefined;

/** Loads face-api with every net this project converts, on `backend` ('cpu' or 'wasm'). */
export async function loadFaceApiReference(backend: 'cpu' | 'wasm' = 'cpu'): Promise<FaceApi> {
  if (loaded) {
    if (loaded.backend !== backend) await loaded.faceapi.tf.setBackend(backend);
    loaded.backend = backend;
    return loaded.faceapi;
  }
  const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');
  await faceapi.tf.setBackend(backend);
  await faceapi.tf.ready();
  const dir = faceApiModelDir();
  await faceapi.nets.ssdMobilenetv1.loadFromDisk(dir);
  await faceapi.nets.tinyFaceDetector.loadFromDisk(dir);
  await faceapi.nets.faceLandmark68Net.loadFromDisk(dir);
  await faceapi.nets.faceLandmark68TinyNet.loadFromDisk(dir);
  await faceapi.nets.faceRecognitionNet.loadFromDisk(dir);
  loaded = { faceapi, backend };
  return faceapi;
}

/** An HWC uint8 RGB image as a tfjs int32 tensor3d, the form face-api's node demos pass. */
export function imageTensor(faceapi: FaceApi, image: { width: number; height: number; data: Uint8Array }) {
  return faceapi.tf.tensor3d(Int32Array.from(image.data), [image.height, image.width, 3], 'int32');
}
