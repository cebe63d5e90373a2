// Drawing results over a picture: boxes (green known, red unknown), landmarks,
// blurred unknown faces on the canvas, and the name labels as positioned HTML
// elements under each box (readable by screen readers and tests).
import { fmtDistance } from './common.js';

const css = getComputedStyle(document.documentElement);
const KNOWN = () => css.getPropertyValue('--known').trim() || '#0a8a2e';
const UNKNOWN = () => css.getPropertyValue('--unknown').trim() || '#d21f1f';

/** The face's box scaled by `s` (result coordinates → canvas coordinates). */
export function scaledBox(box, s) {
  return { left: box.left * s, top: box.top * s, right: box.right * s, bottom: box.bottom * s };
}

/**
 * Blurs the region of each unknown face (its box grown by `margin`) on a canvas
 * that already shows `source` at full canvas size.
 */
export function blurFaces(ctx, source, boxes, margin = 0.2) {
  const { width: w, height: h } = ctx.canvas;
  for (const b of boxes) {
    const mw = (b.right - b.left) * margin;
    const mh = (b.bottom - b.top) * margin;
    const x = Math.max(0, Math.floor(b.left - mw));
    const y = Math.max(0, Math.floor(b.top - mh));
    const rw = Math.min(w, Math.ceil(b.right + mw)) - x;
    const rh = Math.min(h, Math.ceil(b.bottom + mh)) - y;
    if (rw <= 0 || rh <= 0) continue;
    ctx.save();
    ctx.beginPath();
    ctx.rect(x, y, rw, rh);
    ctx.clip();
    if ('filter' in ctx) {
      ctx.filter = `blur(${Math.max(8, Math.round(rw / 10))}px)`;
      ctx.drawImage(source, 0, 0, w, h);
      ctx.filter = 'none';
    } else {
      // Pixelate where canvas filters are missing.
      const tiny = document.createElement('canvas');
      tiny.width = Math.max(1, Math.round(rw / 16));
      tiny.height = Math.max(1, Math.round(rh / 16));
      tiny.getContext('2d').drawImage(ctx.canvas, x, y, rw, rh, 0, 0, tiny.width, tiny.height);
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(tiny, 0, 0, tiny.width, tiny.height, x, y, rw, rh);
    }
    ctx.restore();
  }
}

/** Draws boxes and (optionally) landmarks of `faces` (already in canvas coordinates via `scale`). */
export function drawFaces(ctx, faces, { scale = 1, landmarks = false } = {}) {
  const w = ctx.canvas.width;
  const lw = Math.max(2, Math.round(w / 400));
  for (const f of faces) {
    const b = scaledBox(f.box, scale);
    ctx.strokeStyle = f.name ? KNOWN() : UNKNOWN();
    ctx.lineWidth = lw;
    ctx.strokeRect(b.left, b.top, b.right - b.left, b.bottom - b.top);
    if (landmarks && Array.isArray(f.landmarks)) {
      ctx.fillStyle = '#ffd400';
      const r = Math.max(1.5, w / 500);
      for (const p of f.landmarks) {
        const x = (Array.isArray(p) ? p[0] : p.x) * scale;
        const y = (Array.isArray(p) ? p[1] : p.y) * scale;
        ctx.beginPath();
        ctx.arc(x, y, r, 0, Math.PI * 2);
        ctx.fill();
      }
    }
  }
}

/** The text of a face's label: "name 0.41" or "Unknown 0.72". */
export function labelText(face) {
  return { name: face.name ?? 'Unknown', distance: fmtDistance(face.distance) };
}

/**
 * Places one HTML label under each face's box inside `layer` (an absolutely
 * positioned element covering the picture). `width`/`height`: the coordinate
 * space of the boxes. Reuses nodes between calls.
 */
export function placeLabels(layer, faces, width, height) {
  while (layer.children.length > faces.length) layer.lastElementChild.remove();
  faces.forEach((f, i) => {
    let node = layer.children[i];
    if (!node) {
      node = document.createElement('div');
      node.append(document.createElement('span'), ' ', document.createElement('small'));
      layer.append(node);
    }
    const { name, distance } = labelText(f);
    node.className = `face-label ${f.name ? 'known' : 'unknown'}`;
    node.dataset.name = f.name ?? '';
    node.children[0].textContent = name;
    node.children[1].textContent = distance;
    const below = f.box.bottom / height < 0.93;
    node.style.left = `${(Math.max(0, f.box.left) / width) * 100}%`;
    node.style.minWidth = `${((f.box.right - f.box.left) / width) * 100}%`;
    node.style.top = below ? `${(f.box.bottom / height) * 100}%` : '';
    node.style.bottom = below ? '' : `${(1 - f.box.bottom / height) * 100}%`;
  });
}
