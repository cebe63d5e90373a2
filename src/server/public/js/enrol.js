// Enrol page: capture webcam frames (button, `k` key or automatic), keep those
// that pass the quality checks, review them, and save them to a person.
import { api, el, errorText, grabFrame, imageForm, isTyping, personPath, setStatus, startCamera, toJpeg } from './common.js';
import { laplacianVariance } from './sharpness.js';

/** Quality rules for a captured frame. */
export const RULES = {
  /** Smallest face height, px: the larger of this and MIN_FACE_FRACTION of the frame's short side. */
  minFacePx: 80,
  minFaceFraction: 0.15,
  /** Smallest variance of the Laplacian of the face crop (128 px wide). */
  minSharpness: 40,
};
const MAX_CAPTURES = 30;

const $ = (id) => document.getElementById(id);
const video = $('video');
const nameInput = $('name');
const captureBtn = $('capture');
const autoBox = $('auto');
const intervalInput = $('interval');
const checkStatus = $('check-status');
const saveStatus = $('save-status');
const saveBtn = $('save');
const log = $('log');
const list = $('captures');
const frameCanvas = document.createElement('canvas');

/** @type {{id:number, blob:Blob, thumb:string, info:string}[]} */
let captures = [];
let nextId = 1;
let checking = false;
let autoTimer = 0;
let cameraReady = false;

function logLine(text, kind) {
  log.prepend(el('li', { class: kind, text: `${new Date().toLocaleTimeString()} — ${text}` }));
  while (log.children.length > 30) log.lastElementChild.remove();
}

/** Checks a captured frame; returns {ok, reason?, box?, sharpness?}. */
async function checkFrame(canvas, blob) {
  const res = await api('/detect', { method: 'POST', body: imageForm([blob]) });
  const faces = Array.isArray(res) ? res : (res?.faces ?? []);
  if (faces.length === 0) return { ok: false, reason: 'no face found' };
  if (faces.length > 1) return { ok: false, reason: `${faces.length} faces in the picture — exactly one is needed` };
  const box = faces[0].box;
  const height = box.bottom - box.top;
  const minPx = Math.round(Math.max(RULES.minFacePx, RULES.minFaceFraction * Math.min(canvas.width, canvas.height)));
  if (height < minPx) return { ok: false, box, reason: `face too small (${Math.round(height)} px high, needs ${minPx} px) — come closer` };
  const sharpness = laplacianVariance(canvas, box);
  if (sharpness < RULES.minSharpness) return { ok: false, box, sharpness, reason: `too blurry (sharpness ${Math.round(sharpness)}, needs ${RULES.minSharpness}) — hold still` };
  return { ok: true, box, sharpness, height };
}

/** A square-ish thumbnail of the face (with margin) as a data URL. */
function faceThumb(canvas, box) {
  const size = Math.max(box.right - box.left, box.bottom - box.top) * 1.5;
  const cx = (box.left + box.right) / 2;
  const cy = (box.top + box.bottom) / 2;
  const t = document.createElement('canvas');
  t.width = t.height = 160;
  const ctx = t.getContext('2d');
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, 160, 160);
  ctx.drawImage(canvas, cx - size / 2, cy - size / 2, size, size, 0, 0, 160, 160);
  return t.toDataURL('image/jpeg', 0.8);
}

async function capture(trigger) {
  if (checking) return;
  if (!cameraReady) {
    setStatus(checkStatus, 'The camera is not running.', 'error');
    return;
  }
  if (captures.length >= MAX_CAPTURES) {
    setStatus(checkStatus, `You have ${MAX_CAPTURES} pictures — save or discard some first.`, 'warn');
    return;
  }
  checking = true;
  captureBtn.disabled = true;
  setStatus(checkStatus, 'Checking the picture…');
  try {
    grabFrame(video, frameCanvas);
    const blob = await toJpeg(frameCanvas, 0.92);
    const r = await checkFrame(frameCanvas, blob);
    if (!r.ok) {
      setStatus(checkStatus, `Rejected: ${r.reason}.`, 'warn');
      logLine(`rejected (${trigger}): ${r.reason}`, 'rejected');
      return;
    }
    const info = `${Math.round(r.height)} px face, sharpness ${Math.round(r.sharpness)}`;
    const id = nextId++;
    captures.push({ id, blob, thumb: faceThumb(frameCanvas, r.box), info });
    setStatus(checkStatus, `Kept picture ${id}: ${info}.`, 'ok');
    logLine(`kept picture ${id} (${trigger}): ${info}`, 'accepted');
    renderCaptures();
  } catch (e) {
    setStatus(checkStatus, `Could not check the picture: ${errorText(e)}`, 'error');
    logLine(`error: ${errorText(e)}`, 'rejected');
  } finally {
    checking = false;
    captureBtn.disabled = false;
  }
}

function renderCaptures() {
  list.replaceChildren(
    ...captures.map((c) =>
      el(
        'li',
        { class: 'card', dataset: { id: String(c.id) } },
        el('img', { src: c.thumb, alt: `Captured picture ${c.id}`, width: 160, height: 160 }),
        el(
          'div',
          { class: 'body' },
          el('span', { class: 'meta', text: c.info }),
          el('button', { type: 'button', class: 'small danger', text: 'Discard', 'aria-label': `Discard picture ${c.id}`, onclick: () => discard(c.id) }),
        ),
      ),
    ),
  );
  $('count').textContent = String(captures.length);
  $('no-captures').hidden = captures.length > 0;
  updateSave();
}

function discard(id) {
  const i = captures.findIndex((c) => c.id === id);
  if (i < 0) return;
  captures.splice(i, 1);
  renderCaptures();
  setStatus(checkStatus, `Discarded picture ${id}.`);
  (list.querySelector('button') ?? captureBtn).focus();
}

function updateSave() {
  saveBtn.disabled = captures.length === 0 || nameInput.value.trim() === '';
  saveBtn.textContent = captures.length ? `Save ${captures.length} picture${captures.length > 1 ? 's' : ''}` : 'Save';
}

const BATCH = 10; // the server takes at most 10 photos per request

/** Does the person exist already? (POST /persons creates, POST /persons/:name/faces appends.) */
async function personExists(name) {
  const r = await api('/persons');
  const key = name.normalize('NFC');
  return ((Array.isArray(r) ? r : r?.persons) ?? []).some((p) => p.name.normalize('NFC') === key);
}

/** Posts one batch of captures; returns {added, skipped:[{label, reason}], warnings}. */
async function postBatch(name, batch, create) {
  const form = new FormData();
  if (create) form.append('name', name);
  batch.forEach((c) => form.append('image', c.blob, `capture-${c.id}.jpg`));
  let r;
  if (create) {
    try {
      r = await api('/persons', { method: 'POST', body: form });
    } catch (e) {
      // A server whose POST /persons/:name/faces creates the person has no POST /persons.
      if (e.status !== 404 && e.status !== 405) throw e;
      form.delete('name');
      r = await api(personPath(name, '/faces'), { method: 'POST', body: form });
    }
  } else r = await api(personPath(name, '/faces'), { method: 'POST', body: form });
  const label = (s) => s.file ?? (typeof s.photo === 'number' && batch[s.photo] ? `picture ${batch[s.photo].id}` : 'a picture');
  return {
    added: Array.isArray(r?.added) ? r.added.length : 0,
    // The server's quality score of each enrolled face (0–1; faces below its minimum are skipped with the reasons).
    qualities: (Array.isArray(r?.added) ? r.added : []).map((f) => f.quality).filter((q) => typeof q === 'number'),
    skipped: (r?.skipped ?? []).map((s) => ({ label: label(s), reason: s.message ?? s.reason })),
    warnings: r?.warnings ?? [],
  };
}

async function save() {
  const name = nameInput.value.trim();
  if (!name) {
    setStatus(saveStatus, 'Type the person’s name first.', 'error');
    nameInput.focus();
    return;
  }
  if (!captures.length) return;
  saveBtn.disabled = true;
  captureBtn.disabled = true;
  setStatus(saveStatus, `Saving ${captures.length} picture(s)…`);
  const skippedList = $('skipped');
  skippedList.replaceChildren();
  let added = 0;
  const qualities = [];
  const skipped = [];
  const warnings = [];
  let failure = null;
  try {
    let exists = await personExists(name);
    while (captures.length) {
      const batch = captures.slice(0, BATCH);
      try {
        const r = await postBatch(name, batch, !exists);
        exists = true;
        added += r.added;
        qualities.push(...r.qualities);
        skipped.push(...r.skipped);
        warnings.push(...r.warnings);
      } catch (e) {
        // The server refused every picture of the batch (no usable face, all already enrolled): report and go on.
        if (e.status === 422 || (e.status === 409 && exists)) skipped.push({ label: batch.length === 1 ? `picture ${batch[0].id}` : `pictures ${batch.map((c) => c.id).join(', ')}`, reason: e.message });
        else throw e;
      }
      captures = captures.slice(batch.length);
    }
  } catch (e) {
    failure = e;
  }
  renderCaptures();
  captureBtn.disabled = false;
  const parts = [`Added ${added} face${added === 1 ? '' : 's'} to ${name}${qualities.length ? ` (quality ${qualities.map((q) => q.toFixed(2)).join(', ')})` : ''}`];
  if (skipped.length) parts.push(`${skipped.length} skipped`);
  if (failure) parts.push(`not saved: ${errorText(failure)} (the remaining pictures are kept — try again)`);
  setStatus(saveStatus, `${parts.join('; ')}.`, failure ? 'error' : added ? (skipped.length ? 'warn' : 'ok') : 'warn');
  if (added) saveStatus.append(' ', el('a', { href: `gallery.html#person=${encodeURIComponent(name)}`, text: 'Open in the gallery' }));
  skippedList.replaceChildren(
    ...skipped.map((s) => el('li', { class: 'rejected', text: `${s.label}: ${s.reason}` })),
    ...warnings.map((w) => el('li', { text: w })),
  );
}

function setAuto() {
  clearInterval(autoTimer);
  autoTimer = 0;
  if (!autoBox.checked) return;
  const s = Math.min(30, Math.max(1, Number(intervalInput.value) || 2));
  autoTimer = setInterval(() => capture('auto'), s * 1000);
}

captureBtn.addEventListener('click', () => capture('button'));
saveBtn.addEventListener('click', save);
nameInput.addEventListener('input', updateSave);
nameInput.addEventListener('keydown', (ev) => {
  if (ev.key === 'Enter') {
    ev.preventDefault();
    if (!saveBtn.disabled) save();
  }
});
autoBox.addEventListener('change', setAuto);
intervalInput.addEventListener('change', setAuto);
document.addEventListener('keydown', (ev) => {
  if ((ev.key === 'k' || ev.key === 'K') && !ev.ctrlKey && !ev.metaKey && !ev.altKey && !ev.repeat && !isTyping(ev)) {
    ev.preventDefault();
    capture('k key');
  }
});

renderCaptures();
startCamera(video)
  .then(() => {
    cameraReady = true;
    $('placeholder').hidden = true;
    setStatus(checkStatus, 'Camera ready. Press Capture or k.');
  })
  .catch((e) => {
    $('placeholder').textContent = 'No camera picture.';
    setStatus(checkStatus, `Camera unavailable: ${e.message ?? e}`, 'error');
  });
