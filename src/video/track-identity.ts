/**
 * A track's identity is a vote over the few encodings taken from it (its first
 * good frames, then one every few seconds), not the verdict of one frame: a
 * blurred or turned frame cannot flip a name. Each person's score is the MEDIAN
 * of its distances over the encodings (a person absent from an encoding's
 * candidates counts as beyond reach); the lowest median wins if it is within
 * the tolerance, else the track is unknown.
 */
import type { FaceIndex } from '../match/face-index.js';
import type { FaceEncoding } from '../types.js';

export interface TrackIdentity {
  /** The voted person, or null (unknown, or no encoding yet). */
  person: string | null;
  /** Median distance of the voted person (of the nearest person when unknown); null without candidates. */
  distance: number | null;
  /** Smallest single distance to `person` (to the nearest person when unknown); null without candidates. */
  bestDistance: number | null;
  /** Encodings the vote used. */
  votes: number;
}

export const NO_IDENTITY: TrackIdentity = { person: null, distance: null, bestDistance: null, votes: 0 };

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Candidate distances of one encoding: person → distance of their nearest face. */
export type CandidateDistances = ReadonlyMap<string, number>;

export function candidatesOf(index: FaceIndex, encoding: FaceEncoding, topK = 5): CandidateDistances {
  if (index.size === 0) return new Map();
  const r = index.identify(encoding, { topK });
  return new Map(r.candidates.map((c) => [c.name, c.distance]));
}

export function voteIdentity(perEncoding: readonly CandidateDistances[], tolerance: number): TrackIdentity {
  if (perEncoding.length === 0) return NO_IDENTITY;
  const persons = new Set<string>();
  for (const m of perEncoding) for (const name of m.keys()) persons.add(name);
  if (persons.size === 0) return { ...NO_IDENTITY, votes: perEncoding.length };
  let best: { name: string; med: number; min: number } | null = null;
  for (const name of persons) {
    const ds = perEncoding.map((m) => m.get(name) ?? Infinity);
    const med = median(ds);
    const min = Math.min(...ds);
    if (!best || med < best.med || (med === best.med && min < best.min)) best = { name, med, min };
  }
  const known = best!.med <= tolerance;
  return {
    person: known ? best!.name : null,
    distance: Number.isFinite(best!.med) ? best!.med : null,
    bestDistance: best!.min,
    votes: perEncoding.length,
  };
}
