// The queue view: jobs awaiting approval, pending jobs by class (position,
// why each waits, predicted start), running jobs (progress, time since the
// last checkpoint), and preemption freezes; with the actions on jobs
// (submit, cancel, boost, approve) and on freezes. Every action that
// preempts or cancels work asks first.
import {$, act, api, chip, classChip, classRank, clock, duration, effectiveClass, el, gib, hooks, isAdmin,
        jobLink, nowSeconds, state, table} from './core.js';

// A long queue shows the head of each list; the rest is counted. The
// page stays quick with tens of thousands of pending jobs.
const MAX_ROWS = 200;

// The first MAX_ROWS of `list` as rows, then a line counting the rest.
function capped(list, row) {
  const rows = list.slice(0, MAX_ROWS).map(row);
  if (list.length > MAX_ROWS) {
    rows.push(el('tr', {class: 'more'}, el('td', {colSpan: 12, class: 'empty', text: `and ${list.length - MAX_ROWS} more`})));
  }
  return rows;
}

// The two reads of one poll: the live jobs and the freezes in force.
export async function loadQueue(get) {
  const jobs = await get('/v1/jobs?state=pending,running,stopping');
  const freezes = await get('/v1/freezes');
  return {doc: {jobs: jobs.doc.jobs || [], freezes: freezes.doc.freezes || []}, text: jobs.text + freezes.text};
}

export function cancelJob(job) {
  const running = job.state === 'running' || job.state === 'stopping';
  const q = running ? `Cancel job ${job.id} (${job.name})? Its run is stopped and its work since the last checkpoint is lost.`
                    : `Cancel job ${job.id} (${job.name})?`;
  if (confirm(q)) act(`Cancel job ${job.id}`, 'POST', `/v1/jobs/${job.id}/cancel`);
}

export function approveJob(job) {
  if (confirm(`Approve job ${job.id} (${job.name}) to run as ${job.class}? It may preempt lower classes.`)) {
    act(`Approve job ${job.id}`, 'POST', `/v1/jobs/${job.id}/approve`);
  }
}

let boostJob = 0;

export function openBoost(job) {
  boostJob = job.id;
  $('boost-title').textContent = `Boost job ${job.id} (${job.name}, ${effectiveClass(job)})`;
  $('boost-form').hidden = false;
  $('boost-class').focus();
}

function submitBoost(ev) {
  ev.preventDefault();
  const id = boostJob;
  const cls = $('boost-class').value;
  const minutes = Math.round(Number($('boost-minutes').value));
  if (!id || !cls || !(minutes >= 1)) return;
  if (!confirm(`Boost job ${id} to ${cls} for ${minutes} min? It may preempt running work.`)) return;
  $('boost-form').hidden = true;
  act(`Boost job ${id}`, 'POST', `/v1/jobs/${id}/boost`, {class: cls, for_s: minutes * 60});
}

// Freezing a job protects it from preemption (scope job); the queue's panel
// freezes the cluster or a tenant.
export function freezeJob(job) {
  const minutes = 60;
  if (confirm(`Protect job ${job.id} (${job.name}) from preemption for ${minutes} min? Higher classes may wait for it.`)) {
    act(`Freeze job ${job.id}`, 'POST', '/v1/freezes', {scope: 'job', target: String(job.id), for_s: minutes * 60});
  }
}

function submitFreeze(ev) {
  ev.preventDefault();
  const scope = $('freeze-scope').value;
  const target = $('freeze-target').value.trim();
  const minutes = Math.round(Number($('freeze-minutes').value));
  if (!(minutes >= 1)) return;
  const what = scope === 'cluster' ? 'the whole cluster' : `${scope} ${target}`;
  if (!confirm(`Freeze preemption for ${what} for ${minutes} min? No job in scope is preempted meanwhile; urgent jobs may wait.`)) return;
  const body = {scope, for_s: minutes * 60};
  if (scope !== 'cluster') body.target = target;
  act('Freeze', 'POST', '/v1/freezes', body);
}

function unfreeze(f) {
  const what = f.scope === 'cluster' ? 'the whole cluster' : `${f.scope} ${f.target}`;
  if (!confirm(`Unfreeze ${what}? Its jobs may be preempted again.`)) return;
  const q = `scope=${encodeURIComponent(f.scope)}` + (f.scope === 'cluster' ? '' : `&target=${encodeURIComponent(f.target)}`);
  act('Unfreeze', 'DELETE', `/v1/freezes?${q}`);
}

// Posts a job (a YAML text or a JSON object) and shows the answer: the new
// job's link, or the API's own message naming what is wrong.
async function submit(body, contentType) {
  const out = $('submit-result');
  out.className = '';
  out.textContent = 'submitting...';
  try {
    const r = await api('POST', '/v1/jobs', body, contentType);
    out.replaceChildren('Submitted ', jobLink(r.id, `job ${r.id}`), ` (class ${r.class}, tenant ${r.tenant}).`);
  } catch (e) {
    out.className = 'error';
    out.textContent = e.message;
  }
  hooks.refresh();
}

function submitYaml(ev) {
  ev.preventDefault();
  submit($('submit-yaml').value, 'application/yaml');
}

// A number typed in a field, or the text as typed when it is not one, so
// that the API's validation names the field and the value.
function numberOrText(id) {
  const text = $(id).value.trim();
  return text !== '' && Number.isFinite(Number(text)) ? Number(text) : text;
}

// The form's job as the API's JSON (docs/job-spec.md); empty optional
// fields are left out, so their defaults apply.
function formJob() {
  const job = {name: $('jf-name').value.trim()};
  const tenant = $('jf-tenant').value.trim();
  if (tenant) job.tenant = tenant;
  if ($('jf-class').value) job.class = $('jf-class').value;
  const gpus = numberOrText('jf-gpus');
  if (gpus !== '') job.gpus = gpus;
  job.ultralytics = {model: $('jf-model').value.trim(), data: $('jf-data').value.trim(), epochs: numberOrText('jf-epochs')};
  for (const [field, id] of [['imgsz', 'jf-imgsz'], ['batch', 'jf-batch']]) {
    const v = numberOrText(id);
    if (v !== '') job.ultralytics[field] = v;
  }
  return job;
}

function submitForm(ev) {
  ev.preventDefault();
  submit(formJob());
}

// The class lists of the boost and submit forms; a tenant's token submits
// for its own tenant only, so the tenant field is an admin's.
export function fillClasses() {
  $('boost-class').replaceChildren(...state.classes.map((c) => el('option', {value: c.name, text: c.name})));
  $('jf-class').replaceChildren(el('option', {value: '', text: "the tenant's default"}),
                                ...state.classes.map((c) => el('option', {value: c.name, text: c.name})));
  $('jf-tenant-label').hidden = !isAdmin();
  if (!isAdmin()) $('jf-tenant').value = '';
}

export function wireQueue() {
  $('submit-form').addEventListener('submit', submitYaml);
  $('job-form').addEventListener('submit', submitForm);
  $('boost-form').addEventListener('submit', submitBoost);
  $('boost-close').addEventListener('click', () => { $('boost-form').hidden = true; });
  $('freeze-form').addEventListener('submit', submitFreeze);
  $('freeze-scope').addEventListener('change', () => { $('freeze-target').disabled = $('freeze-scope').value === 'cluster'; });
}

// The buttons of a job's row (or its page): what the caller may do.
export function jobButtons(j, withApprove) {
  const out = [];
  if (j.state === 'pending' || j.state === 'running' || j.state === 'stopping') {
    out.push(el('button', {type: 'button', text: 'Boost', 'data-action': 'boost', onclick: () => openBoost(j)}));
  }
  if (j.state === 'pending' || j.state === 'running') {
    out.push(el('button', {type: 'button', text: 'Cancel', 'data-action': 'cancel', onclick: () => cancelJob(j)}));
  }
  if (withApprove && isAdmin()) out.push(el('button', {type: 'button', text: 'Approve', 'data-action': 'approve', onclick: () => approveJob(j)}));
  return out;
}

function jobRow(j, cells, withApprove) {
  return el('tr', {'data-job-id': j.id, 'data-state': j.state, 'data-class': effectiveClass(j)},
            el('td', {}, jobLink(j.id)), el('td', {text: j.name}), el('td', {text: j.tenant}),
            el('td', {}, classChip(j)), ...cells, el('td', {class: 'actions'}, ...jobButtons(j, withApprove)));
}

export function progressBar(p) {
  const bar = el('span', {class: 'progress'}, el('span'));
  bar.firstChild.style.width = p.epochs_total > 0 ? `${(100 * p.epochs_done / p.epochs_total).toFixed(1)}%` : '0';
  return bar;
}

export function renderQueue(doc) {
  const jobs = doc.jobs || [];
  renderFreezes(doc.freezes || []);
  const pending = jobs.filter((j) => j.state === 'pending');
  const running = jobs.filter((j) => j.state === 'running' || j.state === 'stopping');
  const waiting = pending.filter((j) => j.awaiting_approval);

  $('approval').replaceChildren(table(['Job', 'Name', 'Tenant', 'Class', 'GPUs', 'Why'],
      capped(waiting, (j) => jobRow(j, [el('td', {text: j.gpus}), el('td', {text: j.wait ? j.wait.reason : ''})], true)), true));

  const pos = (j) => (j.wait && j.wait.position) || 1e9;
  const byClass = new Map();
  for (const j of pending.sort((a, b) => pos(a) - pos(b))) {
    const c = effectiveClass(j);
    if (!byClass.has(c)) byClass.set(c, []);
    byClass.get(c).push(j);
  }
  const frag = document.createDocumentFragment();
  for (const c of [...byClass.keys()].sort((a, b) => classRank(a) - classRank(b))) {
    const list = byClass.get(c);
    frag.append(el('h3', {}, chip(c), ` ${list.length} pending`));
    frag.append(table(['Job', 'Name', 'Tenant', 'Class', 'Position', 'Waits because', 'Predicted start', 'GPUs'],
        capped(list, (j) => jobRow(j, [
          el('td', {class: 'position', text: j.wait ? j.wait.position : ''}),
          el('td', {title: j.wait ? j.wait.code : '', text: j.wait ? j.wait.reason : 'not yet considered'}),
          el('td', {text: j.wait && j.wait.predicted_start_in_s !== undefined ? `in ${duration(j.wait.predicted_start_in_s)}` : '—'}),
          el('td', {text: `${j.gpus} × ${gib(j.memory_per_gpu_mib)} GiB`}),
        ], j.awaiting_approval)), true));
  }
  if (!pending.length) frag.append(el('p', {class: 'empty', text: 'No job is waiting.'}));
  $('pending').replaceChildren(frag);

  const now = nowSeconds();
  $('running').replaceChildren(table(['Job', 'Name', 'Tenant', 'Class', 'State', 'Progress', 'Since last checkpoint', 'Placement', 'Running for'],
      capped(running, (j) => {
        const p = j.progress || {epochs_done: 0, epochs_total: 0, checkpoint_epoch: 0};
        const placement = (j.placement || []).map((x) => `${x.node}/gpu${x.gpu}`).join(', ');
        const saved = !j.saved_at ? '' : p.checkpoint_epoch > 0 ? `${duration(now - j.saved_at)} (epoch ${p.checkpoint_epoch})`
                                                                  : `${duration(now - j.saved_at)} (none yet)`;
        return jobRow(j, [el('td', {class: 'job-state', text: j.state}),
                          el('td', {}, progressBar(p), ` ${p.epochs_done}/${p.epochs_total || '?'} epochs`),
                          el('td', {class: 'since-checkpoint', text: saved}),
                          el('td', {text: placement}), el('td', {text: j.started_at ? duration(now - j.started_at) : ''})], false);
      }), true));
}

function renderFreezes(freezes) {
  $('freeze-form').hidden = !isAdmin();
  const rows = freezes.map((f) => el('tr', {'data-freeze': `${f.scope}:${f.target || ''}`},
      el('td', {text: f.scope}),
      el('td', {}, f.scope === 'job' ? jobLink(f.target) : (f.target || 'everything')),
      el('td', {text: `${clock(f.expires_at)} (in ${duration(f.expires_at - nowSeconds())})`}),
      el('td', {class: 'actions'}, isAdmin() ? el('button', {type: 'button', text: 'Unfreeze', 'data-action': 'unfreeze', onclick: () => unfreeze(f)}) : null)));
  $('freezes').replaceChildren(freezes.length ? table(['Scope', 'Target', 'Expires'], rows, true)
                                              : el('p', {class: 'empty', text: 'None: any preemptible job may be preempted.'}));
}
