// Shared helpers for the facerec pages: REST calls, status messages, the
// confirmation dialog, the camera and small formatting helpers.

export const API = '/api/v1';

/** An error answer of the API ({error: {code, message}}) or a network failure. */
export class ApiError extends Error {
  constructor(code, message, status) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

// API key: a server bound beyond loopback requires one on every /api request.
// The pages keep it in localStorage (taken from ?key= in the page URL, or asked
// for when the server answers 401) and send it as the x-api-key header, or as
// ?key= where headers cannot be set (WebSocket, <img src>).
const KEY_STORE = 'facerec.apiKey';
{
  const fromUrl = new URLSearchParams(location.search).get('key');
  if (fromUrl) {
    localStorage.setItem(KEY_STORE, fromUrl);
    const u = new URL(location.href);
    u.searchParams.delete('key');
    history.replaceState(null, '', u);
  }
}
export const apiKey = () => localStorage.getItem(KEY_STORE) || '';

/** `url` with ?key= added when an API key is set (for <img src> and the WebSocket). */
export function withKey(url) {
  const key = apiKey();
  if (!key || !url) return url;
  return `${url}${url.includes('?') ? '&' : '?'}key=${encodeURIComponent(key)}`;
}

let askingKey = null;
/** Asks for the API key (once at a time); resolves true when one was entered. */
export function askApiKey(message) {
  askingKey ??= confirmDialog({
    title: 'API key needed',
    message: message ?? 'This server requires an API key. It is kept in this browser only.',
    confirmLabel: 'Use key',
    field: { label: 'API key', value: '', type: 'password' },
  }).then((key) => {
    askingKey = null;
    if (typeof key === 'string' && key) {
      localStorage.setItem(KEY_STORE, key);
      return true;
    }
    return false;
  });
  return askingKey;
}

/**
 * Calls the API and returns the parsed JSON (or null for an empty body).
 * `body`: FormData, Blob or a plain object (sent as JSON).
 */
export async function api(path, { method = 'GET', body, signal, retried = false } = {}) {
  const init = { method, signal, headers: { accept: 'application/json' } };
  if (apiKey()) init.headers['x-api-key'] = apiKey();
  if (body instanceof FormData || body instanceof Blob) init.body = body;
  else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers['content-type'] = 'application/json';
  }
  let res;
  try {
    res = await fetch(API + path, init);
  } catch (e) {
    if (e?.name === 'AbortError') throw e;
    throw new ApiError('NETWORK', `The server cannot be reached (${e?.message ?? e}).`, 0);
  }
  const text = await res.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (res.status === 401 && !retried && (await askApiKey(data?.error?.message))) {
    return api(path, { method, body, signal, retried: true });
  }
  if (!res.ok) {
    const err = data?.error;
    throw new ApiError(err?.code ?? `HTTP_${res.status}`, err?.message ?? `${res.status} ${res.statusText}`, res.status);
  }
  return data;
}

/** `/persons/<name>` with the name safely encoded (names may hold slashes, quotes, …). */
export const personPath = (name, rest = '') => `/persons/${encodeURIComponent(name)}${rest}`;

/** FormData with one `image` field per blob. */
export function imageForm(blobs) {
  const form = new FormData();
  blobs.forEach((b, i) => form.append('image', b, b.name ?? `capture-${i + 1}.jpg`));
  return form;
}

/** Shows a message in a status element; kind: ok | warn | error | info. */
export function setStatus(el, text, kind = 'info') {
  el.textContent = text;
  el.dataset.kind = kind;
}

export const errorText = (e) => (e instanceof ApiError ? `${e.message}${e.code && !e.code.startsWith('HTTP_') ? ` (${e.code})` : ''}` : String(e?.message ?? e));

export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else if (k in node && typeof v !== 'string') node[k] = v;
    else node.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) node.append(c);
  return node;
}

export const fmtDistance = (d) => (typeof d === 'number' && Number.isFinite(d) ? d.toFixed(2) : '–');
export const fmtMs = (ms) => (typeof ms === 'number' && Number.isFinite(ms) ? `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms` : '–');

/**
 * A modal confirmation built on <dialog>. Resolves to false when cancelled, true
 * when confirmed, or the field's value when `field` is given ({label, value,
 * options?: [values]} → a text input, or a select when options are given).
 */
export function confirmDialog({ title, message, confirmLabel = 'OK', danger = false, field }) {
  return new Promise((resolve) => {
    const input = field
      ? field.options
        ? el('select', { id: 'dlg-field', required: true }, field.options.map((o) => el('option', { value: o, text: o })))
        : el('input', { id: 'dlg-field', type: field.type ?? 'text', value: field.value ?? '', required: true, autocomplete: 'off', spellcheck: 'false' })
      : null;
    const cancel = el('button', { type: 'button', text: 'Cancel' });
    const ok = el('button', { type: 'submit', class: danger ? 'danger primary' : 'primary', text: confirmLabel });
    const form = el(
      'form',
      { method: 'dialog' },
      el('h2', { id: 'dlg-title', text: title }),
      message ? el('p', { id: 'dlg-desc', text: message }) : null,
      input ? el('div', { class: 'field' }, el('label', { for: 'dlg-field', text: field.label }), input) : null,
      el('div', { class: 'actions' }, cancel, ok),
    );
    const dialog = el('dialog', { 'aria-labelledby': 'dlg-title', 'aria-describedby': message ? 'dlg-desc' : undefined }, form);
    let result = false;
    form.addEventListener('submit', (ev) => {
      if (input) {
        const v = input.value.trim();
        if (!v) {
          ev.preventDefault();
          input.focus();
          return;
        }
        result = v;
      } else result = true;
    });
    cancel.addEventListener('click', () => dialog.close());
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(result);
    });
    document.body.append(dialog);
    dialog.showModal();
    (input ?? (danger ? cancel : ok)).focus();
    if (input?.select) input.select();
  });
}

/** Starts the webcam into `video`; resolves once frames have a size. */
export async function startCamera(video, { width = 1280, height = 720 } = {}) {
  if (!navigator.mediaDevices?.getUserMedia) throw new Error('This browser has no camera access here (the page needs https or localhost).');
  const stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: width }, height: { ideal: height } }, audio: false });
  video.srcObject = stream;
  video.muted = true;
  video.playsInline = true;
  await video.play();
  if (!video.videoWidth) await new Promise((r) => video.addEventListener('loadedmetadata', r, { once: true }));
  return stream;
}

export function stopCamera(video) {
  const s = video.srcObject;
  if (s) for (const t of s.getTracks()) t.stop();
  video.srcObject = null;
}

/** Draws the current video frame (or any image source) scaled to `width` px wide into a canvas. */
export function grabFrame(source, canvas, width) {
  const sw = source.videoWidth ?? source.naturalWidth ?? source.width;
  const sh = source.videoHeight ?? source.naturalHeight ?? source.height;
  const w = Math.min(width ?? sw, sw);
  const h = Math.round((sh * w) / sw);
  if (canvas.width !== w) canvas.width = w;
  if (canvas.height !== h) canvas.height = h;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  ctx.drawImage(source, 0, 0, w, h);
  return ctx;
}

export const toJpeg = (canvas, quality = 0.85) =>
  new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('Could not encode the frame as JPEG'))), 'image/jpeg', quality));

/** True when a key press is meant for a text field (so page shortcuts must ignore it). */
export function isTyping(ev) {
  const t = ev.target;
  if (!(t instanceof HTMLElement)) return false;
  if (t.isContentEditable) return true;
  if (t instanceof HTMLTextAreaElement || t instanceof HTMLSelectElement) return true;
  return t instanceof HTMLInputElement && !['checkbox', 'radio', 'button', 'submit', 'range', 'file'].includes(t.type);
}
