/** POST /detect, /embed, /verify, /identify: one photo (two for verify) through the pipeline. */
import type { FastifyInstance } from 'fastify';
import type { DetectorKind } from '../detect/face-detector.js';
import { FacerecError } from '../errors.js';
import { euclideanDistance } from '../match/face-distance.js';
import { sha256Hex } from '../enroll/enroll.js';
import { unknownFacesOfImage } from '../identify/save-unknown.js';
import { distanceToConfidence } from '../match/face-index.js';
import type { FaceBox, Point } from '../types.js';
import { oneImage, readRequestImages } from './image-input.js';
import { analysePhoto, largestFace, type Analysis, type AnalyseOptions } from './pipeline.js';
import { box, candidate, detectorQuery, errors, IMAGE_BODY_NOTE, imageJsonBody, landmarks, toleranceQuery } from './schemas.js';
import type { ServerContext } from './server.js';
import { livenessOut, livenessQuery, maybeLiveness, wantsLiveness } from './liveness-api.js';
import { attributesOut, attributesQuery, maybeAttributes, wantsAttributes } from './attributes-api.js';

const r2 = (v: number) => Math.round(v * 100) / 100;
const r6 = (v: number) => Math.round(v * 1e6) / 1e6;
export const roundBox = (b: FaceBox): FaceBox => ({ top: r2(b.top), right: r2(b.right), bottom: r2(b.bottom), left: r2(b.left) });
export const pointPairs = (points: readonly Point[]) => points.map((p) => [r2(p.x), r2(p.y)]);
/** JSON has no Infinity: an empty gallery's distance is null. */
export const finiteOrNull = (v: number) => (Number.isFinite(v) ? r6(v) : null);

/** Runs the pipeline on the shared recognizer, through the bounded queue. */
export function analyse(ctx: ServerContext, detector: DetectorKind, bytes: Uint8Array, options: Omit<AnalyseOptions, 'maxPixels'>): Promise<Analysis> {
  return ctx.queue.run(async () => {
    const recognizer = await ctx.recognizers.get(detector);
    const result = await analysePhoto(recognizer, bytes, { ...options, maxPixels: ctx.maxPixels });
    ctx.metrics.inc('facerec_faces_processed_total', result.faces.length);
    return result;
  });
}

const faceBase = {
  box,
  score: { type: 'number' },
  landmarks,
} as const;

export function registerRecognitionRoutes(api: FastifyInstance, ctx: ServerContext): void {
  const detectorOf = (q: { detector?: DetectorKind }) => q.detector ?? ctx.detector;

  api.post(
    '/detect',
    {
      schema: {
        summary: 'Find the faces of a photo: boxes, scores, 68 landmarks',
        description: IMAGE_BODY_NOTE,
        tags: ['recognition'],
        querystring: { type: 'object', properties: { detector: detectorQuery, liveness: livenessQuery, attributes: attributesQuery } },
        body: imageJsonBody(['image'], { liveness: { type: 'boolean' }, attributes: { type: 'boolean' } }),
        response: {
          200: {
            type: 'object',
            properties: {
              width: { type: 'integer' },
              height: { type: 'integer' },
              detector: { type: 'string' },
              faces: { type: 'array', items: { type: 'object', properties: { ...faceBase, liveness: livenessOut, attributes: attributesOut }, required: ['box', 'score', 'landmarks'] } },
            },
            required: ['width', 'height', 'detector', 'faces'],
          },
          ...errors,
        },
      },
    },
    async (request) => {
      const detector = detectorOf(request.query as { detector?: DetectorKind });
      const bytes = oneImage(await readRequestImages(request, ['image']), 'image');
      const a = await analyse(ctx, detector, bytes, { label: 'image', encode: false });
      const live = await maybeLiveness(wantsLiveness(request), a.image, a.faces.map((f) => f.box));
      const attrs = await maybeAttributes(wantsAttributes(request), a.image, a.faces.map((f) => f.box));
      return {
        width: a.image.width,
        height: a.image.height,
        detector,
        faces: a.faces.map((f, i) => ({ box: roundBox(f.box), score: r6(f.score), landmarks: pointPairs(f.landmarks), liveness: live[i], attributes: attrs[i] })),
      };
    },
  );

  api.post(
    '/embed',
    {
      schema: {
        summary: 'Encode every face of a photo as 128 numbers',
        description: IMAGE_BODY_NOTE,
        tags: ['recognition'],
        querystring: { type: 'object', properties: { detector: detectorQuery } },
        body: imageJsonBody(['image']),
        response: {
          200: {
            type: 'object',
            properties: {
              width: { type: 'integer' },
              height: { type: 'integer' },
              modelId: { type: 'string' },
              faces: {
                type: 'array',
                items: { type: 'object', properties: { ...faceBase, encoding: { type: 'array', items: { type: 'number' } } }, required: ['box', 'score', 'landmarks', 'encoding'] },
              },
            },
            required: ['width', 'height', 'modelId', 'faces'],
          },
          ...errors,
        },
      },
    },
    async (request) => {
      const detector = detectorOf(request.query as { detector?: DetectorKind });
      const bytes = oneImage(await readRequestImages(request, ['image']), 'image');
      const a = await analyse(ctx, detector, bytes, { label: 'image' });
      return {
        width: a.image.width,
        height: a.image.height,
        modelId: ctx.modelId,
        faces: a.faces.map((f) => ({ box: roundBox(f.box), score: r6(f.score), landmarks: pointPairs(f.landmarks), encoding: Array.from(f.encoding ?? []) })),
      };
    },
  );

  api.post(
    '/verify',
    {
      schema: {
        summary: 'Are the largest faces of two photos the same person?',
        description:
          'Two images: multipart files `image1` and `image2`, or JSON `{"image1": "<base64>", "image2": "<base64>"}`. 422 NO_FACE names the image without a face.',
        tags: ['recognition'],
        querystring: { type: 'object', properties: { tolerance: toleranceQuery, detector: detectorQuery, liveness: livenessQuery } },
        body: imageJsonBody(['image1', 'image2'], { liveness: { type: 'boolean' } }),
        response: {
          200: {
            type: 'object',
            properties: {
              distance: { type: 'number' },
              same: { type: 'boolean', description: 'distance ≤ tolerance' },
              tolerance: { type: 'number' },
              confidence: { type: 'number', description: '0..1, 0.5 at the tolerance' },
              faces: { type: 'object', properties: { image1: box, image2: box }, required: ['image1', 'image2'] },
              liveness: { type: 'object', properties: { image1: livenessOut, image2: livenessOut }, description: 'present when liveness=true' },
            },
            required: ['distance', 'same', 'tolerance', 'confidence', 'faces'],
          },
          ...errors,
        },
      },
    },
    async (request) => {
      const q = request.query as { tolerance: number; detector?: DetectorKind };
      const detector = detectorOf(q);
      const images = await readRequestImages(request, ['image1', 'image2']);
      const bytes1 = oneImage(images, 'image1');
      const bytes2 = oneImage(images, 'image2');
      const faces: { box: FaceBox; encoding: Float32Array }[] = [];
      const withLiveness = wantsLiveness(request);
      const live: Record<string, unknown> = {};
      for (const [field, bytes] of [['image1', bytes1], ['image2', bytes2]] as const) {
        const a = await analyse(ctx, detector, bytes, { label: field });
        const face = largestFace(a.faces);
        if (!face?.encoding) throw new FacerecError('NO_FACE', `No face was found in "${field}"; verify needs one face in each image.`);
        faces.push({ box: face.box, encoding: face.encoding });
        if (withLiveness) live[field] = (await maybeLiveness(true, a.image, [face.box]))[0];
      }
      const distance = euclideanDistance(faces[0]!.encoding, faces[1]!.encoding);
      return {
        distance: r6(distance),
        same: distance <= q.tolerance,
        tolerance: q.tolerance,
        confidence: r6(distanceToConfidence(distance, q.tolerance)),
        faces: { image1: roundBox(faces[0]!.box), image2: roundBox(faces[1]!.box) },
        ...(withLiveness ? { liveness: live } : {}),
      };
    },
  );

  api.post(
    '/identify',
    {
      schema: {
        summary: 'Name every face of a photo against the gallery',
        description: `${IMAGE_BODY_NOTE} A face is named when its nearest enrolled face is within the tolerance; otherwise name is null.`,
        tags: ['recognition'],
        querystring: {
          type: 'object',
          properties: {
            topK: { type: 'integer', minimum: 1, maximum: 50, default: 3 },
            tolerance: toleranceQuery,
            detector: detectorQuery,
            liveness: livenessQuery,
            attributes: attributesQuery,
            saveUnknown: { type: 'boolean', default: false, description: 'store the faces no one matched as unknown faces (to cluster and name later: GET /unknown-faces)' },
          },
        },
        body: imageJsonBody(['image'], { liveness: { type: 'boolean' }, attributes: { type: 'boolean' } }),
        response: {
          200: {
            type: 'object',
            properties: {
              width: { type: 'integer' },
              height: { type: 'integer' },
              modelId: { type: 'string' },
              savedUnknown: { type: 'integer', description: 'with saveUnknown: how many unknown faces were stored' },
              faces: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    box,
                    score: { type: 'number' },
                    name: { type: ['string', 'null'] },
                    distance: { type: ['number', 'null'], description: 'to the nearest face of the answer (null: empty gallery)' },
                    confidence: { type: 'number' },
                    candidates: { type: 'array', items: candidate },
                    liveness: livenessOut,
                    attributes: attributesOut,
                  },
                  required: ['box', 'score', 'name', 'distance', 'confidence', 'candidates'],
                },
              },
            },
            required: ['width', 'height', 'modelId', 'faces'],
          },
          ...errors,
        },
      },
    },
    async (request) => {
      const q = request.query as { topK: number; tolerance: number; detector?: DetectorKind; saveUnknown?: boolean };
      const bytes = oneImage(await readRequestImages(request, ['image']), 'image');
      const a = await analyse(ctx, detectorOf(q), bytes, { label: 'image' });
      const ids = a.faces.map((f) => ctx.gallery.identify(f.encoding!, { tolerance: q.tolerance, topK: q.topK }));
      let savedUnknown: number | undefined;
      if (q.saveUnknown) {
        const unknown = await unknownFacesOfImage(a.image, a.faces.map((f, i) => ({ ...ids[i]!, box: f.box, score: f.score, encoding: f.encoding, landmarks: f.landmarks })), { path: null, sha256: sha256Hex(bytes) });
        savedUnknown = unknown.length > 0 ? new Set(await ctx.gallery.store.addUnknownFaces(unknown, ctx.modelId)).size : 0;
      }
      const live = await maybeLiveness(wantsLiveness(request), a.image, a.faces.map((f) => f.box));
      const attrs = await maybeAttributes(wantsAttributes(request), a.image, a.faces.map((f) => f.box));
      return {
        width: a.image.width,
        height: a.image.height,
        modelId: ctx.modelId,
        ...(savedUnknown !== undefined ? { savedUnknown } : {}),
        faces: a.faces.map((f, i) => {
          const id = ids[i]!;
          return {
            box: roundBox(f.box),
            score: r6(f.score),
            name: id.name,
            distance: finiteOrNull(id.distance),
            confidence: r6(id.confidence),
            candidates: id.candidates.map((c) => ({ name: c.name, distance: r6(c.distance) })),
            liveness: live[i],
            attributes: attrs[i],
          };
        }),
      };
    },
  );
}
