/**
 * Renders ROC curves (FAR on x, TAR on y) as a standalone SVG string: no scripts, external fonts
 * or network references; text uses the generic `sans-serif` family.
 */

export interface RocSvgCurve {
  label: string;
  /** ROC points ordered by FAR (as produced by `rocCurve`), FAR and TAR in [0, 1]. */
  points: readonly { far: number; tar: number }[];
  /** Shown in the legend; computed from `points` by the trapezoid rule when omitted. */
  auc?: number;
  /** Any SVG colour; a built-in palette is used when omitted. */
  color?: string;
}

export interface RocSvgOptions {
  title?: string;
  /** Pixels; default 640 × 520. */
  width?: number;
  height?: number;
  /** Logarithmic FAR axis from `minFar` to 1. Default false (linear 0..1). */
  logFar?: boolean;
  /** Left end of the log FAR axis; default 1e-3. */
  minFar?: number;
  /** Bottom of the TAR axis; default 0. */
  minTar?: number;
  /** Dashed chance line TAR = FAR; default true. */
  showChance?: boolean;
  /** Prefix for the element ids (clip path), to keep several SVGs apart in one HTML page. Default "roc". */
  idPrefix?: string;
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

function trapezoidAuc(points: readonly { far: number; tar: number }[]): number {
  let a = 0;
  for (let i = 1; i < points.length; i++) a += (points[i]!.far - points[i - 1]!.far) * (points[i]!.tar + points[i - 1]!.tar) / 2;
  return a;
}

function niceStep(range: number, target: number): number {
  const raw = range / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * mag >= raw - 1e-12) return m * mag;
  return 10 * mag;
}

function fmtTick(v: number): string {
  // Up to 4 decimals without float noise: 0.30000000000000004 → "0.3"; 0.001 → "0.001".
  return String(Number(v.toFixed(6)));
}

const f2 = (v: number) => v.toFixed(2);

/** Render ROC curves as an SVG document string. */
export function renderRocSvg(curves: readonly RocSvgCurve[], options: RocSvgOptions = {}): string {
  const width = options.width ?? 640;
  const height = options.height ?? 520;
  const logFar = options.logFar ?? false;
  const minFar = options.minFar ?? 1e-3;
  const minTar = options.minTar ?? 0;
  const idp = options.idPrefix ?? 'roc';
  const title = options.title ?? 'ROC';
  if (logFar && !(minFar > 0 && minFar < 1)) throw new RangeError(`renderRocSvg: minFar must be in (0, 1) for a log axis, got ${minFar}`);
  if (!(minTar >= 0 && minTar < 1)) throw new RangeError(`renderRocSvg: minTar must be in [0, 1), got ${minTar}`);

  const margin = { left: 68, right: 24, top: 46, bottom: 58 };
  const pw = width - margin.left - margin.right;
  const ph = height - margin.top - margin.bottom;
  const x0 = margin.left, y0 = margin.top;
  const lmin = Math.log10(minFar);
  const sx = (far: number) => (logFar ? x0 + ((Math.log10(far) - lmin) / -lmin) * pw : x0 + far * pw);
  const sy = (tar: number) => y0 + (1 - (tar - minTar) / (1 - minTar)) * ph;

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`);
  out.push(`<title>${escapeXml(title)}</title>`);
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<defs><clipPath id="${idp}-plot"><rect x="${x0}" y="${y0}" width="${pw}" height="${ph}"/></clipPath></defs>`);

  // Grid and ticks.
  const grid: string[] = [];
  const ticks: string[] = [];
  const labels: string[] = [];
  const xTick = (far: number, major: boolean, label?: string) => {
    const x = f2(sx(far));
    grid.push(`<line x1="${x}" y1="${y0}" x2="${x}" y2="${y0 + ph}" stroke="${major ? '#d0d0d0' : '#ececec'}" stroke-width="1"/>`);
    ticks.push(`<line x1="${x}" y1="${y0 + ph}" x2="${x}" y2="${y0 + ph + (major ? 6 : 3)}" stroke="#333" stroke-width="1"/>`);
    if (label !== undefined) labels.push(`<text x="${x}" y="${y0 + ph + 20}" font-size="12" text-anchor="middle" fill="#222">${label}</text>`);
  };
  if (logFar) {
    const firstDecade = Math.ceil(lmin - 1e-9);
    if (Math.abs(lmin - firstDecade) > 1e-9) xTick(minFar, true, fmtTick(minFar));
    for (let e = Math.floor(lmin); e <= 0; e++) {
      const base = 10 ** e;
      if (e >= firstDecade) xTick(base, true, fmtTick(base));
      if (e < 0) for (let m = 2; m <= 9; m++) if (m * base > minFar * (1 + 1e-9)) xTick(m * base, false);
    }
  } else {
    for (let i = 0; i <= 10; i++) xTick(i / 10, i % 2 === 0, fmtTick(i / 10));
  }
  const yStep = niceStep(1 - minTar, 10);
  for (let k = Math.ceil(minTar / yStep - 1e-9); k * yStep <= 1 + 1e-9; k++) {
    const v = k * yStep;
    const y = f2(sy(v));
    grid.push(`<line x1="${x0}" y1="${y}" x2="${x0 + pw}" y2="${y}" stroke="#d0d0d0" stroke-width="1"/>`);
    ticks.push(`<line x1="${x0 - 6}" y1="${y}" x2="${x0}" y2="${y}" stroke="#333" stroke-width="1"/>`);
    labels.push(`<text x="${x0 - 10}" y="${y}" font-size="12" text-anchor="end" dominant-baseline="central" fill="#222">${fmtTick(v)}</text>`);
  }
  out.push(`<g class="grid">${grid.join('')}</g>`);

  // Map a polyline of (far, tar) to pixels, clipping FAR < minFar on a log axis and subdividing
  // segments there (straight in linear FAR space, so curved on a log axis).
  const path = (pts: readonly { far: number; tar: number }[]): string => {
    const px: [number, number][] = [];
    const emit = (far: number, tar: number) => {
      const p: [number, number] = [sx(far), sy(tar)];
      const last = px[px.length - 1];
      if (last && Math.abs(last[0] - p[0]) < 0.25 && Math.abs(last[1] - p[1]) < 0.25) px[px.length - 1] = p;
      else px.push(p);
    };
    for (let i = 0; i < pts.length; i++) {
      const p1 = pts[i]!;
      if (!logFar) {
        emit(p1.far, p1.tar);
        continue;
      }
      if (p1.far < minFar) continue;
      const p0 = i > 0 ? pts[i - 1]! : undefined;
      if (!p0 || p0.far >= p1.far) {
        emit(p1.far, p1.tar);
        continue;
      }
      let a = p0;
      if (p0.far < minFar) {
        a = { far: minFar, tar: p0.tar + ((p1.tar - p0.tar) * (minFar - p0.far)) / (p1.far - p0.far) };
        emit(a.far, a.tar);
      } else if (px.length === 0) emit(a.far, a.tar);
      const steps = Math.min(200, Math.max(1, Math.ceil(Math.log10(p1.far / a.far) * 40)));
      for (let s = 1; s <= steps; s++) {
        const far = a.far * (p1.far / a.far) ** (s / steps);
        const t = (far - p0.far) / (p1.far - p0.far);
        emit(far, p0.tar + (p1.tar - p0.tar) * t);
      }
    }
    return px.map((p, i) => `${i === 0 ? 'M' : 'L'}${f2(p[0])},${f2(p[1])}`).join('');
  };

  const showChance = options.showChance ?? true;
  const body: string[] = [];
  if (showChance) body.push(`<path d="${path([{ far: 0, tar: 0 }, { far: 1, tar: 1 }])}" fill="none" stroke="#999999" stroke-width="1" stroke-dasharray="5,4"/>`);
  const legendItems: { text: string; color: string; dashed: boolean }[] = [];
  curves.forEach((c, i) => {
    const color = c.color ?? PALETTE[i % PALETTE.length]!;
    const a = c.auc ?? trapezoidAuc(c.points);
    body.push(`<path d="${path(c.points)}" fill="none" stroke="${escapeXml(color)}" stroke-width="2" stroke-linejoin="round"/>`);
    legendItems.push({ text: `${c.label} (AUC ${a.toFixed(4)})`, color, dashed: false });
  });
  if (showChance) legendItems.push({ text: 'chance', color: '#999999', dashed: true });
  out.push(`<g clip-path="url(#${idp}-plot)">${body.join('')}</g>`);

  // Frame, ticks, labels.
  out.push(`<rect x="${x0}" y="${y0}" width="${pw}" height="${ph}" fill="none" stroke="#333" stroke-width="1"/>`);
  out.push(`<g class="ticks">${ticks.join('')}</g>`);
  out.push(`<g class="tick-labels">${labels.join('')}</g>`);
  out.push(`<text x="${f2(x0 + pw / 2)}" y="${height - 14}" font-size="13" text-anchor="middle" fill="#111">False accept rate (FAR)${logFar ? ', log scale' : ''}</text>`);
  out.push(`<text transform="translate(18 ${f2(y0 + ph / 2)}) rotate(-90)" font-size="13" text-anchor="middle" fill="#111">True accept rate (TAR)</text>`);
  out.push(`<text x="${f2(width / 2)}" y="28" font-size="16" font-weight="bold" text-anchor="middle" fill="#111">${escapeXml(title)}</text>`);

  // Legend in the lower-right corner of the plot (ROC curves rarely go there).
  if (legendItems.length > 0) {
    const fs = 12, row = 18, pad = 8, swatch = 24;
    const textW = Math.max(...legendItems.map((l) => l.text.length)) * fs * 0.6;
    const lw = pad * 3 + swatch + textW;
    const lh = pad * 2 + row * legendItems.length - (row - fs);
    const lx = x0 + pw - lw - 10;
    const ly = y0 + ph - lh - 10;
    const g: string[] = [`<rect x="${f2(lx)}" y="${f2(ly)}" width="${f2(lw)}" height="${f2(lh)}" fill="#ffffff" fill-opacity="0.9" stroke="#999" stroke-width="1"/>`];
    legendItems.forEach((l, i) => {
      const cy = ly + pad + fs / 2 + i * row;
      g.push(`<line x1="${f2(lx + pad)}" y1="${f2(cy)}" x2="${f2(lx + pad + swatch)}" y2="${f2(cy)}" stroke="${escapeXml(l.color)}" stroke-width="${l.dashed ? 1 : 2}"${l.dashed ? ' stroke-dasharray="5,4"' : ''}/>`);
      g.push(`<text x="${f2(lx + pad * 2 + swatch)}" y="${f2(cy)}" font-size="${fs}" dominant-baseline="central" fill="#111">${escapeXml(l.text)}</text>`);
    });
    out.push(`<g class="legend">${g.join('')}</g>`);
  }
  out.push('</svg>');
  return out.join('\n');
}
