/**
 * The gallery as the server sees it: a GalleryStore and an in-memory FaceIndex
 * kept in sync, in-process, with every change. Every write (store + index +
 * dataset folder) runs under ONE lock, in arrival order, so concurrent clients
 * can neither lose nor duplicate faces, and a search never sees the index half
 * updated (searches are synchronous: they run between writes).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import sharp from 'sharp';
import { FacerecError } from '../errors.js';
import type { AddFacesResult, FaceRecord, GalleryStore, GalleryUpdate, NewFace, PersonRecord } from '../gallery/gallery-store.js';
import { normalizePersonName } from '../gallery/gallery-validation.js';
import { FaceIndex, type Identification } from '../match/face-index.js';
import type { GalleryAnnOptions } from '../identify/identify.js';

/** One lock: each call runs after every earlier call has settled. */
export class Mutex {
  #tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(fn, fn);
    this.#tail = result.catch(() => undefined);
    return result;
  }
}

/**
 * A person name as a folder name: NFC, only letters, digits, space, dot, dash
 * and underscore (anything else becomes "_"), no leading dots or spaces, at most
 * 100 characters; never "." or "..". Names are data: this is only for the
 * optional dataset copy.
 */
export function safeFolderName(name: string): string {
  let s = name
    .normalize('NFC')
    .replace(/[^\p{L}\p{N} ._-]/gu, '_')
    .replace(/^[ .]+|[ .]+$/g, '');
  s = [...s].slice(0, 100).join('');
  if (s === '' || /^\.+$/.test(s)) s = '_';
  return s;
}

export class GalleryService {
  readonly #lock = new Mutex();
  readonly #faceOwner = new Map<number, string>();
  #index: FaceIndex;
  #sequence = 0;
  #stopWatching: (() => Promise<void>) | null = null;

  private constructor(
    readonly store: GalleryStore,
    readonly modelId: string,
    readonly datasetDir: string | null,
    readonly onError: (err: unknown) => void,
    index: FaceIndex,
    records: readonly FaceRecord[],
  ) {
    this.#index = index;
    for (const r of records) this.#faceOwner.set(r.id, r.personName);
  }

  /** Loads the store's faces into a FaceIndex; MODEL_MISMATCH if the gallery holds faces of another model. */
  static async open(
    store: GalleryStore,
    modelId: string,
    datasetDir: string | null = null,
    onError: (err: unknown) => void = () => {},
    ann: GalleryAnnOptions = {},
  ): Promise<GalleryService> {
    const stored = await store.modelId();
    if (stored !== null && stored !== modelId) {
      throw new FacerecError(
        'MODEL_MISMATCH',
        `The gallery holds faces of model ${stored}, but this server encodes faces with ${modelId}; encodings of different models cannot be compared (use another --db).`,
      );
    }
    // Multi-node stores: the change number BEFORE loading, so nothing written meanwhile is missed.
    const afterSeq = store.changeSeq ? await store.changeSeq() : undefined;
    // Thumbnails are not kept: only ids, names and embeddings go into the index.
    const records = (await store.listFaces()).map(({ id, personName, embedding }) => ({ id, personName, embedding }));
    const annThreshold = ann.threshold !== undefined ? { annThreshold: ann.threshold } : {};
    const index = records.length > 0 ? FaceIndex.fromRecords(records, { modelId, ...annThreshold }) : new FaceIndex({ modelId, ...annThreshold });
    await index.prepareAnn(ann.path ?? null, ann.log);
    const service = new GalleryService(store, modelId, datasetDir === null ? null : resolve(datasetDir), onError, index, records as FaceRecord[]);
    if (store.watchChanges) {
      service.#stopWatching = store.watchChanges((update) => service.#applyUpdate(update), { ...(afterSeq !== undefined ? { afterSeq } : {}), onError });
    }
    return service;
  }

  /** Stops following other nodes' changes (the store itself is closed by its owner). */
  async close(): Promise<void> {
    const stop = this.#stopWatching;
    this.#stopWatching = null;
    await stop?.();
  }

  /**
   * Another node's writes (or our own, echoed back): drop every touched face from
   * the index and re-add those still stored, under the write lock so it never
   * interleaves with a local write. Idempotent, so echoes and replays are harmless.
   */
  #applyUpdate(update: GalleryUpdate): Promise<void> {
    return this.#lock.run(async () => {
      this.#index.remove(update.faceIds);
      for (const id of update.faceIds) this.#faceOwner.delete(id);
      const faces = update.faces.filter((f) => f.embedding.length === (this.#index.dimension ?? f.embedding.length));
      this.#index.add(faces);
      for (const f of faces) this.#faceOwner.set(f.id, f.personName);
    });
  }

  get faceCount(): number {
    return this.#index.size;
  }

  get personCount(): number {
    return new Set(this.#faceOwner.values()).size;
  }

  /** Synchronous: consistent with the last completed write. */
  identify(encoding: Float32Array, options: { tolerance: number; topK: number }): Identification {
    return this.#index.identify(encoding, options);
  }

  /** Each person's oldest face id (the smallest), in one pass. */
  firstFaces(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [id, owner] of this.#faceOwner) {
      const cur = out.get(owner);
      if (cur === undefined || id < cur) out.set(owner, id);
    }
    return out;
  }

  ownerOf(faceId: number): string | undefined {
    return this.#faceOwner.get(faceId);
  }

  listPersons(): Promise<PersonRecord[]> {
    return this.store.listPersons();
  }

  getPerson(name: string): Promise<PersonRecord | undefined> {
    return this.store.getPerson(name);
  }

  listFaces(name: string): Promise<FaceRecord[]> {
    return this.store.listFaces(name);
  }

  /** The face's record (with its thumbnail); NOT_FOUND for an unknown id. */
  async getFace(faceId: number): Promise<FaceRecord> {
    const owner = this.#faceOwner.get(faceId);
    const face = owner === undefined ? undefined : (await this.store.listFaces(owner).catch(() => [])).find((f) => f.id === faceId);
    if (!face) throw new FacerecError('NOT_FOUND', `There is no face with id ${faceId} (path parameter "id").`);
    return face;
  }

  /**
   * Adds faces to a person under the lock. `mode` 'create' refuses an existing
   * person (ALREADY_EXISTS), 'append' an unknown one (NOT_FOUND). `photos[i]` are
   * the original bytes of faces[i], written to the dataset folder when one is set.
   */
  addFaces(name: string, faces: readonly NewFace[], photos: readonly Uint8Array[], mode: 'create' | 'append'): Promise<AddFacesResult & { warnings: string[] }> {
    const n = normalizePersonName(name, 'name');
    return this.#lock.run(async () => {
      const existing = await this.store.getPerson(n);
      if (mode === 'create' && existing) throw new FacerecError('ALREADY_EXISTS', `A person named "${n}" already exists; add photos with POST /api/v1/persons/{name}/faces.`);
      if (mode === 'append' && !existing) throw new FacerecError('NOT_FOUND', `There is no person named "${n}" (path parameter "name"); create one with POST /api/v1/persons.`);
      const result = await this.store.addFaces(n, faces, this.modelId);
      this.#index.add(result.added.map(({ id, personName, embedding }) => ({ id, personName, embedding })));
      for (const f of result.added) this.#faceOwner.set(f.id, f.personName);
      const warnings: string[] = [];
      if (this.datasetDir && result.added.length > 0) {
        const added = new Set(result.added.map((f) => f.sourceSha256));
        const kept = photos.filter((_, i) => added.has(faces[i]?.sourceSha256 ?? null));
        try {
          await this.#writeDatasetPhotos(result.person.name, kept);
        } catch (err) {
          // The faces are enrolled; only the dataset copy failed (details in the log).
          this.onError(err);
          warnings.push('The photos were enrolled but could not be copied to the dataset folder (see the server log).');
        }
      }
      return { ...result, warnings };
    });
  }

  /** Names stored unknown faces (GalleryStore.enrolUnknownFaces) under the lock, keeping the index in sync. */
  enrolUnknownFaces(ids: readonly number[], name: string): Promise<AddFacesResult> {
    const n = normalizePersonName(name, 'name');
    return this.#lock.run(async () => {
      const result = await this.store.enrolUnknownFaces(ids, n);
      this.#index.add(result.added.map(({ id, personName, embedding }) => ({ id, personName, embedding })));
      for (const f of result.added) this.#faceOwner.set(f.id, f.personName);
      return result;
    });
  }

  deleteFace(faceId: number): Promise<void> {
    return this.#lock.run(async () => {
      await this.store.deleteFace(faceId);
      this.#index.remove([faceId]);
      this.#faceOwner.delete(faceId);
    });
  }

  deletePerson(name: string): Promise<void> {
    const n = normalizePersonName(name, 'name');
    return this.#lock.run(async () => {
      await this.store.deletePerson(n);
      this.#index.removePerson(n);
      for (const [id, owner] of this.#faceOwner) if (owner === n) this.#faceOwner.delete(id);
    });
  }

  renamePerson(from: string, to: string): Promise<PersonRecord> {
    const f = normalizePersonName(from, 'name');
    const t = normalizePersonName(to, 'name');
    return this.#lock.run(async () => {
      const person = await this.store.renamePerson(f, t);
      if (f !== t) await this.#relabel(f, t);
      return person;
    });
  }

  mergePersons(from: string, into: string): Promise<PersonRecord> {
    const f = normalizePersonName(from, 'name');
    const t = normalizePersonName(into, 'into');
    return this.#lock.run(async () => {
      const person = await this.store.mergePersons(f, t);
      await this.#relabel(f, t);
      return person;
    });
  }

  /** After a rename/merge in the store: the faces of `from` now belong to `to`, in the index too. */
  async #relabel(from: string, to: string): Promise<void> {
    const ids = new Set<number>();
    for (const [id, owner] of this.#faceOwner) if (owner === from) ids.add(id);
    this.#index.removePerson(from);
    const moved = (await this.store.listFaces(to)).filter((r) => ids.has(r.id));
    this.#index.add(moved.map(({ id, embedding }) => ({ id, personName: to, embedding })));
    for (const id of ids) this.#faceOwner.set(id, to);
  }

  /** DIR/<safe name>/<timestamp>.jpg, the reference app's layout; the path never leaves DIR. */
  async #writeDatasetPhotos(name: string, photos: readonly Uint8Array[]): Promise<void> {
    if (!this.datasetDir || photos.length === 0) return;
    const root = this.datasetDir;
    const folder = resolve(root, safeFolderName(name));
    if (!folder.startsWith(root + sep)) throw new Error(`dataset folder for "${name}" escapes ${root}`);
    await mkdir(folder, { recursive: true });
    for (const bytes of photos) {
      const isJpeg = bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
      const jpeg = isJpeg ? bytes : await sharp(bytes).rotate().jpeg({ quality: 92 }).toBuffer();
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      const file = resolve(folder, `${stamp}-${String(++this.#sequence).padStart(4, '0')}.jpg`);
      await writeFile(file, jpeg, { flag: 'wx' });
    }
  }
}
