// Cameras page: add a stream URL, start/stop/delete monitors, watch the
// selected one's annotated preview (an MJPEG stream in an <img>) and its recent
// events. The list and events are polled; the server runs the monitors, so they
// keep going when this page is closed.
import { api, confirmDialog, el, errorText, fmtDistance, setStatus, withKey } from './common.js';

const $ = (id) => document.getElementById(id);
const statusEl = $('status');
const listEl = $('cameras');
const preview = $('preview');
const placeholder = $('preview-placeholder');
const POLL_MS = 1500;

let cameras = [];
let current = null; // selected monitor id
let previewKey = ''; // `${id}:${started}`: which stream the <img> shows
let previewStarted = 0;
let eventsSignature = '';

const STATE_TEXT = {
  running: 'Running',
  connecting: 'Connecting…',
  reconnecting: 'Reconnecting…',
  stopped: 'Stopped',
};

function fmtTime(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const today = new Date().toDateString() === d.toDateString();
  return today ? d.toLocaleTimeString() : d.toLocaleString();
}

function fmtSpan(a, b) {
  const s = Math.max(0, (Date.parse(b) - Date.parse(a)) / 1000);
  return s < 60 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

function selectedCamera() {
  return cameras.find((c) => c.id === current) ?? null;
}

// Items are updated in place (not rebuilt at each poll), so a button never
// disappears from under the pointer between mousedown and click.
function cameraItem(c) {
  const li = el('li', { class: 'camera', dataset: { id: String(c.id) } });
  li.append(
    el('span', { class: 'title', text: c.name }),
    el('span', { class: 'url', text: c.url }),
    el('span', { class: 'state' }, el('span', { class: 'dot', 'aria-hidden': 'true' }), el('span', { class: 'state-text' }), el('span', { class: 'hint frames' }), el('span', { class: 'hint', text: ` · ${c.detector} detector` })),
    el('p', { class: 'error', hidden: true }),
    el(
      'div',
      { class: 'row' },
      el('button', { type: 'button', class: 'small watch', onclick: () => select(c.id) }),
      el('button', { type: 'button', class: 'small toggle', onclick: () => act(c, li.dataset.state === 'stopped' ? 'start' : 'stop') }),
      el('button', { type: 'button', class: 'small danger delete', text: 'Delete…', onclick: () => remove(c) }),
    ),
  );
  return li;
}

function updateItem(li, c) {
  const s = c.status;
  li.dataset.state = s.state;
  li.setAttribute('aria-current', String(c.id === current));
  li.querySelector('.dot').dataset.state = s.state;
  li.querySelector('.state-text').textContent = ` ${STATE_TEXT[s.state] ?? s.state}`;
  li.querySelector('.frames').textContent = s.frames ? ` · ${s.frames} frames` : '';
  const err = li.querySelector('.error');
  const showError = Boolean(s.lastError) && s.state !== 'running';
  err.hidden = !showError;
  err.textContent = showError ? s.lastError : '';
  const watch = li.querySelector('button.watch');
  watch.textContent = c.id === current ? 'Watching' : 'Watch';
  watch.setAttribute('aria-pressed', String(c.id === current));
  const toggle = li.querySelector('button.toggle');
  const stopped = s.state === 'stopped';
  toggle.textContent = stopped ? 'Start' : 'Stop';
  toggle.classList.toggle('start', stopped);
  toggle.classList.toggle('stop', !stopped);
}

function renderList() {
  const byId = new Map([...listEl.querySelectorAll('li.camera')].map((li) => [Number(li.dataset.id), li]));
  const items = cameras.map((c) => {
    const li = byId.get(c.id) ?? cameraItem(c);
    byId.delete(c.id);
    updateItem(li, c);
    return li;
  });
  for (const gone of byId.values()) gone.remove();
  // Re-append only when the order differs (moving a node would break a click in progress).
  if (items.some((li, i) => listEl.children[i] !== li)) listEl.replaceChildren(...items);
}

async function loadCameras() {
  try {
    const r = await api('/monitors');
    cameras = r?.monitors ?? [];
  } catch (e) {
    setStatus(statusEl, `Could not load the cameras: ${errorText(e)}`, 'error');
    return;
  }
  listEl.setAttribute('aria-busy', 'false');
  $('camera-count').textContent = cameras.length ? `(${cameras.length})` : '';
  $('no-cameras').hidden = cameras.length > 0;
  if (current !== null && !selectedCamera()) select(null);
  renderList();
  updatePreview();
}

/** Points the <img> at the selected camera's MJPEG stream while it runs; a new stream after each start. */
function updatePreview() {
  const c = selectedCamera();
  $('watch-name').textContent = c ? `— ${c.name}` : '';
  if (!c) {
    preview.removeAttribute('src');
    previewKey = '';
    placeholder.textContent = 'Choose a camera to watch.';
    placeholder.hidden = false;
    return;
  }
  if (c.status.state === 'stopped') {
    previewKey = '';
    placeholder.textContent = preview.getAttribute('src') ? '' : 'This camera is stopped: start it to watch.';
    placeholder.hidden = !placeholder.textContent;
    return;
  }
  const key = `${c.id}:${previewStarted}`;
  if (key !== previewKey) {
    previewKey = key;
    preview.src = withKey(`${c.preview}?t=${Date.now()}`);
  }
  if (c.status.state !== 'running' && !preview.naturalWidth) {
    placeholder.textContent = c.status.state === 'reconnecting' ? `Reconnecting… ${c.status.lastError ?? ''}` : 'Connecting to the camera…';
    placeholder.hidden = false;
  }
}

preview.addEventListener('load', () => {
  placeholder.hidden = true;
});
// The stream ends when the camera stops or the server restarts: reopen it at the next poll.
preview.addEventListener('error', () => {
  previewStarted++;
});

async function loadEvents() {
  if (current === null) {
    $('events').replaceChildren();
    eventsSignature = '';
    $('events-table').hidden = true;
    $('no-events').hidden = false;
    return;
  }
  let events;
  try {
    events = (await api(`/monitors/${current}/events?limit=25`))?.events ?? [];
  } catch (e) {
    if (e.status !== 404) setStatus(statusEl, `Could not load the events: ${errorText(e)}`, 'error');
    return;
  }
  $('events-table').hidden = events.length === 0;
  $('no-events').hidden = events.length > 0;
  // Rebuilt only when the events changed (no thumbnail flicker at each poll).
  const signature = `${current}:${events.map((e) => e.id).join(',')}`;
  if (signature === eventsSignature) return;
  eventsSignature = signature;
  $('events').replaceChildren(
    ...events.map((e) =>
      el(
        'tr',
        { class: 'event', dataset: { id: String(e.id), person: e.person ?? '' } },
        el('td', {}, e.thumbnail ? el('img', { src: withKey(e.thumbnail), alt: '', loading: 'lazy', width: 48, height: 48 }) : null),
        el('td', { class: e.person ? 'person known' : 'person unknown', text: e.person ?? 'unknown' }),
        el('td', {}, el('time', { datetime: e.firstSeenAt, text: fmtTime(e.firstSeenAt) }), el('span', { class: 'hint', text: ` for ${fmtSpan(e.firstSeenAt, e.lastSeenAt)}` })),
        el('td', { text: String(e.framesSeen) }),
        el('td', { text: fmtDistance(e.bestDistance) }),
      ),
    ),
  );
}

function select(id) {
  current = id;
  previewKey = '';
  previewStarted++;
  preview.removeAttribute('src');
  history.replaceState(null, '', id === null ? location.pathname : `#camera=${id}`);
  renderList();
  updatePreview();
  void loadEvents();
}

async function act(c, action) {
  try {
    await api(`/monitors/${c.id}/${action}`, { method: 'POST' });
    setStatus(statusEl, action === 'start' ? `Started “${c.name}”.` : `Stopped “${c.name}”.`, 'ok');
    if (action === 'start') {
      previewStarted++;
      if (current === null) select(c.id);
    }
  } catch (e) {
    setStatus(statusEl, `Could not ${action} “${c.name}”: ${errorText(e)}`, 'error');
  }
  await loadCameras();
}

async function remove(c) {
  const ok = await confirmDialog({ title: `Delete “${c.name}”?`, message: 'The camera stops and its events are deleted. The gallery is not touched.', confirmLabel: 'Delete', danger: true });
  if (!ok) return;
  try {
    await api(`/monitors/${c.id}`, { method: 'DELETE' });
    setStatus(statusEl, `Deleted “${c.name}”.`, 'ok');
    if (current === c.id) select(null);
  } catch (e) {
    setStatus(statusEl, `Could not delete “${c.name}”: ${errorText(e)}`, 'error');
  }
  await loadCameras();
}

$('add-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const name = $('cam-name').value.trim();
  const url = $('cam-url').value.trim();
  if (!name) {
    setStatus(statusEl, 'Give the camera a name.', 'warn');
    $('cam-name').focus();
    return;
  }
  if (!url) {
    setStatus(statusEl, 'Give the stream URL (rtsp://…, http(s)://… or /dev/video0).', 'warn');
    $('cam-url').focus();
    return;
  }
  const button = $('add');
  button.disabled = true;
  try {
    const m = await api('/monitors', { method: 'POST', body: { name, url, detector: $('cam-detector').value } });
    setStatus(statusEl, `Added “${m.name}”; connecting…`, 'ok');
    $('add-form').reset();
    await loadCameras();
    select(m.id);
  } catch (e) {
    setStatus(statusEl, `Could not add the camera: ${errorText(e)}`, 'error');
    (/"url"/.test(e.message) ? $('cam-url') : /"name"/.test(e.message) ? $('cam-name') : button).focus();
  } finally {
    button.disabled = false;
  }
});

async function poll() {
  if (!document.hidden) {
    await loadCameras();
    await loadEvents();
  }
  setTimeout(poll, POLL_MS);
}

{
  const m = /^#camera=(\d+)$/.exec(location.hash);
  if (m) current = Number(m[1]);
}
await loadCameras();
if (current !== null) select(current);
else if (cameras.length > 0) select(cameras[0].id);
await loadEvents();
setTimeout(poll, POLL_MS);
