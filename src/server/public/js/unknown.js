// Gallery page, "Unknown faces" section: faces identification did not name
// (saved with identify --save-unknown or the API's saveUnknown), grouped by the
// last clustering; name a cluster to enrol it as a person.
import { api, confirmDialog, el, errorText, setStatus, withKey } from './common.js';

const $ = (id) => document.getElementById(id);
const section = $('unknown');
const statusEl = $('unknown-status');
const listEl = $('unknown-clusters');

const plural = (n, w) => `${n} ${w}${n === 1 ? '' : 's'}`;

function faceItem(f) {
  return el(
    'li',
    { class: 'card face', dataset: { id: String(f.id) } },
    el('img', { src: withKey(f.thumbnail), alt: `unknown face ${f.id}`, loading: 'lazy', width: 112, height: 112 }),
    el('span', { class: 'meta', text: typeof f.quality === 'number' ? `quality ${f.quality.toFixed(2)}` : 'quality –' }),
  );
}

async function name(url, what) {
  const to = await confirmDialog({ title: `Who is this? (${what})`, message: 'The faces are enrolled as this person (a new one, or added to an existing one) and leave the unknown list.', confirmLabel: 'Enrol', field: { label: 'Name', value: '' } });
  if (!to) return;
  try {
    const r = await api(url, { method: 'POST', body: { name: to } });
    setStatus(statusEl, `Enrolled ${plural(r.added, 'face')} as ${r.person.name}${r.duplicates ? ` (${r.duplicates} from already enrolled photos skipped)` : ''}.`, 'ok');
    location.hash = `person=${encodeURIComponent(r.person.name)}`;
    location.reload();
  } catch (e) {
    setStatus(statusEl, `Could not name them: ${errorText(e)}`, 'error');
  }
}

async function load() {
  let r;
  try {
    r = await api('/unknown-faces');
  } catch (e) {
    setStatus(statusEl, `Could not load the unknown faces: ${errorText(e)}`, 'error');
    return;
  }
  section.hidden = false;
  $('unknown-count').textContent = r.total ? `(${r.total})` : '';
  $('no-unknown').hidden = r.total > 0;
  $('cluster-now').disabled = r.total === 0;
  const groups = r.clusters.map((c, i) =>
    el(
      'li',
      { class: 'panel stack', dataset: { cluster: String(c.id) } },
      el('div', { class: 'row spread' }, el('h3', { text: `Group ${i + 1} — ${plural(c.size, 'face')}` }), el('button', { type: 'button', text: 'Name…', onclick: () => name(`/unknown-clusters/${c.id}/name`, `group ${i + 1}`) })),
      el('ul', { class: 'grid small' }, ...c.faces.map(faceItem)),
    ),
  );
  if (r.unclustered.length) {
    groups.push(
      el(
        'li',
        { class: 'panel stack' },
        el('h3', { text: `Not grouped — ${plural(r.unclustered.length, 'face')} (run “Group similar faces”)` }),
        el('ul', { class: 'grid small' }, ...r.unclustered.map((f) => {
          const item = faceItem(f);
          item.append(el('button', { type: 'button', class: 'small', text: 'Name…', onclick: () => name(`/unknown-faces/${f.id}/name`, `face ${f.id}`) }));
          return item;
        })),
      ),
    );
  }
  listEl.replaceChildren(...groups);
}

$('cluster-now').addEventListener('click', async () => {
  try {
    const r = await api('/unknown-faces/cluster', { method: 'POST', body: {} });
    setStatus(statusEl, `Grouped ${plural(r.faces, 'face')} into ${plural(r.clusters, 'group')}.`, 'ok');
  } catch (e) {
    setStatus(statusEl, `Could not group the faces: ${errorText(e)}`, 'error');
  }
  await load();
});

await load();
