// chart — the round-1 distribution of one question as an SVG chart built with DOM calls.
//
// It draws what server/core/svg.c (svg_dist) draws for the printed report, with the same geometry,
// colours and classes, so a chart looks the same on screen and on paper: bars with counts and
// percentages, grey bars for the special answers (already / never / don't know) right of the main
// axis, the Q1–Q3 band, the median as a solid line, and the expert's own previous answer outlined
// in orange with a "you" marker. Labels that do not fit are cut with an ellipsis; the full text is
// in a <title> tooltip.

import { fmtNum, s } from './dom.js';

const W = 480;
const H = 200;
const LEFT = 40;
const SLOT = 72;
const GAP = 16;
const PT = 36;
const PB = 150;

const C_TEXT = '#1a1a1a';
const C_TEXT2 = '#4d4d4d';
const C_BAR = '#4a7fb5';
const C_SPECIAL = '#8c8c8c';
const C_MEDIAN = '#b3261e';
const C_OWN = '#b35000';
const C_AXIS = '#737373';
const C_GRID = '#d9d9d9';
const FONT = "Arial, Helvetica, 'Liberation Sans', 'Noto Sans', 'Noto Sans CJK JP', sans-serif";
const HALO = { stroke: '#ffffff', 'stroke-width': 3, 'stroke-linejoin': 'round', 'paint-order': 'stroke' };

const SPECIALS = ['already', 'never', 'dont_know'];

// Display columns of a string: 2 for East Asian wide characters, as svg.c counts them.
function cols(str) {
  let n = 0;
  for (const ch of str) {
    const c = ch.codePointAt(0);
    if ((c >= 0x0300 && c <= 0x036f) || (c >= 0x200b && c <= 0x200f)) continue;
    const wide = (c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0xa4cf) || (c >= 0xac00 && c <= 0xd7a3) ||
      (c >= 0xf900 && c <= 0xfaff) || (c >= 0xfe30 && c <= 0xfe6f) || (c >= 0xff00 && c <= 0xff60) ||
      (c >= 0xffe0 && c <= 0xffe6) || c >= 0x20000;
    n += wide ? 2 : 1;
  }
  return n;
}

// str cut to max columns, with "…" when cut.
function fit(str, max) {
  if (cols(str) <= max) return str;
  let out = '';
  let n = 0;
  for (const ch of str) {
    const w = cols(ch);
    if (n + w > max - 1) break;
    out += ch;
    n += w;
  }
  return `${out}…`;
}

const colsFor = (px, size) => Math.max(1, Math.floor(px / (size * 0.6)));
const pct = (c, total) => (total ? Math.round((100 * c) / total) : 0);
const r2 = (v) => Math.round(v * 100) / 100;

function text(x, y, str, max, attrs) {
  const shown = fit(str, max);
  const el = s('text', { x: r2(x), y: r2(y), ...attrs }, shown);
  if (shown !== str) el.appendChild(s('title', null, str));
  return el;
}

function line(cls, x1, y1, x2, y2, attrs) {
  return s('line', { class: cls, x1: r2(x1), y1: r2(y1), x2: r2(x2), y2: r2(y2), ...attrs });
}

function rect(cls, x, y, w, h, attrs) {
  return s('rect', { class: cls, x: r2(x), y: r2(y), width: r2(Math.max(0, w)), height: r2(Math.max(0, h)), ...attrs });
}

// Year bins narrow enough to read and wide enough for their count (svg.c prints a count above a
// bar from 13 px): the smallest of 1, 2, 5, 10 years that gives a bar at least 13 px wide.
function binWidth(perYear) {
  for (const w of [1, 2, 5, 10]) if (w * perYear >= 13) return w;
  return 10;
}

// Builds the layout: bars (main, then specials), axis ends, totals.
function layout(q, st, texts) {
  const specials = [];
  if (q.kind === 'ordinal') {
    if (q.dont_know) specials.push('dont_know');
  } else {
    for (const sp of SPECIALS) if ((q.special || []).includes(sp)) specials.push(sp);
  }
  const dist = st.distribution || {};
  const lo = { left: LEFT, right: W - LEFT, bars: [], total: 0, max: 0, perYear: 0, ymin: 0, ymax: 0, w: 1 };
  if (specials.length) lo.right -= specials.length * SLOT + GAP;

  if (q.kind === 'ordinal') {
    const n = q.labels.length;
    const slot = n ? (lo.right - lo.left) / n : 0;
    const bw = Math.min(slot * 0.7, 96);
    q.labels.forEach((lab, i) => {
      const cx = lo.left + (i + 0.5) * slot;
      lo.bars.push({ cx, x0: cx - bw / 2, x1: cx + bw / 2, slot, count: Number(dist[String(lab.value)]) || 0,
        value: lab.value, label: texts.label(lab), special: '' });
    });
  } else {
    lo.ymin = q.min;
    lo.ymax = q.max;
    lo.perYear = (lo.right - lo.left) / (q.max + 1 - q.min);
    lo.w = binWidth(lo.perYear);
    const nb = Math.floor((q.max - q.min + lo.w) / lo.w);
    for (let i = 0; i < nb; i++) {
      const y0 = q.min + i * lo.w;
      const y1 = Math.min(y0 + lo.w - 1, q.max);
      const a = lo.left + (y0 - q.min) * lo.perYear;
      const z = lo.left + (y1 + 1 - q.min) * lo.perYear;
      const gap = z - a >= 4 ? 0.5 : 0;
      lo.bars.push({ cx: (a + z) / 2, x0: a + gap, x1: z - gap, slot: z - a, count: 0, y0, y1,
        label: y0 === y1 ? String(y0) : `${y0}–${y1}`, special: '' });
    }
    for (const [k, c] of Object.entries(dist)) {
      const y = Number(k);
      if (!/^-?\d+$/.test(k)) continue;
      const i = y <= q.min ? 0 : y >= q.max ? nb - 1 : Math.floor((y - q.min) / lo.w);
      lo.bars[i].count += Number(c) || 0;
    }
  }
  specials.forEach((sp, k) => {
    const cx = lo.right + GAP + k * SLOT + SLOT / 2;
    lo.bars.push({ cx, x0: cx - SLOT * 0.35, x1: cx + SLOT * 0.35, slot: SLOT, count: Number(dist[sp]) || 0,
      label: texts.special(sp), special: sp });
  });
  for (const b of lo.bars) {
    lo.total += b.count;
    lo.max = Math.max(lo.max, b.count);
  }
  return lo;
}

// x of a value (label value or year) on the main axis, or null when it cannot be placed.
function xOf(q, lo, v) {
  if (typeof v !== 'number' || !Number.isFinite(v)) return null;
  if (q.kind === 'year') {
    const y = Math.min(Math.max(v, lo.ymin), lo.ymax);
    return lo.left + (y + 0.5 - lo.ymin) * lo.perYear;
  }
  const main = lo.bars.filter((b) => !b.special);
  const hit = main.find((b) => b.value === v);
  if (hit) return hit.cx;
  for (let i = 0; i + 1 < main.length; i++) {
    const a = main[i].value;
    const c = main[i + 1].value;
    if ((v - a) * (v - c) < 0) return main[i].cx + ((v - a) / (c - a)) * (main[i + 1].cx - main[i].cx);
  }
  return null;
}

function ownBar(q, lo, own) {
  if (own === undefined || own === null) return null;
  if (typeof own === 'string') return lo.bars.find((b) => b.special === own) || null;
  const main = lo.bars.filter((b) => !b.special);
  if (q.kind === 'ordinal') return main.find((b) => b.value === own) || null;
  const y = Math.floor(own);
  return main.find((b, i) => (y >= b.y0 && y <= b.y1) || (i === 0 && y < b.y0) || (i === main.length - 1 && y > b.y1)) || null;
}

// The chart for question q (from /me) and its statistics st (from /feedback). texts: {label(lab),
// special(code), you, median, iqr, noAnswers, answers, title}. Returns an <svg> element.
export function distChart(q, st, texts) {
  const lo = layout(q, st, texts);
  const own = ownBar(q, lo, st.own);
  const barH = (c) => (lo.max ? ((PB - PT - 14) * c) / lo.max : 0);
  const q1 = xOf(q, lo, st.q1);
  const q3 = xOf(q, lo, st.q3);
  const xm = xOf(q, lo, st.median);
  const hasBand = q1 !== null && q3 !== null;

  // The text summary, as svg.c writes it into <desc>.
  const parts = [`${lo.total} ${texts.answers}`];
  if (xm !== null) parts.push(`${texts.median} ${fmtNum(st.median)}`);
  if (hasBand) parts.push(`${texts.iqr} ${fmtNum(st.q1)}–${fmtNum(st.q3)}`);
  let desc = `${parts.join('; ')}. ${lo.bars.filter((b) => b.count || b.special || q.kind === 'ordinal')
    .map((b) => `${b.label}: ${b.count} (${pct(b.count, lo.total)}%)`).join('; ')}`;
  const ownText = own ? (q.kind === 'year' && !own.special ? fmtNum(st.own) : own.label) : '';
  if (own) desc += `. ${texts.you}: ${ownText}`;

  const svg = s('svg', { class: 'dc dc-dist', width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: 'img',
    'aria-label': texts.title, 'font-family': FONT },
  s('title', null, texts.title), s('desc', null, `${desc}.`),
  rect('dc-bg', 0, 0, W, H, { fill: '#ffffff' }));

  svg.appendChild(text(W - 12, 16, `n = ${lo.total}`, 24,
    { class: 'dc-n', 'font-size': 10, fill: C_TEXT2, 'text-anchor': 'end' }));

  if (hasBand && Math.abs(q3 - q1) > 0) {
    svg.appendChild(rect('dc-iqr', Math.min(q1, q3), PT, Math.abs(q3 - q1), PB - PT,
      { fill: C_MEDIAN, 'fill-opacity': 0.12 }));
  }
  svg.appendChild(line('dc-baseline', lo.left, PB, lo.right, PB, { stroke: C_AXIS, 'stroke-width': 1 }));
  if (lo.bars.some((b) => b.special)) {
    const x = lo.right + GAP / 2;
    svg.appendChild(line('dc-sep', x, PT, x, PB + 4, { stroke: C_GRID, 'stroke-width': 1, 'stroke-dasharray': '2 2' }));
    svg.appendChild(line('dc-baseline', lo.right + GAP, PB, W - LEFT, PB, { stroke: C_AXIS, 'stroke-width': 1 }));
  }

  for (const b of lo.bars) {
    const hgt = barH(b.count);
    svg.appendChild(s('g', { class: b.special ? 'dc-bar dc-special' : 'dc-bar' },
      s('title', null, `${b.label}: ${b.count} (${pct(b.count, lo.total)}%)`),
      rect('dc-bar-fill', b.x0, PB - hgt, b.x1 - b.x0, hgt, { fill: b.special ? C_SPECIAL : C_BAR })));
  }
  if (own) {
    const hgt = Math.max(barH(own.count), 2);
    svg.appendChild(rect('dc-own', own.x0 - 1.5, PB - hgt - 1.5, own.x1 - own.x0 + 3, hgt + 1.5,
      { fill: 'none', stroke: C_OWN, 'stroke-width': 2.5 }));
  }
  if (xm !== null) svg.appendChild(line('dc-median', xm, PT - 2, xm, PB, { stroke: C_MEDIAN, 'stroke-width': 2 }));

  for (const b of lo.bars) {
    if (!lo.total || (!b.count && q.kind === 'year' && !b.special)) continue;
    const top = PB - barH(b.count) - (b === own ? 2.5 : 0);
    let label;
    if (b.slot >= 56) label = `${b.count} (${pct(b.count, lo.total)}%)`;
    else if (b.slot >= 13) label = String(b.count);
    else continue;
    svg.appendChild(text(b.cx, top - 3, label, 16, { class: 'dc-count', 'font-size': b.slot >= 56 ? 10 : 9,
      fill: C_TEXT, 'text-anchor': 'middle', ...HALO }));
  }

  for (const b of lo.bars) {
    if (q.kind === 'year' && !b.special) continue;
    svg.appendChild(text(b.cx, PB + 14, b.label, colsFor(b.slot - 4, 11),
      { class: 'dc-label', 'font-size': 11, fill: C_TEXT, 'text-anchor': 'middle' }));
  }
  if (q.kind === 'year') {
    let step = lo.w;
    while (step * lo.perYear < 34) step += lo.w;
    for (const b of lo.bars) {
      if (b.special) continue;
      const x = lo.left + (b.y0 - lo.ymin) * lo.perYear;
      svg.appendChild(line('dc-tick', x, PB, x, PB + 4, { stroke: C_AXIS, 'stroke-width': 1 }));
      if ((b.y0 - lo.ymin) % step === 0) {
        svg.appendChild(text(x, PB + 15, String(b.y0), 8,
          { class: 'dc-axis', 'font-size': 10, fill: C_TEXT2, 'text-anchor': 'middle' }));
      }
    }
  }
  if (!lo.total) {
    svg.appendChild(text(W / 2, (PT + PB) / 2 + 4, texts.noAnswers, 40,
      { class: 'dc-empty', 'font-size': 12, fill: C_TEXT2, 'text-anchor': 'middle' }));
  }

  if (own) {
    let mx = own.cx;
    if (typeof st.own === 'number') mx = xOf(q, lo, st.own) ?? own.cx;
    const tw = cols(texts.you) * 6;
    svg.appendChild(s('path', { class: 'dc-you', d: `M${r2(mx - 5)} ${PT - 12} L${r2(mx + 5)} ${PT - 12} L${r2(mx)} ${PT - 3} Z`, fill: C_OWN }));
    const right = mx + 8 + tw <= W - 4;
    svg.appendChild(text(right ? mx + 8 : mx - 8, PT - 4, texts.you, 12, { class: 'dc-you-text', 'font-size': 10,
      'font-weight': 'bold', fill: C_OWN, 'text-anchor': right ? 'start' : 'end' }));
  }

  legend(svg, st, texts, own, ownText, hasBand, xm !== null);
  return svg;
}

// The legend line under the chart: median, Q1–Q3, you.
function legend(svg, st, texts, own, ownText, hasBand, hasMedian) {
  const y = H - 10;
  const sy = y - 8;
  const items = [];
  if (hasMedian) items.push(['median', `${texts.median} ${fmtNum(st.median)}`]);
  if (hasBand) items.push(['iqr', `${texts.iqr} ${fmtNum(st.q1)}–${fmtNum(st.q3)}`]);
  if (own) items.push(['own', `${texts.you}: ${ownText}`]);
  const avail = W - LEFT - 8;
  let cap = 26;
  const width = () => items.reduce((a, it) => a + 16 + Math.min(cols(it[1]), cap) * 6 + 14, 0);
  while (width() > avail && cap > 6) cap -= 1;
  let x = LEFT;
  for (const [kind, label] of items) {
    if (kind === 'median') svg.appendChild(line('dc-legend-median', x + 6, sy - 1, x + 6, sy + 9, { stroke: C_MEDIAN, 'stroke-width': 2 }));
    else if (kind === 'iqr') svg.appendChild(rect('dc-legend-iqr', x, sy, 12, 8, { fill: C_MEDIAN, 'fill-opacity': 0.15, stroke: C_MEDIAN, 'stroke-width': 0.75 }));
    else svg.appendChild(rect('dc-legend-own', x + 1, sy, 10, 8, { fill: 'none', stroke: C_OWN, 'stroke-width': 2 }));
    svg.appendChild(text(x + 16, y, label, cap, { class: 'dc-legend', 'font-size': 10, fill: C_TEXT }));
    x += 16 + Math.min(cols(label), cap) * 6 + 14;
  }
}
