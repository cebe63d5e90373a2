import assert from 'node:assert/strict';
import { test } from 'node:test';
import { faceRecognitionLines, identificationAnnotations, knownFacesIdentifier, type FileIdentification, type IdentifiedFace } from './identify.js';

const box = { top: 1, right: 20, bottom: 20, left: 1 };
const face = (matches: { name: string; distance: number }[]): IdentifiedFace => ({
  box,
  score: 0.9,
  name: matches[0]?.name ?? null,
  distance: matches[0]?.distance ?? 0.8,
  confidence: 0.5,
  candidates: [],
  matches,
});

test('face_recognition CLI lines: a line per match, unknown_person, no_persons_found, None for missing distances', () => {
  const r: FileIdentification = { file: 'a.jpg', faces: [face([{ name: 'obama', distance: 0.41 }]), face([])] };
  assert.deepEqual(faceRecognitionLines(r), ['a.jpg,obama', 'a.jpg,unknown_person']);
  assert.deepEqual(faceRecognitionLines(r, true), ['a.jpg,obama,0.41', 'a.jpg,unknown_person,None']);
  assert.deepEqual(faceRecognitionLines({ file: 'b.png', faces: [] }, true), ['b.png,no_persons_found,None']);
  assert.deepEqual(faceRecognitionLines({ file: 'c.jpg', faces: [], error: { code: 'IMAGE_CORRUPT', message: 'x' } }), []);
  const two = face([
    { name: 'a', distance: 0.3 },
    { name: 'b', distance: 0.5 },
  ]);
  assert.deepEqual(faceRecognitionLines({ file: 'd.jpg', faces: [two] }), ['d.jpg,a', 'd.jpg,b']);
  assert.deepEqual(
    identificationAnnotations({ file: 'a.jpg', faces: [face([{ name: 'obama', distance: 0.4 }]), face([])] }).map((a) => [a.label, a.color]),
    [
      ['obama', '#22c55e'],
      ['Unknown', '#ef4444'],
    ],
  );
});

test('known faces: every known person within the tolerance is a match, in folder order; identify names the nearest', () => {
  const e = (v: number) => new Float32Array(128).fill(v);
  const id = knownFacesIdentifier(
    [
      { name: 'far', embedding: e(0.04) },
      { name: 'near', embedding: e(0.01) },
      { name: 'mid', embedding: e(0.03) },
    ],
    { tolerance: 0.4 },
  );
  // Distances from 0: 0.04·√128 ≈ 0.45, 0.01·√128 ≈ 0.11, 0.03·√128 ≈ 0.34.
  const r = id.identify(e(0));
  assert.equal(r.name, 'near');
  assert.deepEqual(r.matches.map((m) => m.name), ['near', 'mid']);
  assert.deepEqual(r.candidates.map((c) => c.name), ['near', 'mid', 'far']);
  assert.equal(id.identify(e(0.2)).name, null);
  assert.deepEqual(id.identify(e(0.2)).matches, []);
});
