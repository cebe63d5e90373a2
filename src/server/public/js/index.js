// Home page: server health (GET /api/v1/health), refreshed every 10 s.
import { api, el, errorText, setStatus } from './common.js';

const dot = document.getElementById('health-dot');
const statusEl = document.getElementById('health-status');
const list = document.getElementById('health');

/** Flattens {a: {b: 1}} to [['a.b', '1']] (arrays joined) for display. */
function entries(obj, prefix = '') {
  const out = [];
  for (const [k, v] of Object.entries(obj ?? {})) {
    const key = prefix ? `${prefix} ${k}` : k;
    if (v && typeof v === 'object' && !Array.isArray(v)) out.push(...entries(v, key));
    else out.push([key, Array.isArray(v) ? v.join(', ') : String(v)]);
  }
  return out;
}

async function check() {
  try {
    const h = await api('/health');
    const ok = !h || h.ok === true || ['ok', 'up', 'healthy'].includes(String(h.status ?? 'ok').toLowerCase());
    dot.dataset.state = ok ? 'ok' : 'error';
    setStatus(statusEl, ok ? 'The server is up.' : `The server reports a problem (${h.status ?? 'not ok'}).`, ok ? 'ok' : 'warn');
    list.replaceChildren(...entries(h).flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: v })]));
  } catch (e) {
    dot.dataset.state = 'error';
    setStatus(statusEl, `The server is not answering: ${errorText(e)}`, 'error');
    list.replaceChildren();
  }
}

check();
setInterval(check, 10000);
