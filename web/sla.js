// The SLA view: per class, how many jobs started within the class's target
// wait over the last hour and the last day, attainment over time, and the
// distribution of waits (submission to first start), as small multiples:
// one card per class. Reads GET /v1/sla for both windows each poll.
import {$, chip, classColor, duration, el, hourMinute, nowSeconds, percent, shortDuration, timeOfDay} from './core.js';
import {barChart} from './chart.js';

const WINDOWS = {hour: {window: 3600, slices: 12}, day: {window: 86400, slices: 24}};
const MET = '#2e7d32';
const MISSED = '#c62828';
const NO_TARGET = '#6b7280';

export async function loadSla(get) {
  const q = (w) => `/v1/sla?window_s=${WINDOWS[w].window}&slices=${WINDOWS[w].slices}`;
  const hour = await get(q('hour'));
  const day = await get(q('day'));
  return {doc: {hour: hour.doc, day: day.doc}, text: hour.text + day.text};
}

function targetText(t) {
  return t ? `target: ${t.percentile}% start within ${duration(t.max_wait_s)}` : 'no SLA target';
}

// Attainment and its count over one window, coloured against the target.
function attainmentStat(name, c) {
  if (!c || c.attainment === null) return el('div', {class: 'stat'}, el('span', {class: 'stat-label', text: name}), el('b', {text: '—'}), el('span', {class: 'small', text: ' no job started'}));
  const ok = !c.target || 100 * c.attainment >= c.target.percentile;
  const b = el('b', {class: ok ? 'ok' : 'bad', text: percent(c.attainment)});
  return el('div', {class: 'stat', 'data-window': name}, el('span', {class: 'stat-label', text: name}), b,
            el('span', {class: 'small', text: ` ${c.met} of ${c.started} in time`}));
}

function attainmentChart(c, doc) {
  const slice = doc.slice_s;
  const end = nowSeconds();
  const start = end - doc.window_s;
  const items = (c.slices || []).map((s, i) => {
    const from = start + i * slice;
    const value = s.started ? s.met / s.started : null;
    const ok = !c.target || (value !== null && 100 * value >= c.target.percentile);
    return {label: (i + 1) % Math.ceil(c.slices.length / 4) === 0 ? hourMinute(from + slice) : '',
            value, color: !c.target ? NO_TARGET : ok ? MET : MISSED,
            title: `${timeOfDay(from)}–${timeOfDay(from + slice)}: ` + (s.started ? `${s.met} of ${s.started} started in time` : 'none started')};
  });
  return barChart({items, max: 1, ticks: [0, 0.5, 1], format: percent, label: `attainment of ${c.class} per ${shortDuration(slice)}`,
                   ref: c.target ? {value: c.target.percentile / 100, label: `${c.target.percentile}%`} : null});
}

function waitChart(c, doc) {
  const bounds = doc.wait_buckets_s || [];
  const counts = c.wait_histogram || [];
  const max = Math.max(1, ...counts);
  const items = counts.map((n, i) => {
    const label = i < bounds.length ? `≤${shortDuration(bounds[i])}` : `>${shortDuration(bounds[bounds.length - 1])}`;
    const late = c.target && (i >= bounds.length || bounds[i] > c.target.max_wait_s);
    return {label, value: n, color: late ? MISSED : classColor(c.class), title: `${label}: ${n} job${n === 1 ? '' : 's'}`};
  });
  return barChart({items, max, ticks: [0, max], format: (v) => String(Math.round(v)), labelEvery: 2,
                   label: `waits of ${c.class}`});
}

function classCard(name, hour, day, shown) {
  const c = shown === 'hour' ? hour : day;
  const doc = last[shown];
  const card = el('div', {class: 'sla-card', 'data-class': name},
      el('div', {class: 'sla-head'}, chip(name), el('span', {class: 'small', text: ` ${targetText(c.target)}`})),
      el('div', {class: 'stats'}, attainmentStat('last hour', hour), attainmentStat('last day', day)));
  if (c.started) {
    card.append(el('div', {class: 'small', text: `waits over the last ${shown}: p50 ${duration(c.wait_p50_s)} · p95 ${duration(c.wait_p95_s)} · max ${duration(c.wait_max_s)}`}));
  }
  const over = c.pending_over_target ? `, ${c.pending_over_target} already past the target` : '';
  card.append(el('div', {class: 'small', text: c.pending ? `pending now: ${c.pending}${over}; the oldest has waited ${duration(c.oldest_pending_s)}` : 'pending now: none'}));
  card.append(el('div', {class: 'chart-title', text: `Started in time, per ${shortDuration(doc.slice_s)}`}));
  card.append(attainmentChart(c, doc));
  card.append(el('div', {class: 'chart-title', text: `Waits (submission to first start), last ${shown}`}));
  card.append(c.started ? waitChart(c, doc) : el('p', {class: 'empty', text: 'No job started.'}));
  return card;
}

// The last answers, for redrawing when the shown window changes.
const last = {hour: null, day: null};

export function renderSla(doc) {
  if (!doc) return;
  last.hour = doc.hour;
  last.day = doc.day;
  const shown = $('sla-window').value;
  const byName = (d) => new Map((d.classes || []).map((c) => [c.class, c]));
  const hour = byName(doc.hour);
  const day = byName(doc.day);
  const cards = [...hour.keys()].map((name) => classCard(name, hour.get(name), day.get(name) || hour.get(name), shown));
  $('sla').replaceChildren(...cards);
  if (!cards.length) $('sla').append(el('p', {class: 'empty', text: 'No class is defined.'}));
}
