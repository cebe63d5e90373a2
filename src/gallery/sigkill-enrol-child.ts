/**
 * Test helper (not a test): enrols batches of 5 faces in a loop into the gallery
 * at argv[2], printing "committed <n>" after each batch, until killed. Used by
 * sqlite-gallery-store.test.ts to SIGKILL it mid-transaction.
 */
import { MODEL_A, testFace } from './gallery-contract.js';
import { SqliteGalleryStore } from './sqlite-gallery-store.js';

const path = process.argv[2]!;
const start = Number(process.argv[3] ?? 0);
const store = await SqliteGalleryStore.open(path);
for (let i = start; ; i++) {
  // New persons and, every third batch, more faces for an existing one.
  const name = i % 3 === 2 ? `person ${i - 1}` : `person ${i}`;
  await store.addFaces(name, Array.from({ length: 5 }, (_, j) => testFace(i * 10 + j + 1)), MODEL_A);
  process.stdout.write(`committed ${i}\n`);
}
