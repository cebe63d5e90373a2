import assert from 'node:assert/strict';
import { test } from 'node:test';
import { calibrateTolerance, fractionAtMost, normalCdf, normalQuantile, pairDistances, readCalibratedTolerance } from './calibrate.js';
import { renderHistogramSvg } from './histogram-svg.js';

/** Seeded normal samples (Box–Muller on xorshift32), sorted. */
function normals(n: number, mean: number, std: number, seed: number): Float64Array {
  let s = seed;
  const u = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return (s + 0.5) / 2 ** 32;
  };
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = mean + std * Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  return out.sort();
}

test('normalQuantile and normalCdf agree with known values and invert each other', () => {
  assert.ok(Math.abs(normalQuantile(0.975) - 1.959964) < 1e-5);
  assert.ok(Math.abs(normalQuantile(0.001) + 3.090232) < 1e-5);
  for (const z of [-3.5, -2, -0.3, 0, 1.2]) assert.ok(Math.abs(normalQuantile(normalCdf(z)) - z) < 1e-4, `z ${z}`);
  assert.throws(() => normalQuantile(0), /p must be in/);
});

test('with enough impostor pairs the empirical tolerance sits at the true FAR quantile', () => {
  const genuine = normals(5000, 0.4, 0.06, 11);
  const impostor = normals(100_000, 0.9, 0.08, 12);
  const trueQ = 0.9 + 0.08 * normalQuantile(1e-3); // 0.6528
  const c = calibrateTolerance({ genuine, impostor }, 1e-3);
  assert.equal(c.method, 'empirical');
  assert.equal(c.impostorPairsBelow, 100);
  assert.ok(Math.abs(c.tolerance - trueQ) < 0.01, `tolerance ${c.tolerance} vs ${trueQ}`);
  assert.ok(c.observedFar <= 1e-3);
  assert.ok(Math.abs(c.fittedTolerance - trueQ) < 0.01, `fitted ${c.fittedTolerance}`);
  const trueTar = normalCdf((trueQ - 0.4) / 0.06);
  assert.ok(Math.abs(c.expectedTar - trueTar) < 0.01, `TAR ${c.expectedTar} vs ${trueTar}`);
  // A looser FAR gives a larger tolerance and a higher TAR.
  const loose = calibrateTolerance({ genuine, impostor }, 1e-2);
  assert.ok(loose.tolerance > c.tolerance && loose.expectedTar >= c.expectedTar);
});

test('too few impostor pairs: the fitted tail extrapolates, and says how many pairs back it', () => {
  const genuine = normals(300, 0.4, 0.06, 21);
  const impostor = normals(3000, 0.9, 0.08, 22);
  const trueQ = 0.9 + 0.08 * normalQuantile(1e-3);
  const c = calibrateTolerance({ genuine, impostor }, 1e-3);
  assert.equal(c.method, 'fitted-tail');
  assert.equal(c.impostorPairsBelow, 3);
  assert.equal(c.impostorPairsNeeded, 10_000);
  assert.ok(Math.abs(c.tolerance - trueQ) < 0.03, `fitted ${c.tolerance} vs ${trueQ}`);
  assert.ok(Math.abs(c.predictedFar - 1e-3) < 1e-6, 'the fit predicts the target at its own tolerance');
  assert.throws(() => calibrateTolerance({ genuine, impostor }, 0), /far/);
  assert.throws(() => calibrateTolerance({ genuine: new Float64Array(0), impostor }, 0.01), /genuine pairs/);
});

test('pairDistances: all genuine pairs, all or a seeded sample of impostor pairs', () => {
  const faces = Array.from({ length: 12 }, (_, i) => ({ label: `p${i % 4}`, embedding: Float32Array.from([i % 4, (i % 3) * 0.01]) }));
  const all = pairDistances(faces);
  assert.equal(all.genuine.length, 4 * 3);
  assert.equal(all.impostor.length, 66 - 12);
  assert.equal(all.personsWithPairs, 4);
  assert.equal(all.impostorSampled, false);
  assert.ok(all.genuine[all.genuine.length - 1]! < 0.05 && all.impostor[0]! >= 0.99);
  const sampled = pairDistances(faces, { maxImpostorPairs: 20, seed: 3 });
  assert.equal(sampled.impostor.length, 20);
  assert.equal(sampled.impostorSampled, true);
  assert.deepEqual([...sampled.impostor], [...pairDistances(faces, { maxImpostorPairs: 20, seed: 3 }).impostor], 'deterministic');
  assert.equal(fractionAtMost(all.impostor, 0.5), 0);
});

test('the stored tolerance is read back; a malformed one is an error naming the setting', async () => {
  const store = (v: string | null) => ({ getSetting: async () => v });
  assert.equal(await readCalibratedTolerance(store(null)), null);
  assert.equal(await readCalibratedTolerance(store('0.4875')), 0.4875);
  await assert.rejects(readCalibratedTolerance(store('abc')), /identify\.tolerance/);
});

test('the histogram SVG shows both series with their pair counts and the tolerance marker', () => {
  const svg = renderHistogramSvg(
    [
      { label: 'genuine', values: [0.3, 0.35, 0.4], color: '#2ca02c' },
      { label: 'impostor', values: [0.8, 0.9], color: '#d62728' },
    ],
    [{ label: 'tolerance', value: 0.55 }],
    { title: 'T <1>' },
  );
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.match(svg, /genuine \(3 pairs\)/);
  assert.match(svg, /impostor \(2 pairs\)/);
  assert.match(svg, /tolerance 0\.550/);
  assert.match(svg, /T &lt;1&gt;/);
  assert.equal((svg.match(/<path /g) ?? []).length, 2);
});
