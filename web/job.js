// A job's page (#job/ID): what it asked for, where it runs, a timeline of
// its life (queued, placed, running, stopped at epoch N, requeued, resumed,
// ended), its progress over time, the tail of its log, and the decision
// history with reasons. Reads GET /v1/jobs/{id} and its logs each poll.
import {$, classChip, classColor, clock, duration, el, gib, isAdmin, legendItem, nowSeconds, svg, table, timeOfDay} from './core.js';
import {lineChart} from './chart.js';
import {freezeJob, jobButtons, progressBar} from './queue.js';

const LOG_TAIL_BYTES = 16384;
// GET /v1/jobs/{id} gives the newest this many history events; a job with
// more has lost its oldest ones from view.
const HISTORY_SHOWN = 200;
const PHASE_COLORS = {earlier: '#eef0f4', pending: '#cbd5e1', placed: '#93c5fd', stopping: '#f59e0b'};
const CHECKPOINT_COLOR = '#2e7d32';
const STOP_COLOR = '#b26a00';
// The history kinds that change the job's phase, and the phase they start.
const PHASE_OF = {submitted: 'pending', requeued: 'pending', bind: 'placed', started: 'running', stop: 'stopping',
                  succeeded: 'ended', failed: 'ended', cancelled: 'ended'};
const LIFE_KINDS = new Set([...Object.keys(PHASE_OF), 'preempt', 'defrag', 'boost', 'approve', 'cancel', 'memory']);

export async function loadJob(get, id) {
  const job = await get(`/v1/jobs/${id}`);
  const logs = await get(`/v1/jobs/${id}/logs?tail_bytes=${LOG_TAIL_BYTES}`);
  return {doc: {job: job.doc, logs: logs.doc}, text: job.text + logs.text};
}

// Whether the job's history lacks its oldest events.
function truncated(job) { return (job.history || []).length >= HISTORY_SHOWN; }

// Where the timeline starts: the submission, or the oldest event shown.
function timelineStart(job) { return truncated(job) ? job.history[0].time : job.submitted_at; }

// The job's phases as [{phase, from, to}] from its history, ending at `end`.
// Event times are whole seconds: a phase shorter than that (a stop that
// ended at once) is kept with from === to, and drawn as a sliver. Before
// the oldest event of a truncated history the phase is 'earlier' (unknown).
function phases(job, end) {
  const out = [];
  let phase = truncated(job) ? 'earlier' : 'pending';
  let from = timelineStart(job);
  for (const e of job.history || []) {
    const next = PHASE_OF[e.kind];
    if (!next || next === phase) continue;
    out.push({phase, from, to: Math.max(from, e.time)});
    phase = next;
    from = Math.max(from, e.time);
  }
  if (phase !== 'ended') out.push({phase, from, to: Math.max(from, end)});
  return out;
}

function timeline(job, end, runColor) {
  const width = 640, height = 46, left = 4, right = 4;
  const start = timelineStart(job);
  const span = Math.max(1, end - start);
  const x = (t) => left + ((width - left - right) * (t - start)) / span;
  const s = svg('svg', {viewBox: `0 0 ${width} ${height}`, class: 'chart timeline', role: 'img', 'aria-label': 'timeline'});
  for (const p of phases(job, end)) {
    const w = Math.max(2, x(p.to) - x(p.from));
    s.append(svg('rect', {x: x(p.from).toFixed(1), y: 6, width: w.toFixed(1), height: 16, class: `phase ${p.phase}`, 'data-phase': p.phase,
                          fill: p.phase === 'running' ? runColor : PHASE_COLORS[p.phase],
                          title: `${p.phase}: ${timeOfDay(p.from)} to ${timeOfDay(p.to)} (${duration(p.to - p.from)})`}));
  }
  for (const e of job.history || []) {
    if (e.kind !== 'checkpoint' && e.kind !== 'preempt' && e.kind !== 'stop') continue;
    const px = x(e.time).toFixed(1);
    s.append(svg('line', {x1: px, x2: px, y1: e.kind === 'checkpoint' ? 22 : 2, y2: 26, stroke: e.kind === 'checkpoint' ? CHECKPOINT_COLOR : STOP_COLOR,
                          'stroke-width': e.kind === 'checkpoint' ? 1 : 2, title: `${timeOfDay(e.time)} ${e.kind}: ${e.text}`}));
  }
  s.append(svg('text', {x: left, y: 40, text: timeOfDay(start)}));
  s.append(svg('text', {x: width - right, y: 40, 'text-anchor': 'end', text: timeOfDay(end)}));
  return s;
}

function legend(runColor) {
  return el('div', {class: 'legend small'}, legendItem('pending', PHASE_COLORS.pending),
            legendItem('placed, starting', PHASE_COLORS.placed), legendItem('running', runColor),
            legendItem('stopping', PHASE_COLORS.stopping), legendItem('checkpoint', CHECKPOINT_COLOR),
            legendItem('stop', STOP_COLOR));
}

function progressChart(job, end, runColor) {
  const trail = job.progress_trail || [];
  const runs = new Map();
  for (const p of trail) {
    if (!runs.has(p.run)) runs.set(p.run, []);
    runs.get(p.run).push([p.time, p.epoch]);
  }
  const total = (job.progress && job.progress.epochs_total) || Math.max(1, ...trail.map((p) => p.epoch));
  const series = [...runs.entries()].map(([run, points]) => ({
    id: run, color: runColor, points, title: (x, y) => `run ${run}, ${timeOfDay(x)}: epoch ${y}`}));
  const marks = (job.history || []).filter((e) => e.kind === 'stop').map((e) => ({x: e.time, label: `${timeOfDay(e.time)}: ${e.text}`}));
  const ckpt = job.progress ? job.progress.checkpoint_epoch : 0;
  return lineChart({series, x0: Math.min(timelineStart(job), ...trail.map((p) => p.time)), x1: end, yMax: total, yTicks: [0, Math.round(total / 2), total],
                    xFormat: timeOfDay, yFormat: (v) => `${v}`, marks, label: 'epochs done over time',
                    hLines: ckpt > 0 ? [{y: ckpt, label: `checkpoint: epoch ${ckpt}`, color: CHECKPOINT_COLOR}] : []});
}

function fact(name, value) {
  return [el('dt', {text: name}), el('dd', {}, value)];
}

function facts(j) {
  const out = [];
  out.push(...fact('Tenant', j.tenant), ...fact('Class', classChip(j)), ...fact('State', j.state));
  if (j.boost) {
    out.push(...fact('Boost', `runs as ${j.boost.class} until ${clock(j.boost.expires_at)} (in ${duration(j.boost.expires_at - nowSeconds())}), then ${j.class} again`));
  }
  out.push(...fact('Asks for', `${j.gpus} GPU${j.gpus === 1 ? '' : 's'} × ${gib(j.memory_per_gpu_mib)} GiB${j.exclusive ? ', whole GPUs' : ''}`));
  if (j.peak_mib) out.push(...fact('Peak memory seen', `${gib(j.peak_mib)} GiB per GPU`));
  const p = j.progress || {};
  out.push(...fact('Progress', el('span', {}, progressBar(p), ` ${p.epochs_done}/${p.epochs_total || '?'} epochs, checkpoint at epoch ${p.checkpoint_epoch}`)));
  if ((j.placement || []).length) out.push(...fact('Placement', j.placement.map((x) => `${x.node}/gpu${x.gpu}`).join(', ')));
  out.push(...fact('Submitted', clock(j.submitted_at)));
  if (j.started_at) out.push(...fact('This run started', `${clock(j.started_at)} (${duration(nowSeconds() - j.started_at)} ago)`));
  if (j.saved_at) out.push(...fact('Last saved', `${duration(nowSeconds() - j.saved_at)} ago`));
  out.push(...fact('Preempted', `${j.preemptions} time${j.preemptions === 1 ? '' : 's'}`));
  if (j.wait) {
    const when = j.wait.predicted_start_in_s !== undefined ? `; predicted start in ${duration(j.wait.predicted_start_in_s)}` : '';
    out.push(...fact('Waits because', `${j.wait.reason} (position ${j.wait.position}${when})`));
  }
  if (j.ended_at) out.push(...fact('Ended', `${clock(j.ended_at)}: ${j.end_reason}`));
  if (j.exit_code !== undefined) out.push(...fact('Exit code', String(j.exit_code)));
  return el('dl', {class: 'facts'}, ...out);
}

function historyNote(j) {
  return truncated(j) ? el('p', {class: 'hint', text: `The newest ${HISTORY_SHOWN} events; the timeline starts at the oldest of them.`}) : null;
}

function lifeList(j) {
  const rows = (j.history || []).filter((e) => LIFE_KINDS.has(e.kind)).map((e) => el('tr', {'data-kind': e.kind},
      el('td', {text: `+${duration(e.time - j.submitted_at)}`}), el('td', {text: e.kind}), el('td', {text: e.text})));
  return table(['After', 'What', 'Detail'], rows);
}

function logBox(logs) {
  const kib = (n) => `${Math.ceil(n / 1024)} KiB`;
  let head = 'No output received yet.';
  if (logs.run) {
    head = `Run ${logs.run}` + (logs.node ? ` on ${logs.node}` : '') +
           (logs.start > 0 ? `: the last ${kib(logs.end - logs.start)} of ${kib(logs.end)}` : '');
  }
  const pre = el('pre', {class: 'log', id: 'job-log', text: logs.text || ''});
  return [el('div', {class: 'small', text: head}), pre];
}

let shownId = 0;

export function renderJob(doc) {
  const j = doc.job;
  const end = j.ended_at || nowSeconds();
  const runColor = classColor(j.boost ? j.boost.class : j.class);
  const buttons = jobButtons(j, j.awaiting_approval);
  if (isAdmin() && (j.state === 'running' || j.state === 'pending')) {
    buttons.push(el('button', {type: 'button', text: 'Protect from preemption', 'data-action': 'freeze', onclick: () => freezeJob(j)}));
  }
  const oldLog = $('job-log');
  const wasAtBottom = !oldLog || shownId !== j.id || oldLog.scrollTop + oldLog.clientHeight >= oldLog.scrollHeight - 4;
  $('job').replaceChildren(
      el('div', {class: 'job-head', 'data-job-id': j.id, 'data-state': j.state, 'data-class': j.boost ? j.boost.class : j.class},
         el('h2', {text: `Job ${j.id}: ${j.name}`}), classChip(j), el('span', {class: `badge ${j.state}`, text: j.state}), ...buttons),
      facts(j),
      el('h3', {text: 'Timeline'}), historyNote(j), timeline(j, end, runColor), legend(runColor),
      el('h3', {text: 'Progress'}), (j.progress_trail || []).length ? progressChart(j, end, runColor)
                                                                  : el('p', {class: 'empty', text: 'No epoch reported yet.'}),
      el('h3', {text: 'Life'}), lifeList(j),
      el('h3', {text: 'Log'}), ...logBox(doc.logs),
      el('h3', {text: 'Decision history'}),
      table(['Time', 'Kind', 'Text'], (j.history || []).slice().reverse().map((e) => el('tr', {'data-kind': e.kind},
          el('td', {text: clock(e.time)}), el('td', {text: e.kind}), el('td', {text: e.text})))),
      el('h3', {text: 'Spec'}), el('pre', {class: 'spec', text: JSON.stringify(j.spec || {}, null, 2)}));
  const log = $('job-log');
  if (wasAtBottom) log.scrollTop = log.scrollHeight;
  shownId = j.id;
}

export function renderJobError(id, message) {
  $('job').replaceChildren(el('h2', {text: `Job ${id}`}), el('p', {class: 'error', text: message}));
}
