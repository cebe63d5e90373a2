/**
 * Genuine vs impostor distance histograms as a standalone SVG (same look as
 * src/eval/roc-svg.ts: white background, grey grid, sans-serif, no scripts), each
 * normalised to its own pair count so both shapes show whatever their sizes, with
 * vertical lines marking tolerances.
 */

export interface HistogramSeries {
  label: string;
  /** Distances (any order). */
  values: ArrayLike<number>;
  color: string;
}

export interface HistogramMarker {
  label: string;
  value: number;
  color?: string;
}

export interface HistogramSvgOptions {
  title?: string;
  width?: number;
  height?: number;
  /** x range; default the data's range. */
  min?: number;
  max?: number;
  bins?: number;
}

const escapeXml = (s: string) => s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
const f2 = (v: number) => v.toFixed(2);
const tick = (v: number) => String(Number(v.toFixed(4)));

export function renderHistogramSvg(series: readonly HistogramSeries[], markers: readonly HistogramMarker[] = [], options: HistogramSvgOptions = {}): string {
  const width = options.width ?? 720;
  const height = options.height ?? 420;
  const bins = options.bins ?? 60;
  let lo = options.min ?? Infinity;
  let hi = options.max ?? -Infinity;
  if (options.min === undefined || options.max === undefined) {
    for (const s of series) {
      for (let i = 0; i < s.values.length; i++) {
        if (options.min === undefined) lo = Math.min(lo, s.values[i]!);
        if (options.max === undefined) hi = Math.max(hi, s.values[i]!);
      }
    }
  }
  if (!(hi > lo)) hi = lo + 1;
  const binW = (hi - lo) / bins;
  const shares = series.map((s) => {
    const h = new Float64Array(bins);
    for (let i = 0; i < s.values.length; i++) h[Math.min(bins - 1, Math.max(0, Math.floor((s.values[i]! - lo) / binW)))]!++;
    return h.map((c) => (s.values.length > 0 ? c / s.values.length : 0));
  });
  const top = Math.max(1e-9, ...shares.flatMap((h) => [...h]));
  const m = { left: 64, right: 24, top: 46, bottom: 58 };
  const pw = width - m.left - m.right;
  const ph = height - m.top - m.bottom;
  const sx = (v: number) => m.left + ((v - lo) / (hi - lo)) * pw;
  const sy = (v: number) => m.top + (1 - v / top) * ph;
  const out: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`];
  out.push(`<title>${escapeXml(options.title ?? 'Distance histogram')}</title>`, `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);
  for (let i = 0; i <= 10; i++) {
    const v = lo + ((hi - lo) * i) / 10;
    const x = f2(sx(v));
    out.push(`<line x1="${x}" y1="${m.top}" x2="${x}" y2="${m.top + ph}" stroke="#e4e4e4"/>`);
    out.push(`<text x="${x}" y="${m.top + ph + 20}" font-size="12" text-anchor="middle" fill="#222">${tick(v)}</text>`);
    const yv = (top * i) / 10;
    out.push(`<text x="${m.left - 8}" y="${f2(sy(yv))}" font-size="11" text-anchor="end" dominant-baseline="central" fill="#222">${(yv * 100).toFixed(1)}%</text>`);
  }
  shares.forEach((h, k) => {
    const s = series[k]!;
    const d = [`M${f2(sx(lo))},${f2(sy(0))}`];
    h.forEach((v, i) => d.push(`L${f2(sx(lo + i * binW))},${f2(sy(v))}L${f2(sx(lo + (i + 1) * binW))},${f2(sy(v))}`));
    d.push(`L${f2(sx(hi))},${f2(sy(0))}Z`);
    out.push(`<path d="${d.join('')}" fill="${escapeXml(s.color)}" fill-opacity="0.25" stroke="${escapeXml(s.color)}" stroke-width="1.5"/>`);
  });
  markers.forEach((mk, i) => {
    const x = f2(sx(mk.value));
    const color = escapeXml(mk.color ?? '#111111');
    out.push(`<line x1="${x}" y1="${m.top}" x2="${x}" y2="${m.top + ph}" stroke="${color}" stroke-width="2" stroke-dasharray="6,4"/>`);
    out.push(`<text x="${f2(sx(mk.value) + 4)}" y="${m.top + 14 + i * 16}" font-size="12" fill="${color}">${escapeXml(`${mk.label} ${mk.value.toFixed(3)}`)}</text>`);
  });
  out.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${f2(m.left + pw / 2)}" y="${height - 14}" font-size="13" text-anchor="middle" fill="#111">Euclidean distance</text>`);
  out.push(`<text transform="translate(16 ${f2(m.top + ph / 2)}) rotate(-90)" font-size="13" text-anchor="middle" fill="#111">Share of pairs per bin</text>`);
  out.push(`<text x="${f2(width / 2)}" y="28" font-size="16" font-weight="bold" text-anchor="middle" fill="#111">${escapeXml(options.title ?? 'Distance histogram')}</text>`);
  series.forEach((s, i) => {
    const y = m.top + 14 + i * 18;
    const x = m.left + pw - 200;
    out.push(`<rect x="${x}" y="${y - 6}" width="18" height="12" fill="${escapeXml(s.color)}" fill-opacity="0.4" stroke="${escapeXml(s.color)}"/>`);
    out.push(`<text x="${x + 24}" y="${y}" font-size="12" dominant-baseline="central" fill="#111">${escapeXml(`${s.label} (${s.values.length} pairs)`)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}

export interface LinePoint {
  x: number;
  y: number;
  label?: string;
}

/** A single polyline chart with labelled points (used for the quality curve). */
export function renderLineSvg(points: readonly LinePoint[], options: { title: string; xLabel: string; yLabel: string; width?: number; height?: number; yAsPercent?: boolean }): string {
  const width = options.width ?? 640;
  const height = options.height ?? 400;
  const m = { left: 72, right: 24, top: 46, bottom: 58 };
  const pw = width - m.left - m.right;
  const ph = height - m.top - m.bottom;
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const x0 = Math.min(...xs), x1 = Math.max(...xs) > x0 ? Math.max(...xs) : x0 + 1;
  const pad = (Math.max(...ys) - Math.min(...ys)) * 0.15 || 0.01;
  const y0 = Math.min(...ys) - pad, y1 = Math.max(...ys) + pad;
  const sx = (v: number) => m.left + ((v - x0) / (x1 - x0)) * pw;
  const sy = (v: number) => m.top + (1 - (v - y0) / (y1 - y0)) * ph;
  const fy = (v: number) => (options.yAsPercent ? `${(v * 100).toFixed(2)}%` : tick(v));
  const out: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`];
  out.push(`<title>${escapeXml(options.title)}</title>`, `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);
  for (let i = 0; i <= 5; i++) {
    const v = y0 + ((y1 - y0) * i) / 5;
    out.push(`<line x1="${m.left}" y1="${f2(sy(v))}" x2="${m.left + pw}" y2="${f2(sy(v))}" stroke="#e4e4e4"/>`);
    out.push(`<text x="${m.left - 8}" y="${f2(sy(v))}" font-size="11" text-anchor="end" dominant-baseline="central" fill="#222">${fy(v)}</text>`);
  }
  for (const p of points) out.push(`<text x="${f2(sx(p.x))}" y="${m.top + ph + 20}" font-size="12" text-anchor="middle" fill="#222">${escapeXml(p.label ?? tick(p.x))}</text>`);
  out.push(`<path d="${points.map((p, i) => `${i === 0 ? 'M' : 'L'}${f2(sx(p.x))},${f2(sy(p.y))}`).join('')}" fill="none" stroke="#1f77b4" stroke-width="2"/>`);
  for (const p of points) {
    out.push(`<circle cx="${f2(sx(p.x))}" cy="${f2(sy(p.y))}" r="3.5" fill="#1f77b4"/>`);
    out.push(`<text x="${f2(sx(p.x))}" y="${f2(sy(p.y) - 10)}" font-size="11" text-anchor="middle" fill="#111">${fy(p.y)}</text>`);
  }
  out.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${f2(m.left + pw / 2)}" y="${height - 14}" font-size="13" text-anchor="middle" fill="#111">${escapeXml(options.xLabel)}</text>`);
  out.push(`<text transform="translate(16 ${f2(m.top + ph / 2)}) rotate(-90)" font-size="13" text-anchor="middle" fill="#111">${escapeXml(options.yLabel)}</text>`);
  out.push(`<text x="${f2(width / 2)}" y="28" font-size="16" font-weight="bold" text-anchor="middle" fill="#111">${escapeXml(options.title)}</text>`);
  out.push('</svg>');
  return out.join('\n');
}
