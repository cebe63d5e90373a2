// Gallery page: persons with a thumbnail and face count; one person's faces;
// rename, merge, delete person and delete face, each confirmed in a dialog.
import { api, confirmDialog, el, errorText, personPath, setStatus, withKey } from './common.js';

const $ = (id) => document.getElementById(id);
const statusEl = $('status');
const personsEl = $('persons');
const personSection = $('person');
const facesEl = $('faces');

let persons = [];
let current = null; // open person's name

/** A person's or face's thumbnail URL (`thumbnail`; `thumbnailUrl` in the first API draft). */
const thumb = (x) => x.thumbnail ?? x.thumbnailUrl ?? null;
const plural = (n, w) => `${n} ${w}${n === 1 ? '' : 's'}`;

function fmtDate(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleString();
}

async function loadPersons() {
  personsEl.setAttribute('aria-busy', 'true');
  try {
    const r = await api('/persons');
    persons = (Array.isArray(r) ? r : r?.persons) ?? [];
  } catch (e) {
    setStatus(statusEl, `Could not load the gallery: ${errorText(e)}`, 'error');
    persons = [];
  }
  personsEl.setAttribute('aria-busy', 'false');
  $('person-count').textContent = persons.length ? `(${persons.length})` : '';
  $('no-persons').hidden = persons.length > 0;
  personsEl.replaceChildren(
    ...persons.map((p) =>
      el(
        'li',
        {},
        el(
          'button',
          {
            type: 'button',
            class: 'card person',
            dataset: { name: p.name, count: String(p.faceCount) },
            'aria-pressed': String(p.name === current),
            onclick: () => (location.hash = `person=${encodeURIComponent(p.name)}`),
          },
          el('img', { src: thumb(p) ? withKey(thumb(p)) : undefined, alt: '', loading: 'lazy', width: 150, height: 150 }),
          el('span', { class: 'body' }, el('span', { class: 'title', text: p.name }), el('span', { class: 'meta count', text: plural(p.faceCount, 'face') })),
        ),
      ),
    ),
  );
}

async function openPerson(name) {
  current = name;
  for (const b of personsEl.querySelectorAll('button.card')) b.setAttribute('aria-pressed', String(b.dataset.name === name));
  personSection.hidden = false;
  $('person-heading').textContent = name;
  facesEl.setAttribute('aria-busy', 'true');
  facesEl.replaceChildren();
  let faces;
  try {
    const r = await api(personPath(name, '/faces'));
    faces = (Array.isArray(r) ? r : r?.faces) ?? [];
  } catch (e) {
    if (e.status === 404) {
      closePerson();
      setStatus(statusEl, `${name} is not in the gallery.`, 'warn');
    } else setStatus(statusEl, `Could not load ${name}’s faces: ${errorText(e)}`, 'error');
    return;
  }
  if (current !== name) return;
  $('person-heading').textContent = `${name} — ${plural(faces.length, 'face')}`;
  facesEl.setAttribute('aria-busy', 'false');
  facesEl.replaceChildren(
    ...faces.map((f, i) =>
      el(
        'li',
        { class: 'card face', dataset: { id: String(f.id) } },
        el('img', { src: withKey(thumb(f)), alt: `${name}, face ${i + 1}`, loading: 'lazy', width: 150, height: 150 }),
        el(
          'div',
          { class: 'body' },
          el('span', { class: 'meta', text: fmtDate(f.createdAt) }),
          typeof f.quality === 'number' ? el('span', { class: 'meta', text: `quality ${f.quality.toFixed(2)}` }) : null,
          el('button', { type: 'button', class: 'small danger', text: 'Delete', 'aria-label': `Delete face ${i + 1} of ${name}`, onclick: () => deleteFace(f, i, faces.length) }),
        ),
      ),
    ),
  );
}

function closePerson() {
  current = null;
  personSection.hidden = true;
  for (const b of personsEl.querySelectorAll('button.card')) b.setAttribute('aria-pressed', 'false');
  if (location.hash) history.replaceState(null, '', location.pathname + location.search);
}

async function run(action, done) {
  try {
    await action();
    setStatus(statusEl, done, 'ok');
    return true;
  } catch (e) {
    setStatus(statusEl, `Failed: ${errorText(e)}`, 'error');
    return false;
  }
}

async function deleteFace(face, i, total) {
  const name = current;
  const last = total === 1;
  const ok = await confirmDialog({
    title: 'Delete this face?',
    message: last ? `This is ${name}’s only face: deleting it removes ${name} from the gallery.` : `Face ${i + 1} of ${name} will be removed from the gallery.`,
    confirmLabel: 'Delete face',
    danger: true,
  });
  if (!ok) return;
  if (await run(() => api(`/faces/${encodeURIComponent(face.id)}`, { method: 'DELETE' }), `Deleted face ${i + 1} of ${name}.`)) {
    await loadPersons();
    if (persons.some((p) => p.name === name)) await openPerson(name);
    else closePerson();
  }
}

$('rename').addEventListener('click', async () => {
  const name = current;
  const to = await confirmDialog({ title: `Rename ${name}`, confirmLabel: 'Rename', field: { label: 'New name', value: name } });
  if (!to || to === name) return;
  if (await run(() => api(personPath(name), { method: 'PATCH', body: { name: to } }), `Renamed ${name} to ${to}.`)) {
    location.hash = `person=${encodeURIComponent(to)}`;
    await loadPersons();
  }
});

$('merge').addEventListener('click', async () => {
  const name = current;
  const others = persons.map((p) => p.name).filter((n) => n !== name);
  if (!others.length) {
    setStatus(statusEl, 'There is nobody else to merge into.', 'warn');
    return;
  }
  const into = await confirmDialog({
    title: `Merge ${name} into…`,
    message: `All of ${name}’s faces move to the chosen person, and ${name} is removed.`,
    confirmLabel: 'Merge',
    field: { label: 'Merge into', options: others },
  });
  if (!into) return;
  if (await run(() => api(personPath(name, '/merge'), { method: 'POST', body: { into } }), `Merged ${name} into ${into}.`)) {
    location.hash = `person=${encodeURIComponent(into)}`;
    await loadPersons();
  }
});

$('delete-person').addEventListener('click', async () => {
  const name = current;
  const ok = await confirmDialog({ title: `Delete ${name}?`, message: `${name} and all their faces are removed from the gallery. This cannot be undone.`, confirmLabel: 'Delete person', danger: true });
  if (!ok) return;
  if (await run(() => api(personPath(name), { method: 'DELETE' }), `Deleted ${name}.`)) {
    closePerson();
    await loadPersons();
    personsEl.querySelector('button')?.focus();
  }
});

$('close-person').addEventListener('click', closePerson);

function fromHash() {
  const m = /^#person=(.*)$/.exec(location.hash);
  if (!m) return null;
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return null;
  }
}

window.addEventListener('hashchange', async () => {
  const name = fromHash();
  if (name) {
    await openPerson(name);
    personSection.focus();
  } else closePerson();
});

await loadPersons();
const initial = fromHash();
if (initial) await openPerson(initial);
