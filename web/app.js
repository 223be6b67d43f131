// gpusched dashboard: plain JavaScript, no libraries, no build step.
// Talks only to the REST API (docs/openapi.yaml) with the token the user
// signs in with (kept in sessionStorage: this tab's session only). Polls
// the visible view only, one GET per poll, never two at once, and not at
// all while the tab is hidden. Every server string reaches the DOM through
// textContent (el() below), never as HTML.
'use strict';

const POLL_MS = 2000;
const MAX_NODES_PER_GROUP = 400;  // beyond this, the filter narrows the view
const OPEN_GROUPS_UP_TO = 200;    // more nodes shown: groups start closed
const TOKEN_KEY = 'gpusched.token';
const PALETTE = ['#d62728', '#ff7f0e', '#1f77b4', '#2ca02c', '#9467bd', '#8c564b',
                 '#e377c2', '#17becf', '#bcbd22', '#7f7f7f'];
const EVENT_KINDS = ['submitted', 'bind', 'stop', 'preempt', 'defrag', 'requeued', 'started',
                     'checkpoint', 'memory', 'succeeded', 'failed', 'cancelled', 'cancel', 'boost',
                     'approve', 'freeze', 'unfreeze', 'drain', 'undrain', 'node', 'gpu', 'lease'];

const state = {
  token: sessionStorage.getItem(TOKEN_KEY) || '',
  me: null,          // {name, role, tenant}
  classes: [],       // [{name, value, ...}], highest first
  view: 'fleet',
  timer: 0,
  inFlight: false,
  data: {fleet: null, queue: null, events: null},
  raw: {fleet: '', queue: '', events: ''},  // the last body, to skip unchanged renders
  boostJob: 0,
};

// --- small helpers --------------------------------------------------------

const $ = (id) => document.getElementById(id);

// An element with attributes and children; strings become text nodes.
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = String(v);
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k.startsWith('data-') || k === 'title' || k === 'type' || k === 'open') e.setAttribute(k, String(v));
    else e[k] = v;
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

function isAdmin() { return state.me && state.me.role === 'admin'; }

function classColor(name) {
  const i = state.classes.findIndex((c) => c.name === name);
  if (i >= 0) return PALETTE[i % PALETTE.length];
  let h = 0;
  for (const ch of String(name)) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return PALETTE[h % PALETTE.length];
}

function chip(cls, extra) {
  const c = el('span', {class: 'class-chip job-class', text: cls, 'data-class': cls});
  c.style.setProperty('--swatch', classColor(cls));
  if (extra) c.title = extra;
  return c;
}

function gib(mib) { return (mib / 1024).toFixed(mib >= 10240 ? 0 : 1); }

function duration(s) {
  if (s < 0) s = 0;
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

function clock(unix) { return new Date(unix * 1000).toLocaleString(); }

function setStatus(text) { $('status').textContent = text || ''; }

// --- the API --------------------------------------------------------------

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

// A request with the token; resolves to the JSON body, rejects with
// ApiError carrying the API's own message.
async function api(method, path, body, contentType) {
  return (await apiText(method, path, body, contentType)).doc;
}

// As api(), also giving the body's text.
async function apiText(method, path, body, contentType) {
  const headers = {Authorization: `Bearer ${state.token}`};
  const init = {method, headers, cache: 'no-store'};
  if (body !== undefined) {
    headers['Content-Type'] = contentType || 'application/json';
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
  }
  const res = await fetch(path, init);
  const text = await res.text();
  let doc = null;
  try { doc = JSON.parse(text); } catch (e) { doc = null; }
  if (!res.ok) {
    const msg = doc && doc.error ? doc.error.message : `HTTP ${res.status}`;
    throw new ApiError(res.status, msg);
  }
  return {doc, text};
}

// --- sign-in --------------------------------------------------------------

async function signIn(token) {
  state.token = token;
  try {
    state.me = await api('GET', '/v1/whoami');
    const cls = await api('GET', '/v1/classes');
    state.classes = (cls.classes || []).slice().sort((a, b) => b.value - a.value);
  } catch (e) {
    state.token = '';
    state.me = null;
    sessionStorage.removeItem(TOKEN_KEY);
    $('signin-error').textContent = e.status === 401 ? 'Unknown token.' : e.message;
    showSignedIn(false);
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  $('signin-error').textContent = '';
  showSignedIn(true);
  renderLegend();
  fillBoostClasses();
  show(location.hash.slice(1) || 'fleet');
}

function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  state.token = '';
  state.me = null;
  state.data = {fleet: null, queue: null, events: null};
  state.raw = {fleet: '', queue: '', events: ''};
  clearTimeout(state.timer);
  showSignedIn(false);
}

function showSignedIn(on) {
  $('signin').hidden = on;
  $('tabs').hidden = !on;
  $('signout').hidden = !on;
  const me = state.me;
  $('who').textContent = on && me ? (me.role === 'tenant' ? `tenant ${me.tenant}` : `${me.role} ${me.name}`) : '';
  for (const v of document.querySelectorAll('.view')) v.hidden = true;
  if (!on) $('token').value = '';
}

// --- views and polling ----------------------------------------------------

const VIEWS = {
  fleet: {path: () => '/v1/nodes', render: renderFleet},
  queue: {path: () => '/v1/jobs', render: renderQueue},
  events: {path: () => {
    const kind = $('events-kind').value;
    return '/v1/events?limit=200' + (kind ? `&kind=${encodeURIComponent(kind)}` : '');
  }, render: renderEvents},
};

function show(view) {
  if (!Object.hasOwn(VIEWS, view)) view = 'fleet';
  state.view = view;
  if (location.hash !== `#${view}`) history.replaceState(null, '', `#${view}`);
  for (const b of document.querySelectorAll('.tab')) b.classList.toggle('active', b.dataset.view === view);
  for (const v of document.querySelectorAll('.view')) v.hidden = v.id !== `view-${view}`;
  if (state.data[view]) VIEWS[view].render(state.data[view]);
  pollNow();
}

// Polls the visible view now, then every POLL_MS; one request at a time.
async function pollNow() {
  clearTimeout(state.timer);
  if (!state.me || document.hidden) return;
  if (state.inFlight) { state.timer = setTimeout(pollNow, 200); return; }
  const view = state.view;
  state.inFlight = true;
  try {
    const {doc, text} = await apiText('GET', VIEWS[view].path());
    // An unchanged answer is not drawn again (a large fleet costs the
    // browser real work per render); times shown as "ago" may then lag.
    if (text !== state.raw[view]) {
      state.raw[view] = text;
      state.data[view] = doc;
      if (view === state.view) VIEWS[view].render(doc);
    }
    setStatus('');
  } catch (e) {
    if (e.status === 401) { signOut(); $('signin-error').textContent = 'The token is no longer accepted.'; return; }
    setStatus(`Cannot refresh: ${e.message}`);
  } finally {
    state.inFlight = false;
  }
  if (state.me && !document.hidden) state.timer = setTimeout(pollNow, POLL_MS);
}

// --- actions --------------------------------------------------------------

async function act(what, method, path, body) {
  try {
    await api(method, path, body);
    setStatus('');
  } catch (e) {
    setStatus(`${what}: ${e.message}`);
    alert(`${what} failed: ${e.message}`);
  }
  pollNow();
}

function cancelJob(job) {
  const running = job.state === 'running' || job.state === 'stopping';
  const q = running ? `Cancel job ${job.id} (${job.name})? Its run is stopped and its work since the last checkpoint is lost.`
                    : `Cancel job ${job.id} (${job.name})?`;
  if (confirm(q)) act(`Cancel job ${job.id}`, 'POST', `/v1/jobs/${job.id}/cancel`);
}

function approveJob(job) {
  if (confirm(`Approve job ${job.id} (${job.name}) to run as ${job.class}? It may preempt lower classes.`)) {
    act(`Approve job ${job.id}`, 'POST', `/v1/jobs/${job.id}/approve`);
  }
}

function openBoost(job) {
  state.boostJob = job.id;
  $('boost-title').textContent = `Boost job ${job.id} (${job.name}, ${job.class})`;
  $('boost-form').hidden = false;
  $('boost-class').focus();
}

function submitBoost(ev) {
  ev.preventDefault();
  const id = state.boostJob;
  const cls = $('boost-class').value;
  const minutes = Math.round(Number($('boost-minutes').value));
  if (!id || !cls || !(minutes >= 1)) return;
  if (!confirm(`Boost job ${id} to ${cls} for ${minutes} min? It may preempt running work.`)) return;
  $('boost-form').hidden = true;
  act(`Boost job ${id}`, 'POST', `/v1/jobs/${id}/boost`, {class: cls, for_s: minutes * 60});
}

function drainNode(node, drain) {
  const verb = drain ? 'Drain' : 'Undrain';
  const q = drain ? `Drain ${node.name}? No new work is placed on it; running work stays.`
                  : `Undrain ${node.name}? It takes new work again.`;
  if (confirm(q)) act(`${verb} ${node.name}`, 'POST', `/v1/nodes/${encodeURIComponent(node.name)}/${drain ? 'drain' : 'undrain'}`);
}

async function submitJob(ev) {
  ev.preventDefault();
  const out = $('submit-result');
  out.className = '';
  out.textContent = 'submitting...';
  try {
    const r = await api('POST', '/v1/jobs', $('submit-yaml').value, 'application/yaml');
    out.textContent = `Submitted job ${r.id} (class ${r.class}, tenant ${r.tenant}).`;
  } catch (e) {
    out.className = 'error';
    out.textContent = e.message;
  }
  pollNow();
}

function fillBoostClasses() {
  const sel = $('boost-class');
  sel.replaceChildren(...state.classes.map((c) => el('option', {value: c.name, text: c.name})));
}

function renderLegend() {
  $('legend').replaceChildren(...state.classes.map((c) => {
    const s = el('span', {text: c.name});
    s.style.setProperty('--swatch', classColor(c.name));
    return s;
  }), (() => { const s = el('span', {text: 'other tenants'}); s.style.setProperty('--swatch', '#9aa3af'); return s; })());
}

// --- fleet ----------------------------------------------------------------

function nodeMatches(node, words) {
  if (!words.length) return true;
  const hay = [node.name, node.state, ...(node.labels || [])];
  for (const g of node.gpus || []) {
    hay.push(g.type, g.healthy ? '' : 'unhealthy');
    for (const j of g.jobs || []) hay.push(j.name, String(j.id), j.class, j.tenant);
  }
  const text = hay.join(' ').toLowerCase();
  return words.every((w) => text.includes(w));
}

function groupKey(node, by) {
  if (by === 'type') return [...new Set((node.gpus || []).map((g) => g.type))].join(' + ') || 'no GPUs';
  if (by === 'prefix') { const m = /^(.*?)[-_.]?\d+$/.exec(node.name); return m && m[1] ? m[1] : node.name.split(/[-_.]/)[0]; }
  const sick = (node.gpus || []).some((g) => !g.healthy);
  return node.state === 'ready' && sick ? 'ready, with unhealthy GPUs' : node.state;
}

const openGroups = new Map();  // group name -> open, kept across polls

function renderFleet(doc) {
  const nodes = doc.nodes || [];
  const words = $('fleet-filter').value.toLowerCase().split(/\s+/).filter(Boolean);
  const by = $('fleet-group').value;
  const groups = new Map();
  let gpus = 0, busy = 0, sick = 0, shown = 0;
  for (const n of nodes) {
    for (const g of n.gpus || []) { gpus++; if (g.allocated_mib > 0) busy++; if (!g.healthy) sick++; }
    if (!nodeMatches(n, words)) continue;
    shown++;
    const k = groupKey(n, by);
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k).push(n);
  }
  $('fleet-summary').textContent =
      `${nodes.length} nodes, ${gpus} GPUs (${busy} in use, ${sick} unhealthy)` + (words.length ? `; ${shown} nodes match` : '');
  const frag = document.createDocumentFragment();
  for (const [name, list] of [...groups.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
    const key = `${by}:${name}`;
    const open = openGroups.has(key) ? openGroups.get(key) : shown <= OPEN_GROUPS_UP_TO;
    const det = el('details', {class: 'group', open});
    let g = 0, u = 0, bad = 0;
    for (const n of list) for (const x of n.gpus || []) { g++; if (x.allocated_mib > 0) u++; if (!x.healthy) bad++; }
    det.append(el('summary', {text: `${name}: ${list.length} nodes, ${g} GPUs (${u} in use` + (bad ? `, ${bad} unhealthy)` : ')')}));
    det.addEventListener('toggle', () => {
      // Remember what the user chose, not the default (whose toggle event
      // fires too), so that clearing the filter closes a large group again.
      if (det.open !== open || openGroups.has(key)) openGroups.set(key, det.open);
      if (det.open && det.childElementCount === 1) det.append(nodeList(list));
    });
    if (open) det.append(nodeList(list));  // a closed group costs no tiles
    frag.append(det);
  }
  if (!nodes.length) frag.append(el('p', {class: 'empty', text: 'No node has registered yet.'}));
  $('fleet').replaceChildren(frag);
}

function nodeList(list) {
  const box = el('div', {class: 'nodes'});
  for (const n of list.slice(0, MAX_NODES_PER_GROUP)) box.append(nodeCard(n));
  if (list.length > MAX_NODES_PER_GROUP) {
    box.append(el('p', {class: 'empty', text: `${list.length - MAX_NODES_PER_GROUP} more nodes: narrow the filter to see them.`}));
  }
  return box;
}

function nodeCard(n) {
  const head = el('div', {class: 'node-head'}, el('span', {class: 'name', text: n.name}));
  if (n.state !== 'ready') head.append(el('span', {class: `badge ${n.state}`, text: n.state}));
  if (isAdmin() && n.state !== 'lost') {
    head.append(el('button', {type: 'button', class: 'small', text: n.drained ? 'Undrain' : 'Drain',
                              onclick: () => drainNode(n, !n.drained)}));
  }
  const gpus = el('div', {class: 'gpus'}, ...(n.gpus || []).map((g) => gpuTile(n, g)));
  return el('div', {class: `node ${n.state}`, 'data-node': n.name}, head, gpus);
}

function gpuTile(n, g) {
  const bar = el('div', {class: 'bar'});
  const total = g.memory_mib || 1;
  let mine = 0;
  for (const j of g.jobs || []) {
    mine += j.mib;
    const seg = el('span', {title: `job ${j.id} ${j.name} (${j.class}, ${j.tenant}): ${gib(j.mib)} GiB`});
    seg.style.width = `${(100 * j.mib / total).toFixed(2)}%`;
    seg.style.background = classColor(j.class);
    bar.append(seg);
  }
  const other = g.allocated_mib - mine;
  if (other > 0) {
    const seg = el('span', {class: 'other', title: `other tenants' jobs: ${gib(other)} GiB`});
    seg.style.width = `${(100 * other / total).toFixed(2)}%`;
    bar.append(seg);
  }
  const readings = [];
  readings.push(g.utilization_pct >= 0 ? `${g.utilization_pct}% util` : 'util ?');
  readings.push(g.temperature_c >= 0 ? `${g.temperature_c} °C` : 'temp ?');
  if (g.memory_used_mib >= 0) readings.push(`${gib(g.memory_used_mib)} GiB seen`);
  const tile = el('div', {class: `gpu-tile${g.healthy ? '' : ' unhealthy'}`, 'data-node': n.name, 'data-gpu': g.index},
      el('div', {}, el('b', {text: `gpu${g.index}`}), ` ${g.type}`,
         g.healthy ? null : el('span', {class: 'badge unhealthy', text: 'unhealthy'})),
      bar,
      el('div', {class: 'small', text: `${gib(g.allocated_mib)} / ${gib(g.memory_mib)} GiB allocated, ${gib(Math.max(0, g.memory_mib - g.allocated_mib))} free`}),
      el('div', {class: 'readings small', text: readings.join(' · ')}));
  if (!g.healthy && g.health_reason) tile.append(el('div', {class: 'reason small', text: g.health_reason}));
  for (const j of g.jobs || []) tile.append(el('div', {class: 'small'}, chip(j.class), ` ${j.id} ${j.name}`));
  return tile;
}

// --- queue ----------------------------------------------------------------

function effectiveClass(j) { return j.boost ? j.boost.class : j.class; }

function classChip(j) {
  if (!j.boost) return chip(j.class);
  const c = chip(j.boost.class, `boosted from ${j.class} until ${clock(j.boost.expires_at)}`);
  return el('span', {}, c, el('span', {class: 'small', text: ` (from ${j.class})`}));
}

function jobActions(j, withApprove) {
  const td = el('td', {class: 'actions'});
  td.append(el('button', {type: 'button', text: 'Boost', 'data-action': 'boost', onclick: () => openBoost(j)}));
  if (j.state !== 'stopping') td.append(el('button', {type: 'button', text: 'Cancel', 'data-action': 'cancel', onclick: () => cancelJob(j)}));
  if (withApprove && isAdmin()) td.append(el('button', {type: 'button', text: 'Approve', 'data-action': 'approve', onclick: () => approveJob(j)}));
  return td;
}

function table(headers, rows) {
  if (!rows.length) return el('p', {class: 'empty', text: 'None.'});
  return el('table', {}, el('thead', {}, el('tr', {}, ...[...headers, ''].map((h) => el('th', {text: h})))),
            el('tbody', {}, ...rows));
}

function jobRow(j, cells, withApprove) {
  return el('tr', {'data-job-id': j.id, 'data-state': j.state, 'data-class': effectiveClass(j)},
            el('td', {text: j.id}), el('td', {text: j.name}), el('td', {text: j.tenant}),
            el('td', {}, classChip(j)), ...cells, jobActions(j, withApprove));
}

function renderQueue(doc) {
  const jobs = doc.jobs || [];
  const pending = jobs.filter((j) => j.state === 'pending');
  const running = jobs.filter((j) => j.state === 'running' || j.state === 'stopping');
  const waiting = pending.filter((j) => j.awaiting_approval);

  $('approval').replaceChildren(table(['Job', 'Name', 'Tenant', 'Class', 'GPUs', 'Why'],
      waiting.map((j) => jobRow(j, [el('td', {text: j.gpus}), el('td', {text: j.wait ? j.wait.reason : ''})], true))));

  const pos = (j) => (j.wait && j.wait.position) || 1e9;
  const byClass = new Map();
  for (const j of pending.sort((a, b) => pos(a) - pos(b))) {
    const c = effectiveClass(j);
    if (!byClass.has(c)) byClass.set(c, []);
    byClass.get(c).push(j);
  }
  const rank = (c) => { const i = state.classes.findIndex((x) => x.name === c); return i < 0 ? 1e9 : i; };
  const frag = document.createDocumentFragment();
  for (const c of [...byClass.keys()].sort((a, b) => rank(a) - rank(b))) {
    const list = byClass.get(c);
    frag.append(el('h3', {}, chip(c), ` ${list.length} pending`));
    frag.append(table(['Job', 'Name', 'Tenant', 'Class', 'Position', 'Waits because', 'Predicted start', 'GPUs'],
        list.map((j) => jobRow(j, [
          el('td', {class: 'position', text: j.wait ? j.wait.position : ''}),
          el('td', {title: j.wait ? j.wait.code : '', text: j.wait ? j.wait.reason : 'not yet considered'}),
          el('td', {text: j.wait && j.wait.predicted_start_in_s !== undefined ? `in ${duration(j.wait.predicted_start_in_s)}` : '—'}),
          el('td', {text: `${j.gpus} × ${gib(j.memory_per_gpu_mib)} GiB`}),
        ], j.awaiting_approval))));
  }
  if (!pending.length) frag.append(el('p', {class: 'empty', text: 'No job is waiting.'}));
  $('pending').replaceChildren(frag);

  $('running').replaceChildren(table(['Job', 'Name', 'Tenant', 'Class', 'State', 'Progress', 'Placement', 'Running for'],
      running.map((j) => {
        const p = j.progress || {epochs_done: 0, epochs_total: 0};
        const bar = el('span', {class: 'progress'}, el('span'));
        bar.firstChild.style.width = p.epochs_total > 0 ? `${(100 * p.epochs_done / p.epochs_total).toFixed(1)}%` : '0';
        const placement = (j.placement || []).map((x) => `${x.node}/gpu${x.gpu}`).join(', ');
        const since = j.started_at ? duration(Math.max(0, Math.round(Date.now() / 1000) - j.started_at)) : '';
        return jobRow(j, [el('td', {class: 'job-state', text: j.state}),
                          el('td', {}, bar, ` ${p.epochs_done}/${p.epochs_total || '?'} epochs`),
                          el('td', {text: placement}), el('td', {text: since})], false);
      })));
}

// --- events ---------------------------------------------------------------

function renderEvents(doc) {
  const words = $('events-filter').value.toLowerCase().split(/\s+/).filter(Boolean);
  const rows = [];
  for (const e of (doc.events || []).slice().reverse()) {
    const text = `${e.job} ${e.kind} ${e.text}`.toLowerCase();
    if (!words.every((w) => text.includes(w))) continue;
    rows.push(el('tr', {'data-kind': e.kind}, el('td', {text: clock(e.time)}),
                 el('td', {text: e.job || ''}), el('td', {text: e.kind}), el('td', {text: e.text})));
  }
  $('events').replaceChildren(...rows);
  if (!rows.length) $('events').append(el('tr', {}, el('td', {class: 'empty', text: 'No events.', colSpan: 4})));
}

// --- wiring ---------------------------------------------------------------

function init() {
  const kinds = $('events-kind');
  for (const k of EVENT_KINDS) kinds.append(el('option', {value: k, text: k}));
  $('signin-form').addEventListener('submit', (ev) => { ev.preventDefault(); signIn($('token').value.trim()); });
  $('signout').addEventListener('click', signOut);
  for (const b of document.querySelectorAll('.tab')) b.addEventListener('click', () => show(b.dataset.view));
  $('fleet-filter').addEventListener('input', () => state.data.fleet && renderFleet(state.data.fleet));
  $('fleet-group').addEventListener('change', () => state.data.fleet && renderFleet(state.data.fleet));
  $('events-kind').addEventListener('change', pollNow);
  $('events-filter').addEventListener('input', () => state.data.events && renderEvents(state.data.events));
  $('submit-form').addEventListener('submit', submitJob);
  $('boost-form').addEventListener('submit', submitBoost);
  $('boost-close').addEventListener('click', () => { $('boost-form').hidden = true; });
  document.addEventListener('visibilitychange', () => { if (!document.hidden) pollNow(); else clearTimeout(state.timer); });
  window.addEventListener('hashchange', () => state.me && show(location.hash.slice(1)));
  showSignedIn(false);
  if (state.token) signIn(state.token);
}

init();
