// progress — the response rate of a survey's latest round: overall, per field, per sector and per
// topic, refreshed every 10 seconds while the round is open (and on demand).

import { ApiError, api, seg } from './api.js';
import { surveyDetail, surveyNav } from './app.js';
import { add, busy, clear, errorNotice, h, heading, pct, sortableTable, table, txt, when } from './ui.js';

export const REFRESH_MS = 10000;

function rateCell(rate, label) {
  const v = typeof rate === 'number' && Number.isFinite(rate) ? rate : 0;
  return h('span', { class: 'rate' },
    h('meter', { min: '0', max: '1', value: String(v), 'aria-label': label }),
    h('span', { class: 'rate-num' }, pct(rate)));
}

function draw(box, sv, p) {
  clear(box);
  const titleOf = (code, list) => {
    const x = (list || []).find((f) => f.code === code);
    return x ? txt(x.title, sv.languages) : code;
  };
  if (!p.round) {
    box.appendChild(h('p', { class: 'notice notice-info' }, 'No round has been opened yet.'));
    return;
  }
  const o = p.overall || {};
  add(box,
    h('p', { class: 'lead', id: 'progress-overall' },
      `Round ${p.round.number} (${p.round.state}): ${o.respondents ?? 0} of ${o.invited ?? 0} invited experts have answered (${pct(o.rate)}); ${o.answers ?? 0} answers in all.`),
    h('progress', { max: '1', value: String(typeof o.rate === 'number' ? o.rate : 0), 'aria-labelledby': 'progress-overall' }),
    h('p', { class: 'hint' }, 'Opened ', when(p.round.opened_at),
      p.round.close_at ? [', scheduled to close ', when(p.round.close_at)] : null,
      p.round.closed_at ? [', closed ', when(p.round.closed_at)] : null, '.'));
  add(box, h('h2', null, 'By field'), table(
    [{ label: 'Field' }, { label: 'Invited', cls: 'num' }, { label: 'Respondents', cls: 'num' }, { label: 'Rate' }, { label: 'Answers', cls: 'num' }],
    (p.fields || []).map((f) => [{ th: h('span', null, h('span', { class: 'code' }, f.code), ' ', titleOf(f.code, sv.fields)) },
      String(f.invited), String(f.respondents), rateCell(f.rate, `Response rate of ${f.code}`), String(f.answers ?? '–')]),
    { caption: 'Response rate by field', captionHidden: true, id: 'progress-fields' }));
  add(box, h('h2', null, 'By sector'), table(
    [{ label: 'Sector' }, { label: 'Invited', cls: 'num' }, { label: 'Respondents', cls: 'num' }, { label: 'Rate' }],
    (p.sectors || []).map((s) => [{ th: s.sector }, String(s.invited), String(s.respondents), rateCell(s.rate, `Response rate of ${s.sector}`)]),
    { caption: 'Response rate by sector', captionHidden: true, id: 'progress-sectors' }));
}

// The topics: sortable (fewest respondents first shows where answers are missing) and filtered by
// field; kept across refreshes so the reader's choices stay.
function topicSection(sv) {
  const titleOf = (code) => {
    const t = (sv.topics || []).find((x) => x.code === code);
    return t ? txt(t.title, sv.languages) : '';
  };
  const fieldSel = h('select', { id: 'progress-field' }, h('option', { value: '' }, 'All fields'),
    ...(sv.fields || []).map((f) => h('option', { value: f.code }, `${f.code} – ${txt(f.title, sv.languages)}`)));
  const tbl = sortableTable([
    { label: 'Topic', rowHeader: true, cls: 'col-topic', value: (t) => t.code, cell: (t) => h('span', null, h('span', { class: 'code' }, t.code), ' ', titleOf(t.code)) },
    { label: 'Field', cls: 'col-code', value: (t) => t.field, cell: (t) => t.field },
    { label: 'Respondents', cls: 'num', value: (t) => t.respondents, cell: (t) => String(t.respondents ?? '–') },
    { label: 'Answers', cls: 'num', value: (t) => t.answers, cell: (t) => String(t.answers ?? '–') },
  ], [], { caption: 'Respondents by topic', captionHidden: true, id: 'progress-topics' });
  let topics = [];
  const apply = () => tbl.set(topics.filter((t) => !fieldSel.value || t.field === fieldSel.value));
  fieldSel.addEventListener('change', apply);
  const el = h('section', { 'aria-labelledby': 'progress-topics-h' }, h('h2', { id: 'progress-topics-h' }, 'By topic'),
    h('div', { class: 'filters' }, h('div', { class: 'field' }, h('label', { for: 'progress-field' }, 'Field'), fieldSel)),
    h('p', { class: 'hint' }, 'Choose a column heading to sort by it.'),
    tbl.el);
  return {
    el,
    set(p) {
      // Every topic of the survey, those nobody has answered yet included (with 0).
      const got = new Map((p.topics || []).map((t) => [t.code, t]));
      topics = (sv.topics || []).map((t) => got.get(t.code) || { code: t.code, field: t.field, respondents: 0, answers: 0 });
      el.hidden = !p.round;
      apply();
    },
  };
}

export async function viewProgress(v, slug) {
  const [detail, first] = await Promise.all([surveyDetail(slug), api('GET', `/surveys/${seg(slug)}/progress`)]);
  const sv = detail.survey;
  const title = txt(sv.title, sv.languages) || slug;
  const box = h('div', { id: 'progress-box' });
  const topics = topicSection(sv);
  const stamp = h('p', { class: 'hint', id: 'progress-stamp' });
  const err = h('div', { 'aria-live': 'polite' });
  const refresh = h('button', { type: 'button', class: 'small secondary', id: 'progress-refresh' }, 'Refresh now');
  let timer = 0;
  let p = first;
  const shown = () => {
    draw(box, sv, p);
    topics.set(p);
    const open = p.round && p.round.state === 'open';
    stamp.textContent = `Updated ${new Date().toLocaleTimeString('en-GB')}${open ? `; refreshed every ${REFRESH_MS / 1000} seconds while the round is open` : ''}.`;
  };
  const load = async () => {
    try {
      const again = await api('GET', `/surveys/${seg(slug)}/progress`);
      if (!v.alive()) return;
      p = again;
      clear(err);
      shown();
    } catch (e) {
      if (!v.alive() || (e instanceof ApiError && e.status === 401)) return;
      clear(err).appendChild(errorNotice(e, 'Refreshing failed; trying again shortly.'));
    }
    schedule();
  };
  const schedule = () => {
    clearTimeout(timer);
    if (v.alive() && p.round && p.round.state === 'open') timer = setTimeout(load, REFRESH_MS);
  };
  v.cleanup(() => clearTimeout(timer));
  refresh.addEventListener('click', () => busy(refresh, 'Refreshing…', load));
  shown();
  schedule();
  v.title(`Progress – ${title}`);
  v.show(
    h('p', { class: 'crumb' }, h('a', { href: '#/surveys' }, 'Surveys'), ' › ', h('a', { href: `#/s/${encodeURIComponent(slug)}` }, title)),
    heading('Progress'),
    surveyNav(slug, 'progress'),
    h('div', { class: 'toolbar' }, stamp, refresh),
    err,
    box,
    topics.el,
  );
}
