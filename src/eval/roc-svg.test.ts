import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderRocSvg } from './roc-svg.js';
import { rocCurve } from './verification-metrics.js';

const perfect = rocCurve([0.1, 0.2, 0.7, 0.8], [true, true, false, false]);
const mixed = rocCurve([0.1, 0.2, 0.3, 0.4], [true, false, true, false]);

test('the SVG is a standalone document with title, axes, legend with AUC, and no external references', () => {
  const svg = renderRocSvg(
    [
      { label: 'perfect', points: perfect.points },
      { label: 'a <b> & "c"', points: mixed.points, color: '#000' },
    ],
    { title: 'LFW View 1' },
  );
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="640" height="520"/);
  assert.match(svg, /<\/svg>$/);
  assert.match(svg, /LFW View 1/);
  assert.match(svg, /perfect \(AUC 1\.0000\)/);
  assert.match(svg, /a &lt;b&gt; &amp; &quot;c&quot; \(AUC 0\.7500\)/, 'labels are XML-escaped, AUC computed from the points');
  assert.match(svg, /False accept rate \(FAR\)</);
  assert.match(svg, /True accept rate \(TAR\)</);
  assert.doesNotMatch(svg, /href|@import|url\((?!#)|<script|@font-face/, 'no external resources');
  assert.equal((svg.match(/<path /g) ?? []).length, 3, 'two curves and the chance line');
  // Linear axis: the mixed curve's (FAR 0.5, TAR 1) corner is at x = 68 + 0.5·548 = 342, y = top 46.
  assert.match(svg, /L342\.00,46\.00/);
});

test('log FAR axis: decade ticks from 1e-3 to 1 and curves clipped at the left edge', () => {
  const svg = renderRocSvg([{ label: 'm', points: mixed.points, auc: 0.75 }], { logFar: true, showChance: false });
  for (const t of ['0.001', '0.01', '0.1', '1']) assert.match(svg, new RegExp(`>${t.replace('.', '\\.')}</text>`));
  assert.match(svg, /log scale/);
  // FAR 0 cannot be drawn on a log axis: the curve starts at the left edge (x = 68) at the interpolated TAR 0.5 (y = 46 + 208).
  assert.match(svg, /d="M68\.00,254\.00L/);
  assert.doesNotMatch(svg, /NaN|Infinity/);
  assert.throws(() => renderRocSvg([], { logFar: true, minFar: 0 }), /minFar/);
});
