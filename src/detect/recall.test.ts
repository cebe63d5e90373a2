/**
 * Detection recall on dlib's 43 hand-labelled faces (PASCAL VOC photos, many
 * faces ~37 px in 500-px images). dlib's boxes are square and tight, tighter
 * than either net's, so a face counts as found when a detection overlaps it
 * with IoU ≥ 0.4 (one detection per face) — that is what the assertion uses.
 * Centre-and-scale matching (centre within half a side, size within 2×) is
 * reported alongside. Needs ../shared/data (skipped with a message if absent).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import sharp from 'sharp';
import { boxIou, centreScaleMatch, countMatches, parseImglabXml, type LabelledImage } from './dlib-boxes.js';
import { FaceDetector, type DetectOptions, type DetectorKind } from './face-detector.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dataRoot = join(repoRoot, '..', 'shared', 'data', 'dlib_faces_detection');
const faceDir = [dataRoot, join(dataRoot, 'examples', 'faces')].find((d) => existsSync(join(d, 'training.xml')) && existsSync(join(d, 'testing.xml')));
const skip = faceDir ? false : `dlib face-detection data not found (looked for training.xml and testing.xml under ${dataRoot}); ../shared/data is absent on this machine`;

const IOU_MATCH = 0.4;

async function recall(kind: DetectorKind, images: LabelledImage[], options: DetectOptions) {
  const det = await FaceDetector.create(kind);
  let faces = 0;
  let byIou = 0;
  let byCentre = 0;
  let detections = 0;
  try {
    for (const im of images) {
      const { data, info } = await sharp(join(faceDir!, im.file)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      const found = await det.detect({ width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length), source: im.file }, options);
      const boxes = found.map((f) => f.box);
      faces += im.boxes.length;
      detections += found.length;
      byIou += countMatches(im.boxes, boxes, (t, d) => boxIou(t, d) >= IOU_MATCH);
      byCentre += countMatches(im.boxes, boxes, centreScaleMatch);
    }
  } finally {
    await det.dispose();
  }
  return { faces, detections, byIou, byCentre, text: `${kind} ${JSON.stringify(options)}: IoU≥${IOU_MATCH} ${byIou}/${faces} (${((100 * byIou) / faces).toFixed(1)}%), centre+scale ${byCentre}/${faces} (${((100 * byCentre) / faces).toFixed(1)}%), ${detections} detections` };
}

function labelled(): LabelledImage[] {
  const images = [...parseImglabXml(join(faceDir!, 'training.xml')), ...parseImglabXml(join(faceDir!, 'testing.xml'))];
  assert.equal(images.reduce((n, im) => n + im.boxes.length, 0), 43, 'the dlib set labels 43 faces');
  return images;
}

test('accurate detector finds ≥ 90% of the dlib-labelled faces (IoU ≥ 0.4)', { skip }, async (t) => {
  const images = labelled();
  const r = await recall('accurate', images, {});
  t.diagnostic(r.text);
  assert.ok(r.byIou / r.faces >= 0.9, r.text);
  const up = await recall('accurate', images, { upsample: 2 });
  t.diagnostic(up.text);
  assert.ok(up.byIou >= r.byIou, `upsampling should not lose faces: ${up.text}`);
});

test('fast detector recall on the dlib-labelled faces (reported)', { skip }, async (t) => {
  const images = labelled();
  for (const options of [{}, { inputSize: 608 }, { upsample: 2 }]) t.diagnostic((await recall('fast', images, options)).text);
});
