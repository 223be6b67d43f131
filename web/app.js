// gpusched dashboard: plain JavaScript modules, no libraries, no build step.
// Talks only to the REST API (docs/openapi.yaml) with the token the user
// signs in with (kept in sessionStorage: this tab's session only). Polls
// the visible view only, one request at a time, never two polls at once,
// and not at all while the tab is hidden.
//
// This file: sign-in, the views and their routes (#fleet, #queue, #sla,
// #events, #job/ID), polling. Each view lives in its own module.
import {$, ApiError, TOKEN_KEY, api, apiText, hooks, setStatus, state} from './core.js';
import {renderFleet, renderLegend} from './fleet.js';
import {fillClasses, loadQueue, renderQueue, wireQueue} from './queue.js';
import {loadSla, renderSla} from './sla.js';
import {eventsPath, fillEventKinds, renderEvents} from './events.js';
import {loadJob, renderJob, renderJobError} from './job.js';

const POLL_MS = 2000;
// The SLA report scans every job record on the owner thread (18 ms for
// 100,000; docs/performance.md) and moves slowly: it is polled less often.
const SLA_POLL_MS = 10000;

const get = (path) => apiText('GET', path);

// Each view: load(param) -> {doc, text} (one or more GETs in turn), and
// render(doc). `tab`: the tab lit while it shows; `every`: its poll period.
const VIEWS = {
  fleet: {load: () => get('/v1/nodes'), render: renderFleet, tab: 'fleet'},
  queue: {load: () => loadQueue(get), render: renderQueue, tab: 'queue'},
  sla: {load: () => loadSla(get), render: renderSla, tab: 'sla', every: SLA_POLL_MS},
  events: {load: () => get(eventsPath()), render: renderEvents, tab: 'events'},
  job: {load: (id) => loadJob(get, id), render: renderJob, tab: ''},
};

const poll = {
  view: 'fleet',
  param: '',
  timer: 0,
  inFlight: false,
  data: new Map(),  // route -> the last doc
  raw: new Map(),   // route -> the last text, to skip unchanged renders
};

const route = () => (poll.param ? `${poll.view}/${poll.param}` : poll.view);

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
  fillClasses();
  show(location.hash.slice(1) || 'fleet');
}

function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  state.token = '';
  state.me = null;
  poll.data.clear();
  poll.raw.clear();
  clearTimeout(poll.timer);
  showSignedIn(false);
}

function showSignedIn(on) {
  $('signin').hidden = on;
  $('tabs').hidden = !on;
  $('signout').hidden = !on;
  const me = state.me;
  $('who').textContent = on && me ? (me.role === 'tenant' ? `tenant ${me.tenant}` : `${me.role} ${me.name}`) : '';
  for (const v of document.querySelectorAll('.view')) v.hidden = true;
  if (!on) {
    $('token').value = '';
    $('boost-form').hidden = true;
  }
}

// --- views and polling ----------------------------------------------------

// Shows `hash` ("queue", "job/42"); unknown views show the fleet.
function show(hash) {
  let [view, param] = hash.split('/', 2);
  if (!Object.hasOwn(VIEWS, view) || (view === 'job' && !/^\d+$/.test(param || ''))) [view, param] = ['fleet', ''];
  poll.view = view;
  poll.param = view === 'job' ? param : '';
  const r = route();
  if (location.hash !== `#${r}`) history.replaceState(null, '', `#${r}`);
  for (const b of document.querySelectorAll('.tab')) b.classList.toggle('active', b.dataset.view === VIEWS[view].tab);
  for (const v of document.querySelectorAll('.view')) v.hidden = v.id !== `view-${view}`;
  if (poll.data.has(r)) VIEWS[view].render(poll.data.get(r));
  else if (view === 'job') $('job').replaceChildren();
  pollNow();
}

// Polls the visible view now, then every POLL_MS (or the view's own
// period); one poll at a time.
async function pollNow() {
  clearTimeout(poll.timer);
  if (!state.me || document.hidden) return;
  if (poll.inFlight) { poll.timer = setTimeout(pollNow, 200); return; }
  const r = route();
  const view = poll.view;
  poll.inFlight = true;
  try {
    const {doc, text} = await VIEWS[view].load(poll.param);
    // An unchanged answer is not drawn again (a large fleet costs the
    // browser real work per render); times shown as "ago" may then lag.
    if (text !== poll.raw.get(r)) {
      poll.raw.set(r, text);
      poll.data.set(r, doc);
      if (r === route()) VIEWS[view].render(doc);
    }
    setStatus('');
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      signOut();
      $('signin-error').textContent = 'The token is no longer accepted.';
      return;
    }
    if (view === 'job' && e instanceof ApiError && e.status === 404 && r === route()) renderJobError(poll.param, e.message);
    else setStatus(`Cannot refresh: ${e.message}`);
  } finally {
    poll.inFlight = false;
  }
  if (state.me && !document.hidden) poll.timer = setTimeout(pollNow, VIEWS[poll.view].every || POLL_MS);
}

function rerender(view) {
  const r = route();
  if (poll.view === view && poll.data.has(r)) VIEWS[view].render(poll.data.get(r));
}

// --- wiring ---------------------------------------------------------------

function init() {
  hooks.refresh = pollNow;
  fillEventKinds();
  wireQueue();
  $('signin-form').addEventListener('submit', (ev) => { ev.preventDefault(); signIn($('token').value.trim()); });
  $('signout').addEventListener('click', signOut);
  for (const b of document.querySelectorAll('.tab')) b.addEventListener('click', () => show(b.dataset.view));
  $('fleet-filter').addEventListener('input', () => rerender('fleet'));
  $('fleet-group').addEventListener('change', () => rerender('fleet'));
  $('events-kind').addEventListener('change', pollNow);
  $('events-filter').addEventListener('input', () => rerender('events'));
  $('sla-window').addEventListener('change', () => rerender('sla'));
  document.addEventListener('visibilitychange', () => { if (!document.hidden) pollNow(); else clearTimeout(poll.timer); });
  window.addEventListener('hashchange', () => state.me && show(location.hash.slice(1)));
  showSignedIn(false);
  if (state.token) signIn(state.token);
}

init();
