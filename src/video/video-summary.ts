/** Who was seen and for how long: the end-of-run summary, from the track events. */
import type { TrackEvent } from './video-session.js';

export interface PersonPresence {
  person: string | null;
  /** Union of the person's track intervals (overlapping tracks of one person count once). */
  secondsOnScreen: number;
  tracks: number;
}

/** Per person (unknown as null, last), most time on screen first. `frameSeconds` is one frame's duration. */
export function personPresence(events: readonly TrackEvent[], frameSeconds: number): PersonPresence[] {
  const byPerson = new Map<string | null, [number, number][]>();
  for (const e of events) {
    const list = byPerson.get(e.person) ?? [];
    list.push([e.firstTimestamp, e.lastTimestamp + frameSeconds]);
    byPerson.set(e.person, list);
  }
  const out: PersonPresence[] = [];
  for (const [person, intervals] of byPerson) {
    intervals.sort((a, b) => a[0] - b[0]);
    let total = 0;
    let [s, t] = intervals[0]!;
    for (const [a, b] of intervals.slice(1)) {
      if (a > t) {
        total += t - s;
        [s, t] = [a, b];
      } else t = Math.max(t, b);
    }
    total += t - s;
    out.push({ person, secondsOnScreen: Math.round(total * 100) / 100, tracks: intervals.length });
  }
  return out.sort((a, b) => (a.person === null ? 1 : 0) - (b.person === null ? 1 : 0) || b.secondsOnScreen - a.secondsOnScreen);
}

/** The summary as lines of text for the terminal. */
export function summaryLines(s: { frames: number; seconds: number; fps: number; persons: readonly PersonPresence[]; events: readonly unknown[] }): string[] {
  const lines = [`${s.frames} frames (${s.seconds.toFixed(1)} s of video) processed at ${s.fps.toFixed(1)} frames/s; ${s.events.length} face tracks`];
  if (s.persons.length === 0) lines.push('no faces seen');
  for (const p of s.persons) lines.push(`  ${(p.person ?? 'unknown').padEnd(24)} ${p.secondsOnScreen.toFixed(1).padStart(7)} s on screen in ${p.tracks} track${p.tracks === 1 ? '' : 's'}`);
  return lines;
}
