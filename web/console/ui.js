// ui — the console's building blocks: headings, notices, tables (scrolling on narrow screens,
// sortable where asked), dates, percentages, buttons that show they are busy, two-step
// confirmations, and form error wiring. Everything is built with dom.js: text from the server
// only ever becomes text nodes.

import { add, clear, fmtNum, h, newId } from '../survey/dom.js';

export { add, clear, fmtNum, h, newId };

// The text of a survey's i18n object: English when the survey has it, else its first language.
export function txt(obj, languages) {
  if (obj === null || obj === undefined) return '';
  if (typeof obj !== 'object') return String(obj);
  const first = languages && languages.length ? languages[0] : '';
  return obj.en ?? obj[first] ?? Object.values(obj)[0] ?? '';
}

export function heading(text, level = 'h1') {
  return h(level, { tabindex: level === 'h1' ? '-1' : null }, text);
}

// kind: info, ok, warn, error. Errors and warnings are announced (role alert / status).
export function notice(kind, ...kids) {
  const role = kind === 'error' ? 'alert' : kind === 'warn' || kind === 'ok' ? 'status' : null;
  return h('div', { class: `notice notice-${kind}`, role }, ...kids);
}

// A short explanation of an API error for people.
export function errorText(e) {
  if (!e) return '';
  if (e.status === 0) return e.message;
  if (e.status === 403 && e.code === 'forbidden') return 'Your account may not do this.';
  if (e.status === 503) return 'The server is busy and stored nothing. Try again in a moment.';
  const what = e.message && e.message !== e.code ? e.message : '';
  return what ? `${what} (${e.code || e.status})` : `The server answered ${e.status}${e.code ? ` ${e.code}` : ''}.`;
}

export function errorNotice(e, prefix) {
  return notice('error', prefix ? `${prefix} ` : '', errorText(e));
}

// A date and time from the server (ISO 8601, UTC) as people read it, in a <time> element.
const DATE_FMT = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short' });
export function when(iso) {
  if (!iso) return '–';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return h('time', { datetime: iso, title: iso }, DATE_FMT.format(d));
}

// A share 0..1 as a whole percentage; "–" when there is none.
export function pct(v) {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '–';
  return `${Math.round(v * 100)}%`;
}

export function num(v, digits = 2) {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '–';
  const f = 10 ** digits;
  return String(Math.round(v * f) / f);
}

// A table inside a box that scrolls sideways on narrow screens (focusable, so it can be scrolled
// with the keyboard). columns: [{label, cls, key?, sort?: (row) => value}], rows: [[cell, ...]]
// or built cells. opts.caption names the table; opts.sort makes headers with sort functions
// buttons that order data (then rows must be a function data -> cells, given opts.data).
export function table(columns, rows, opts = {}) {
  const cap = opts.caption ? h('caption', { class: opts.captionHidden ? 'sr-only' : null }, opts.caption) : null;
  const thead = h('thead', null, h('tr', null, ...columns.map((c) => h('th', { scope: 'col', class: c.cls || null }, c.label))));
  const tbody = h('tbody');
  const tbl = h('table', { class: opts.cls ? `data ${opts.cls}` : 'data', id: opts.id || null }, cap, thead, tbody);
  const fill = (list) => {
    clear(tbody);
    for (const r of list) {
      const tr = Array.isArray(r) ? h('tr', null, ...r.map((cell, i) => cellOf(cell, columns[i], i))) : r;
      tbody.appendChild(tr);
    }
  };
  fill(rows);
  const wrap = h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': opts.caption || opts.label || null }, tbl);
  wrap.fill = fill;
  wrap.table = tbl;
  return wrap;
}

function cellOf(cell, col, i) {
  const cls = col && col.cls ? col.cls : null;
  if (cell && typeof cell === 'object' && cell.th) return h('th', { scope: 'row', class: cls }, cell.th);
  if (i === 0 && col && col.rowHeader) return h('th', { scope: 'row', class: cls }, cell);
  return h('td', { class: cls }, cell);
}

// A sortable table of data: columns [{label, cls, value: (d) => comparable or null, cell: (d) => node/text,
// rowHeader}], in the order given until a heading is chosen (or sorted by the column index
// opts.initial). Returns {el, set(data)}.
export function sortableTable(columns, data, opts = {}) {
  let by = opts.initial ?? -1; // -1: the order given
  let dir = 1;
  let rows = data;
  const heads = [];
  const thead = h('thead');
  const tr = h('tr');
  columns.forEach((c, i) => {
    const th = h('th', { scope: 'col', class: c.cls || null });
    if (c.value) {
      const b = h('button', { type: 'button', class: 'sort', onclick: () => { dir = by === i ? -dir : (c.desc ? -1 : 1); by = i; draw(); } },
        c.label, h('span', { class: 'sort-mark', 'aria-hidden': 'true' }));
      th.appendChild(b);
    } else {
      th.textContent = c.label;
    }
    heads.push(th);
    tr.appendChild(th);
  });
  thead.appendChild(tr);
  const tbody = h('tbody');
  const cap = opts.caption ? h('caption', { class: opts.captionHidden ? 'sr-only' : null }, opts.caption) : null;
  const tbl = h('table', { class: `data sortable ${opts.cls || ''}`.trim(), id: opts.id || null }, cap, thead, tbody);
  const wrap = h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': opts.caption || opts.label || null }, tbl);
  const cmp = (a, b) => {
    if (by < 0) return 0;
    const f = columns[by].value;
    const x = f(a);
    const y = f(b);
    if (x === y) return 0;
    if (x === null || x === undefined || Number.isNaN(x)) return 1; // empty cells last either way
    if (y === null || y === undefined || Number.isNaN(y)) return -1;
    if (typeof x === 'string' || typeof y === 'string') return dir * String(x).localeCompare(String(y), 'en', { numeric: true });
    return dir * (x < y ? -1 : 1);
  };
  function draw() {
    heads.forEach((th, i) => {
      if (i === by) th.setAttribute('aria-sort', dir > 0 ? 'ascending' : 'descending');
      else th.removeAttribute('aria-sort');
      const mark = th.querySelector('.sort-mark');
      if (mark) mark.textContent = i === by ? (dir > 0 ? ' ▲' : ' ▼') : '';
    });
    clear(tbody);
    for (const d of [...rows].sort(cmp)) {
      tbody.appendChild(h('tr', null, ...columns.map((c, i) => (i === 0 && c.rowHeader
        ? h('th', { scope: 'row', class: c.cls || null }, c.cell(d))
        : h('td', { class: c.cls || null }, c.cell(d))))));
    }
    if (opts.onDraw) opts.onDraw(rows.length);
  }
  draw();
  return {
    el: wrap,
    set(list) {
      rows = list;
      draw();
    },
  };
}

// Runs fn while button shows busyText and is disabled; restores it afterwards. Returns fn's result
// (or throws its error).
export async function busy(button, busyText, fn) {
  const old = button.textContent;
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  if (busyText) button.textContent = busyText;
  try {
    return await fn();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
    button.textContent = old;
  }
}

// A button that asks again before acting: the first press shows "confirmText" and a cancel
// button; the second runs onConfirm(button). No browser dialogs.
export function confirmButton(label, confirmText, onConfirm, opts = {}) {
  const box = h('span', { class: 'confirm' });
  const first = h('button', { type: 'button', class: opts.cls || 'small secondary', 'aria-label': opts.ariaLabel || null }, label);
  const sure = h('button', { type: 'button', class: opts.dangerous ? 'small danger' : 'small',
    'aria-label': opts.ariaLabel ? `${confirmText}: ${opts.ariaLabel}` : null }, confirmText);
  const cancel = h('button', { type: 'button', class: 'small secondary' }, 'Cancel');
  const reset = () => {
    clear(box).appendChild(first);
  };
  first.addEventListener('click', () => {
    clear(box);
    add(box, sure, ' ', cancel);
    sure.focus();
  });
  cancel.addEventListener('click', () => {
    reset();
    first.focus();
  });
  sure.addEventListener('click', async () => {
    cancel.disabled = true;
    try {
      await onConfirm(sure);
    } finally {
      if (box.isConnected) {
        reset();
      }
    }
  });
  reset();
  return box;
}

// A labelled form control: {id, label, hint?, control}. Returns a .field div with the label,
// control, hint and an error line (id err-ID) wired with aria-describedby.
export function field(label, control, hint) {
  const id = control.id || newId('f');
  control.id = id;
  const hintEl = hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null;
  const err = h('p', { class: 'field-err', id: `${id}-err`, hidden: true });
  control.setAttribute('aria-describedby', [hintEl ? `${id}-hint` : '', `${id}-err`].filter(Boolean).join(' '));
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hintEl, err);
}

// Shows message under the control of a field() (or clears it with '').
export function fieldError(control, message) {
  const err = document.getElementById(`${control.id}-err`);
  if (err) {
    err.textContent = message || '';
    err.hidden = !message;
  }
  if (message) control.setAttribute('aria-invalid', 'true');
  else control.removeAttribute('aria-invalid');
}

// Reads a chosen file as text (UTF-8).
export function readFile(input) {
  const f = input.files && input.files[0];
  if (!f) return Promise.resolve(null);
  return f.text().then((text) => ({ name: f.name, text }));
}

export const SECTORS = ['academia', 'industry', 'government', 'other'];

// The people's name of a statistics group.
export function groupName(g) {
  if (g === 'all') return 'All respondents';
  if (g === 'expert') return 'Experts (high expertise)';
  return g ? g.charAt(0).toUpperCase() + g.slice(1) : '';
}
