// Identify page: drop, paste or pick a photo; shows it with boxes, names and distances.
import { api, el, errorText, fmtDistance, imageForm, setStatus } from './common.js';
import { drawFaces, placeLabels } from './draw.js';

const MAX_CANVAS = 2048; // px: the drawn copy's longest side
const $ = (id) => document.getElementById(id);
const drop = $('drop');
const fileInput = $('file');
const statusEl = $('status');
const view = $('view');
const stage = $('stage');
let busy = 0;

async function identify(file) {
  if (!file) return;
  if (file.type && !file.type.startsWith('image/')) {
    setStatus(statusEl, `${file.name} is not an image.`, 'error');
    return;
  }
  const ticket = ++busy;
  setStatus(statusEl, `Identifying ${file.name || 'the photo'}…`);
  stage.setAttribute('aria-busy', 'true');
  let bitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    setStatus(statusEl, `This browser cannot show ${file.name || 'the photo'}; sending it anyway…`, 'warn');
  }
  let res;
  try {
    res = await api('/identify', { method: 'POST', body: imageForm([file]) });
  } catch (e) {
    if (ticket === busy) setStatus(statusEl, `Could not identify: ${errorText(e)}`, 'error');
    return;
  } finally {
    stage.setAttribute('aria-busy', 'false');
  }
  if (ticket !== busy) return;
  const faces = res?.faces ?? [];
  const w = bitmap?.width ?? res?.width ?? 640;
  const h = bitmap?.height ?? res?.height ?? 480;
  const scale = Math.min(1, MAX_CANVAS / Math.max(w, h));
  view.width = Math.round(w * scale);
  view.height = Math.round(h * scale);
  const ctx = view.getContext('2d');
  if (bitmap) ctx.drawImage(bitmap, 0, 0, view.width, view.height);
  else {
    ctx.fillStyle = '#333';
    ctx.fillRect(0, 0, view.width, view.height);
  }
  drawFaces(ctx, faces, { scale });
  placeLabels($('labels'), faces, w, h);
  window.__facerecLast = res;
  stage.dataset.names = JSON.stringify(faces.map((f) => f.name));
  $('result').hidden = false;
  const known = faces.filter((f) => f.name).length;
  setStatus(
    statusEl,
    faces.length ? `${file.name || 'Photo'}: ${faces.length} face${faces.length > 1 ? 's' : ''}, ${known} recognised.` : `${file.name || 'Photo'}: no face found.`,
    faces.length ? 'ok' : 'warn',
  );
  $('faces').replaceChildren(
    ...faces.map((f, i) => {
      const next = (f.candidates ?? []).filter((c) => c.name !== f.name)[0];
      return el(
        'tr',
        {},
        el('td', { text: String(i + 1) }),
        el('td', {}, el('span', { class: `swatch ${f.name ? 'known' : 'unknown'}` }), f.name ?? 'Unknown'),
        el('td', { text: fmtDistance(f.distance) }),
        el('td', { text: next ? `${next.name} (${fmtDistance(next.distance)})` : '–' }),
      );
    }),
  );
  if (!faces.length) $('faces').append(el('tr', {}, el('td', { colspan: '4', class: 'empty', text: 'No face found.' })));
}

fileInput.addEventListener('change', () => identify(fileInput.files?.[0]));
for (const t of ['dragenter', 'dragover']) drop.addEventListener(t, (ev) => (ev.preventDefault(), drop.classList.add('over')));
for (const t of ['dragleave', 'drop']) drop.addEventListener(t, () => drop.classList.remove('over'));
drop.addEventListener('drop', (ev) => {
  ev.preventDefault();
  identify(ev.dataTransfer?.files?.[0]);
});
// Dropping outside the zone should not navigate away from the page.
window.addEventListener('dragover', (ev) => ev.preventDefault());
window.addEventListener('drop', (ev) => {
  ev.preventDefault();
  if (ev.target instanceof Node && !drop.contains(ev.target)) identify(ev.dataTransfer?.files?.[0]);
});
document.addEventListener('paste', (ev) => {
  const item = [...(ev.clipboardData?.items ?? [])].find((i) => i.type.startsWith('image/'));
  if (item) identify(item.getAsFile());
});
