// The fleet view: every node and GPU as a tile, with its memory split by job
// (coloured by the class each job runs as), readings and health. Large
// fleets stay usable: nodes are grouped, groups of a big fleet start closed
// and cost no tiles until opened, and a filter narrows the view.
import {$, OTHER_COLOR, act, chip, classColor, el, gib, isAdmin, jobLink, legendItem, state} from './core.js';

const MAX_NODES_PER_GROUP = 400;  // beyond this, the filter narrows the view
const OPEN_GROUPS_UP_TO = 200;    // more nodes shown: groups start closed

const openGroups = new Map();  // group name -> open, kept across polls

export function renderLegend() {
  $('legend').replaceChildren(...state.classes.map((c) => legendItem(c.name, classColor(c.name))),
                              legendItem('other tenants', OTHER_COLOR));
}

function drainNode(node, drain) {
  const verb = drain ? 'Drain' : 'Undrain';
  const q = drain ? `Drain ${node.name}? No new work is placed on it; running work stays.`
                  : `Undrain ${node.name}? It takes new work again.`;
  if (confirm(q)) act(`${verb} ${node.name}`, 'POST', `/v1/nodes/${encodeURIComponent(node.name)}/${drain ? 'drain' : 'undrain'}`);
}

function nodeMatches(node, words) {
  if (!words.length) return true;
  const hay = [node.name, node.state, ...(node.labels || [])];
  for (const g of node.gpus || []) {
    hay.push(g.type, g.healthy ? '' : 'unhealthy');
    for (const j of g.jobs || []) hay.push(j.name, String(j.id), j.class, j.boost_class || '', j.tenant);
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

export function renderFleet(doc) {
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

// The class a job on a tile runs as: its boost's while boosted.
function tileClass(j) { return j.boost_class || j.class; }

function gpuTile(n, g) {
  const bar = el('div', {class: 'bar'});
  const total = g.memory_mib || 1;
  let mine = 0;
  for (const j of g.jobs || []) {
    mine += j.mib;
    const boosted = j.boost_class ? `, boosted from ${j.class}` : '';
    const seg = el('span', {title: `job ${j.id} ${j.name} (${tileClass(j)}${boosted}, ${j.tenant}): ${gib(j.mib)} GiB`,
                            'data-job-id': j.id, 'data-class': tileClass(j)});
    seg.style.width = `${(100 * j.mib / total).toFixed(2)}%`;
    seg.style.background = classColor(tileClass(j));
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
  for (const j of g.jobs || []) {
    tile.append(el('div', {class: 'small'}, chip(tileClass(j), j.boost_class ? `boosted from ${j.class}` : ''), ' ', jobLink(j.id, `${j.id} ${j.name}`)));
  }
  return tile;
}
