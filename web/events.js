// The events view: the decision log (binds, preemptions with their victims
// and cost, boosts, freezes, drains, ...), newest first, filterable by kind
// (on the server) and by words (here).
import {$, clock, el, jobLink} from './core.js';

export const EVENT_KINDS = ['submitted', 'bind', 'stop', 'preempt', 'defrag', 'requeued', 'started',
                            'checkpoint', 'memory', 'succeeded', 'failed', 'cancelled', 'cancel', 'boost',
                            'approve', 'freeze', 'unfreeze', 'drain', 'undrain', 'node', 'gpu', 'lease'];

export function eventsPath() {
  const kind = $('events-kind').value;
  return '/v1/events?limit=200' + (kind ? `&kind=${encodeURIComponent(kind)}` : '');
}

export function renderEvents(doc) {
  const words = $('events-filter').value.toLowerCase().split(/\s+/).filter(Boolean);
  const rows = [];
  for (const e of (doc.events || []).slice().reverse()) {
    const text = `${e.job} ${e.kind} ${e.text}`.toLowerCase();
    if (!words.every((w) => text.includes(w))) continue;
    rows.push(el('tr', {'data-kind': e.kind}, el('td', {text: clock(e.time)}),
                 el('td', {}, e.job ? jobLink(e.job) : ''), el('td', {text: e.kind}), el('td', {text: e.text})));
  }
  $('events').replaceChildren(...rows);
  if (!rows.length) $('events').append(el('tr', {}, el('td', {class: 'empty', text: 'No events.', colSpan: 4})));
}

export function fillEventKinds() {
  const kinds = $('events-kind');
  for (const k of EVENT_KINDS) kinds.append(el('option', {value: k, text: k}));
}
