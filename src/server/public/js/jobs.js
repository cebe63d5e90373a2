// Jobs page: the queue's batch jobs with their progress (GET /api/v1/jobs), and
// one job's failed photos with their errors (GET /api/v1/jobs/:id). Polls every 2 s.
import { api, el, errorText, setStatus } from './common.js';

const status = document.getElementById('status');
const table = document.getElementById('jobs');
const tbody = table.querySelector('tbody');
const noJobs = document.getElementById('no-jobs');
const jobCount = document.getElementById('job-count');
const panel = document.getElementById('job');
const failedTable = document.getElementById('failed');
const noFailed = document.getElementById('no-failed');

let selected = new URLSearchParams(location.search).get('job');

const duration = (s) => (s === null || s === undefined ? '–' : s >= 3600 ? `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min` : s >= 60 ? `${Math.floor(s / 60)} min ${Math.round(s % 60)} s` : `${Math.round(s)} s`);
const rate = (r) => (typeof r === 'number' ? `${r.toFixed(1)}/s` : '–');

function progressBar(job) {
  const value = job.done + job.failed;
  return el('progress', { max: String(Math.max(job.total, 1)), value: String(value), 'aria-label': `${value} of ${job.total} photos` });
}

function row(job) {
  const link = el('a', { href: `?job=${encodeURIComponent(job.id)}`, text: job.id, onclick: (ev) => {
    ev.preventDefault();
    selected = job.id;
    history.replaceState(null, '', `?job=${encodeURIComponent(job.id)}`);
    void refresh();
  } });
  return el('tr', { 'aria-selected': job.id === selected ? 'true' : 'false' },
    el('td', {}, link),
    el('td', { text: job.kind }),
    el('td', {}, progressBar(job)),
    el('td', { text: `${job.done} / ${job.total}` }),
    el('td', { text: String(job.failed) }),
    el('td', { text: String(job.active) }),
    el('td', { text: String(job.waiting) }),
    el('td', { text: rate(job.rate) }),
    el('td', { text: job.finished ? 'finished' : duration(job.etaSeconds) }));
}

async function showJob(id) {
  const job = await api(`/jobs/${encodeURIComponent(id)}`);
  panel.hidden = false;
  document.getElementById('job-heading').textContent = `Job ${job.id} (${job.kind})`;
  document.getElementById('job-detail').textContent = `${job.dir} · created ${new Date(job.createdAt).toLocaleString()} · ${job.done} done, ${job.failed} failed of ${job.total}${job.finished ? ' · finished' : ''}`;
  document.getElementById('failed-count').textContent = job.failed ? `(${job.failed})` : '';
  failedTable.hidden = job.failedPhotos.length === 0;
  noFailed.hidden = job.failedPhotos.length > 0;
  failedTable.querySelector('tbody').replaceChildren(...job.failedPhotos.map((f) => el('tr', {}, el('td', { text: f.path }), el('td', { text: f.error }), el('td', { text: String(f.attempts) }))));
}

async function refresh() {
  try {
    const { jobs } = await api('/jobs');
    tbody.replaceChildren(...jobs.map(row));
    table.hidden = jobs.length === 0;
    noJobs.hidden = jobs.length > 0;
    jobCount.textContent = `(${jobs.length})`;
    if (selected) await showJob(selected);
    setStatus(status, '');
  } catch (e) {
    setStatus(status, errorText(e), 'error');
  }
}

void refresh();
setInterval(() => {
  if (!document.hidden) void refresh();
}, 2000);
