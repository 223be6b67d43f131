// Two small SVG charts drawn from plain numbers (no library): vertical bars
// and lines over time. Each returns an <svg> that scales to its container's
// width (viewBox); colours and labels come from the caller.
import {svg} from './core.js';

// Margins for the axes; bar charts keep room on the right for the reference
// line's label.
const M = {left: 38, right: 10, top: 10, bottom: 22};
const BAR_RIGHT = 34;

function frame(width, height, label) {
  return svg('svg', {viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'aria-label': label});
}

// A horizontal reference line across the plot, labelled past its right end
// (`outside`) or above it, right-aligned.
function refLine(g, x0, x1, y, label, color, outside) {
  g.append(svg('line', {x1: x0, x2: x1, y1: y, y2: y, stroke: color || '#444', 'stroke-dasharray': '4 3'}));
  if (!label) return;
  if (outside) g.append(svg('text', {x: x1 + 3, y: y + 3, class: 'ref', text: label}));
  else g.append(svg('text', {x: x1, y: y - 3, 'text-anchor': 'end', class: 'ref', text: label}));
}

function yAxis(g, x, y0, y1, ticks, format, scale) {
  g.append(svg('line', {x1: x, x2: x, y1: y0, y2: y1, stroke: '#999'}));
  for (const t of ticks) {
    const y = scale(t);
    g.append(svg('line', {x1: x - 3, x2: x, y1: y, y2: y, stroke: '#999'}));
    g.append(svg('text', {x: x - 5, y: y + 3, 'text-anchor': 'end', text: format(t)}));
  }
}

// Bars, left to right. `items`: [{label, value, color, title}], value in
// [0, max]; a null value draws no bar (no data). `ref`: an optional
// {value, label} drawn as a dashed line; `labelEvery`: label every n-th bar.
export function barChart({items, max, ticks, format = String, ref, labelEvery = 1, label = '', width = 360, height = 130}) {
  const s = frame(width, height, label);
  const plotW = width - M.left - BAR_RIGHT;
  const plotH = height - M.top - M.bottom;
  const top = max > 0 ? max : 1;
  const scale = (v) => M.top + plotH - (plotH * Math.min(v, top)) / top;
  yAxis(s, M.left, M.top, M.top + plotH, ticks || [0, top], format, scale);
  s.append(svg('line', {x1: M.left, x2: M.left + plotW, y1: M.top + plotH, y2: M.top + plotH, stroke: '#999'}));
  const slot = plotW / Math.max(1, items.length);
  const barW = Math.max(1, slot * 0.75);
  items.forEach((it, i) => {
    const x = M.left + i * slot + (slot - barW) / 2;
    if (it.value !== null && it.value !== undefined) {
      const y = scale(it.value);
      s.append(svg('rect', {x: x.toFixed(1), y: y.toFixed(1), width: barW.toFixed(1), height: Math.max(0, M.top + plotH - y).toFixed(1),
                            fill: it.color || '#1f77b4', class: 'bar-rect', title: it.title || `${it.label}: ${format(it.value)}`}));
    }
    if (it.label && i % labelEvery === 0) {
      s.append(svg('text', {x: (x + barW / 2).toFixed(1), y: height - 8, 'text-anchor': 'middle', text: it.label}));
    }
  });
  if (ref) refLine(s, M.left, M.left + plotW, scale(ref.value), ref.label, '#444', true);
  return s;
}

// Lines over time. `series`: [{id, color, points: [[x, y], ...], title}], each
// drawn as its own polyline with a dot per point; x in [x0, x1], y in
// [0, yMax]. `hLines`: [{y, label, color}]; `marks`: vertical lines
// [{x, label, color}] (events such as a preemption).
export function lineChart({series, x0, x1, yMax, yTicks, yFormat = String, xFormat = String, hLines = [], marks = [],
                           label = '', width = 640, height = 180}) {
  const s = frame(width, height, label);
  const plotW = width - M.left - M.right;
  const plotH = height - M.top - M.bottom;
  const span = x1 > x0 ? x1 - x0 : 1;
  const top = yMax > 0 ? yMax : 1;
  const sx = (x) => M.left + (plotW * (x - x0)) / span;
  const sy = (y) => M.top + plotH - (plotH * Math.min(y, top)) / top;
  yAxis(s, M.left, M.top, M.top + plotH, yTicks || [0, top], yFormat, sy);
  s.append(svg('line', {x1: M.left, x2: M.left + plotW, y1: M.top + plotH, y2: M.top + plotH, stroke: '#999'}));
  s.append(svg('text', {x: M.left, y: height - 6, text: xFormat(x0)}));
  s.append(svg('text', {x: M.left + plotW, y: height - 6, 'text-anchor': 'end', text: xFormat(x1)}));
  for (const m of marks) {
    const x = sx(m.x).toFixed(1);
    s.append(svg('line', {x1: x, x2: x, y1: M.top, y2: M.top + plotH, stroke: m.color || '#b26a00', 'stroke-dasharray': '2 2', class: 'mark', title: m.label}));
  }
  for (const h of hLines) refLine(s, M.left, M.left + plotW, sy(h.y), h.label, h.color);
  for (const line of series) {
    const g = svg('g', {class: 'series', 'data-series': line.id});
    const pts = line.points.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`);
    if (pts.length > 1) g.append(svg('polyline', {points: pts.join(' '), fill: 'none', stroke: line.color, 'stroke-width': 2}));
    for (const [x, y] of line.points) {
      g.append(svg('circle', {cx: sx(x).toFixed(1), cy: sy(y).toFixed(1), r: 2.5, fill: line.color, class: 'point',
                              title: line.title ? line.title(x, y) : `${xFormat(x)}: ${yFormat(y)}`}));
    }
    s.append(g);
  }
  return s;
}
