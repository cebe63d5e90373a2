// Live page: webcam → downscaled JPEG frames over the /api/v1/live WebSocket, one
// frame in flight at a time; results drawn over the video.
import { api, fmtDistance, fmtMs, grabFrame, setStatus, startCamera, stopCamera, toJpeg, withKey } from './common.js';
import { blurFaces, drawFaces, placeLabels } from './draw.js';

const SEND_WIDTH = 640; // px: frames are downscaled to this width before sending
const JPEG_QUALITY = 0.8;
const REPLY_TIMEOUT_MS = 5000; // give up on a frame's reply after this long
const STALE_MS = 2000; // hide the overlay when the last result is older than this

const $ = (id) => document.getElementById(id);
const video = $('video');
const view = $('view');
const stage = $('stage');
const labels = $('labels');
const statusEl = $('status');
const detectorSel = $('detector');
const landmarksBox = $('show-landmarks');
const blurBox = $('blur-unknown');
const livenessBox = $('liveness');
const toggleBtn = $('toggle-camera');
const sendCanvas = document.createElement('canvas');
const viewCtx = view.getContext('2d');

const saved = (k, d) => localStorage.getItem(`facerec.live.${k}`) ?? d;
const save = (k, v) => localStorage.setItem(`facerec.live.${k}`, String(v));
detectorSel.value = new URLSearchParams(location.search).get('detector') ?? saved('detector', 'fast');
if (!detectorSel.value) detectorSel.value = 'fast';
landmarksBox.checked = saved('landmarks', 'false') === 'true';
blurBox.checked = saved('blur', 'false') === 'true';
livenessBox.checked = saved('liveness', 'false') === 'true';

let ws = null;
let wsGeneration = 0;
let reconnectDelay = 500;
let cameraOn = false;
let inFlight = false;
let sentAt = 0;
let watchdog = 0;
let sent = 0;
let dropped = 0;
let last = null; // last {type:'result'} message
let lastAt = 0;
let lastResultAt = 0;
let intervalEma = 0;
let rttEma = 0;
let announced = '';

function connect() {
  const gen = ++wsGeneration;
  if (ws) ws.close();
  inFlight = false;
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const socket = new WebSocket(withKey(`${proto}//${location.host}/api/v1/live?detector=${encodeURIComponent(detectorSel.value)}${livenessBox.checked ? '&liveness=true' : ''}`));
  socket.binaryType = 'arraybuffer';
  ws = socket;
  socket.addEventListener('open', () => {
    if (gen !== wsGeneration) return;
    reconnectDelay = 500;
    setStatus(statusEl, `Connected (detector: ${detectorSel.value}).`, 'ok');
    pump();
  });
  socket.addEventListener('message', (ev) => {
    if (gen !== wsGeneration || typeof ev.data !== 'string') return;
    let msg;
    try {
      msg = JSON.parse(ev.data);
    } catch {
      return;
    }
    onMessage(msg);
  });
  socket.addEventListener('close', (ev) => {
    if (gen !== wsGeneration) return;
    inFlight = false;
    const why = ev.reason ? `: ${ev.reason}` : '';
    setStatus(statusEl, `Disconnected from the server${why}. Reconnecting…`, 'warn');
    // A REST call asks for the API key if that is why the socket was refused.
    const retry = () => gen === wsGeneration && connect();
    setTimeout(() => api('/health').then(retry, retry), reconnectDelay);
    reconnectDelay = Math.min(reconnectDelay * 2, 10000);
  });
}

function onMessage(msg) {
  if (msg.type === 'result' || msg.type === 'dropped' || msg.type === 'error') {
    inFlight = false;
    clearTimeout(watchdog);
  }
  const now = performance.now();
  if (msg.type === 'dropped') {
    dropped++;
  } else if (msg.type === 'error') {
    setStatus(statusEl, `Server error: ${msg.error?.message ?? msg.message ?? 'unknown'}`, 'error');
  } else if (msg.type === 'result') {
    rttEma = rttEma ? rttEma * 0.8 + (now - sentAt) * 0.2 : now - sentAt;
    if (lastResultAt) {
      const dt = now - lastResultAt;
      intervalEma = intervalEma ? intervalEma * 0.85 + dt * 0.15 : dt;
    }
    lastResultAt = now;
    last = msg;
    lastAt = now;
    window.__facerecLast = msg;
    const names = (msg.faces ?? []).map((f) => f.name);
    stage.dataset.names = JSON.stringify(names);
    stage.dataset.frame = String(msg.frame ?? '');
    showResult(msg);
    window.dispatchEvent(new CustomEvent('facerec:result', { detail: msg }));
  }
  $('counts').textContent = `${sent} / ${dropped}`;
  pump();
}

function showResult(msg) {
  const t = msg.timings ?? {};
  $('t-encode').textContent = fmtMs(t.encodeMs);
  $('t-decode').textContent = fmtMs(t.decodeMs);
  $('t-detect').textContent = fmtMs(t.detectMs);
  $('t-landmarks').textContent = fmtMs(t.landmarksMs);
  $('t-match').textContent = fmtMs(t.matchMs);
  $('t-total').textContent = fmtMs(t.totalMs);
  $('t-rtt').textContent = fmtMs(rttEma);
  $('fps').textContent = intervalEma ? (1000 / intervalEma).toFixed(1) : '–';
  $('m-detector').textContent = msg.model?.detector ?? '–';
  $('m-encoder').textContent = msg.model?.encoder ?? '–';
  $('m-size').textContent = msg.width ? `${msg.width}×${msg.height}` : '–';

  const faces = msg.faces ?? [];
  const list = $('faces-list');
  list.replaceChildren(
    ...(faces.length
      ? faces.map((f) => {
          const li = document.createElement('li');
          const name = document.createElement('span');
          const sw = document.createElement('span');
          sw.className = `swatch ${f.name ? 'known' : 'unknown'}`;
          name.append(sw, f.name ?? 'Unknown');
          const d = document.createElement('span');
          d.textContent = `distance ${fmtDistance(f.distance)}`;
          // Liveness (when on): the two model scores; a suspected spoof is flagged, not blocked.
          if (f.liveness) d.textContent += ` · ${f.liveness.spoof ? 'SPOOF?' : 'live'} (real ${f.liveness.real.toFixed(2)}, live ${f.liveness.live.toFixed(2)})`;
          li.append(name, d);
          return li;
        })
      : [Object.assign(document.createElement('li'), { className: 'empty', textContent: 'No face' })]),
  );
  // Announce only when who is in view changes (not every frame).
  const who = faces.map((f) => f.name ?? 'Unknown').sort().join(', ') || 'no face';
  if (who !== announced) {
    announced = who;
    $('announce').textContent = `In view: ${who}`;
  }
  placeLabels(labels, faces, msg.width || SEND_WIDTH, msg.height || (SEND_WIDTH * 3) / 4);
}

async function pump() {
  if (!cameraOn || inFlight || !ws || ws.readyState !== WebSocket.OPEN || video.readyState < 2 || !video.videoWidth) return;
  inFlight = true;
  const socket = ws;
  try {
    grabFrame(video, sendCanvas, SEND_WIDTH);
    const blob = await toJpeg(sendCanvas, JPEG_QUALITY);
    if (socket !== ws || socket.readyState !== WebSocket.OPEN) {
      inFlight = false;
      return;
    }
    socket.send(blob);
    sentAt = performance.now();
    sent++;
    clearTimeout(watchdog);
    watchdog = setTimeout(() => {
      inFlight = false;
      pump();
    }, REPLY_TIMEOUT_MS);
  } catch (e) {
    inFlight = false;
    setStatus(statusEl, `Could not send a frame: ${e.message ?? e}`, 'error');
  }
}

function render() {
  requestAnimationFrame(render);
  if (!cameraOn || !video.videoWidth) return;
  const w = Math.min(video.videoWidth, 1280);
  const h = Math.round((video.videoHeight * w) / video.videoWidth);
  if (view.width !== w || view.height !== h) {
    view.width = w;
    view.height = h;
  }
  viewCtx.drawImage(video, 0, 0, w, h);
  const fresh = last && performance.now() - lastAt < STALE_MS;
  if (!fresh) {
    if (labels.childElementCount) placeLabels(labels, [], 1, 1);
    pump();
    return;
  }
  const faces = last.faces ?? [];
  const scale = w / (last.width || SEND_WIDTH);
  if (blurBox.checked) {
    const unknown = faces.filter((f) => !f.name).map((f) => ({ left: f.box.left * scale, top: f.box.top * scale, right: f.box.right * scale, bottom: f.box.bottom * scale }));
    if (unknown.length) blurFaces(viewCtx, video, unknown);
  }
  drawFaces(viewCtx, faces, { scale, landmarks: landmarksBox.checked });
  pump();
}

async function start() {
  toggleBtn.disabled = true;
  setStatus(statusEl, 'Starting the camera…');
  try {
    await startCamera(video);
    cameraOn = true;
    $('placeholder').hidden = true;
    toggleBtn.textContent = 'Stop camera';
    if (!ws || ws.readyState > WebSocket.OPEN) connect();
    else if (ws.readyState === WebSocket.OPEN) setStatus(statusEl, `Connected (detector: ${detectorSel.value}).`, 'ok');
    pump();
  } catch (e) {
    cameraOn = false;
    $('placeholder').hidden = false;
    $('placeholder').textContent = 'No camera picture.';
    toggleBtn.textContent = 'Start camera';
    setStatus(statusEl, `Camera unavailable: ${e.message ?? e}. Allow camera access and press “Start camera”.`, 'error');
  } finally {
    toggleBtn.disabled = false;
  }
}

function stop() {
  cameraOn = false;
  stopCamera(video);
  last = null;
  placeLabels(labels, [], 1, 1);
  $('placeholder').hidden = false;
  $('placeholder').textContent = 'Camera stopped.';
  viewCtx.clearRect(0, 0, view.width, view.height);
  toggleBtn.textContent = 'Start camera';
  setStatus(statusEl, 'Camera stopped.');
}

toggleBtn.addEventListener('click', () => (cameraOn ? stop() : start()));
detectorSel.addEventListener('change', () => {
  save('detector', detectorSel.value);
  last = null;
  intervalEma = 0;
  lastResultAt = 0;
  setStatus(statusEl, `Switching to the ${detectorSel.value} detector…`);
  connect();
});
landmarksBox.addEventListener('change', () => save('landmarks', landmarksBox.checked));
blurBox.addEventListener('change', () => save('blur', blurBox.checked));
livenessBox.addEventListener('change', () => {
  save('liveness', livenessBox.checked);
  if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'config', liveness: livenessBox.checked }));
});

const announce = document.createElement('p');
announce.id = 'announce';
announce.className = 'visually-hidden';
announce.setAttribute('aria-live', 'polite');
document.querySelector('main').append(announce);

connect();
start();
requestAnimationFrame(render);
