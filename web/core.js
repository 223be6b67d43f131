// What every view of the dashboard shares: the session state, the API
// client, and DOM and formatting helpers. Every server string reaches the
// DOM through textContent (el() and svg() below), never as HTML.

export const TOKEN_KEY = 'gpusched.token';
export const PALETTE = ['#d62728', '#ff7f0e', '#1f77b4', '#2ca02c', '#9467bd', '#8c564b',
                        '#e377c2', '#17becf', '#bcbd22', '#7f7f7f'];
export const OTHER_COLOR = '#9aa3af';

export const state = {
  token: sessionStorage.getItem(TOKEN_KEY) || '',
  me: null,          // {name, role, tenant}
  classes: [],       // [{name, value, sla, ...}], highest first
};

// Set by app.js: asks for a poll of the visible view now (after an action).
export const hooks = {refresh: () => {}};

export const $ = (id) => document.getElementById(id);

// An element with attributes and children; strings become text nodes.
export function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = String(v);
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k.startsWith('data-') || k === 'title' || k === 'type' || k === 'open' || k === 'href') e.setAttribute(k, String(v));
    else e[k] = v;
  }
  return append(e, children);
}

const SVG_NS = 'http://www.w3.org/2000/svg';

// An SVG element: every attribute is set as an attribute ('text' sets the
// text; 'title' adds a <title> child, the tooltip).
export function svg(tag, attrs, ...children) {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'text') e.textContent = String(v);
    else if (k === 'title') e.append(svg('title', {text: v}));
    else e.setAttribute(k, String(v));
  }
  return append(e, children);
}

function append(e, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

export function isAdmin() { return state.me && state.me.role === 'admin'; }

export function classColor(name) {
  const i = state.classes.findIndex((c) => c.name === name);
  if (i >= 0) return PALETTE[i % PALETTE.length];
  let h = 0;
  for (const ch of String(name)) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return PALETTE[h % PALETTE.length];
}

// The class's rank, highest first; unknown classes last.
export function classRank(name) {
  const i = state.classes.findIndex((c) => c.name === name);
  return i < 0 ? 1e9 : i;
}

// A legend entry: `text` after a square of `color` (CSS .legend).
export function legendItem(text, color) {
  const s = el('span', {text});
  s.style.setProperty('--swatch', color);
  return s;
}

export function chip(cls, extra) {
  const c = el('span', {class: 'class-chip job-class', text: cls, 'data-class': cls});
  c.style.setProperty('--swatch', classColor(cls));
  if (extra) c.title = extra;
  return c;
}

// The class a job runs as now, and its chip (saying what it was boosted from).
export function effectiveClass(j) { return j.boost ? j.boost.class : j.class; }

export function classChip(j) {
  if (!j.boost) return chip(j.class);
  const c = chip(j.boost.class, `boosted from ${j.class} until ${clock(j.boost.expires_at)}`);
  return el('span', {}, c, el('span', {class: 'small', text: ` (from ${j.class})`}));
}

// A link to a job's page.
export function jobLink(id, text) {
  return el('a', {href: `#job/${id}`, class: 'job-link', text: text === undefined ? id : text});
}

export function gib(mib) { return (mib / 1024).toFixed(mib >= 10240 ? 0 : 1); }

export function duration(s) {
  s = Math.max(0, Math.round(s));
  if (s < 60) return `${s}s`;
  if (s < 3600) return s % 60 ? `${Math.floor(s / 60)}m ${s % 60}s` : `${s / 60}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

// A short duration for axis labels: 30s, 5m, 2h, 1d.
export function shortDuration(s) {
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.round(s / 60)}m`;
  if (s < 86400) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86400)}d`;
}

export function clock(unix) { return new Date(unix * 1000).toLocaleString(); }
export function timeOfDay(unix) { return new Date(unix * 1000).toLocaleTimeString(); }
export function hourMinute(unix) { return new Date(unix * 1000).toLocaleTimeString([], {hour: '2-digit', minute: '2-digit'}); }
export function nowSeconds() { return Math.round(Date.now() / 1000); }
export function percent(x) { return `${(100 * x).toFixed(x >= 0.995 || x === 0 ? 0 : 1)}%`; }

export function setStatus(text) { $('status').textContent = text || ''; }

export function table(headers, rows, actions) {
  if (!rows.length) return el('p', {class: 'empty', text: 'None.'});
  const head = actions ? [...headers, ''] : headers;
  return el('table', {}, el('thead', {}, el('tr', {}, ...head.map((h) => el('th', {text: h})))),
            el('tbody', {}, ...rows));
}

// --- the API --------------------------------------------------------------

export class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

// A request with the token; resolves to the JSON body, rejects with
// ApiError carrying the API's own message.
export async function api(method, path, body, contentType) {
  return (await apiText(method, path, body, contentType)).doc;
}

// As api(), also giving the body's text.
export async function apiText(method, path, body, contentType) {
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

// Runs an action; a failure is shown and told in an alert. Polls afterwards.
export async function act(what, method, path, body) {
  let ok = true;
  try {
    await api(method, path, body);
    setStatus('');
  } catch (e) {
    ok = false;
    setStatus(`${what}: ${e.message}`);
    alert(`${what} failed: ${e.message}`);
  }
  hooks.refresh();
  return ok;
}
