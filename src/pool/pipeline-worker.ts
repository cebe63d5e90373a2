/** Worker-thread entry: one FaceRecognizer per thread (1 ORT thread each), tasks by message. */
import { parentPort, workerData } from 'node:worker_threads';
import { FaceRecognizer } from '../face-recognizer.js';
import { runTask, type RecognizerConfig, type TaskMessage } from './pipeline-task.js';

const port = parentPort;
if (!port) throw new Error('pipeline-worker must run as a worker thread');

const config = workerData as RecognizerConfig;
const ready = FaceRecognizer.create({ ...config, threads: 1 });
ready.then(
  () => port.postMessage({ type: 'ready' }),
  (err: Error) => port.postMessage({ type: 'fatal', message: err.message }),
);

port.on('message', async (msg: TaskMessage | { type: 'close' }) => {
  if ('type' in msg) {
    await (await ready).dispose();
    port.close();
    return;
  }
  const recognizer = await ready;
  const result = await runTask(recognizer, msg);
  port.postMessage({ type: 'result', id: msg.id, result });
});
