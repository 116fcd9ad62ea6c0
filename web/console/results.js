// results — what planners read: the topic table of a closed round (sortable, filterable by field,
// text and consensus), one topic's statistics with the charts of the HTML report for all
// respondents, the experts and each sector and the change from the previous round, and the
// downloads (CSV, JSON and HTML reports, the pseudonymised answers).
//
// The charts of all respondents are the server's (server/core/svg.c, with the previous round as
// outlines), parsed as SVG and kept only if made of drawing elements (no script, no link, no
// style); those of the other groups are drawn here by the expert app's chart.js, which matches
// svg.c's drawing.

import { api, apiUrl, seg } from './api.js';
import { surveyDetail, surveyNav } from './app.js';
import { add, clear, fmtNum, groupName, h, heading, notice, num, pct, sortableTable, table, txt } from './ui.js';

const SVG_NS = 'http://www.w3.org/2000/svg';
const SVG_ELEMENTS = new Set(['svg', 'g', 'rect', 'line', 'path', 'text', 'tspan', 'title', 'desc', 'circle', 'ellipse', 'polyline', 'polygon']);
const SPECIAL_NAMES = { already: 'Already realized', never: 'Never', dont_know: 'Don\'t know' };

const LABELS = {
  importance: 'Importance index',
  competitiveness: 'Competitiveness index',
  tech_year: 'Median technical year',
  social_year: 'Median social year',
};

function crumb(slug, title, extra) {
  return h('p', { class: 'crumb' }, h('a', { href: '#/surveys' }, 'Surveys'), ' › ',
    h('a', { href: `#/s/${encodeURIComponent(slug)}` }, title), extra ? [' › ', extra] : null);
}

// The language for survey texts in charts and reports: English when the survey has it.
function textLang(sv) {
  return (sv.languages || []).includes('en') ? 'en' : (sv.languages || ['en'])[0];
}

// Year questions get their range (the definition's, else survey year .. horizon) as /me gives it.
function questionsOf(sv) {
  return (sv.questions || []).map((q) => (q.kind === 'year'
    ? { ...q, min: Number.isInteger(q.min) ? q.min : sv.year, max: Number.isInteger(q.max) ? q.max : sv.horizon }
    : q));
}

function expertiseKey(sv) {
  const q = (sv.questions || []).find((x) => x.key === 'expertise');
  return q ? q.key : '';
}

// ---- downloads ---------------------------------------------------------------------------------

function downloads(slug, n, sv) {
  const lang = h('select', { id: 'dl-lang' }, ...(sv.languages || []).map((l) => h('option', { value: l, selected: l === textLang(sv) }, l)));
  const links = h('ul', { class: 'downloads', id: 'downloads' });
  const items = [
    ['report.csv', 'Report (CSV)', 'every statistic, for spreadsheets'],
    ['report.json', 'Report (JSON)', 'the same for programs'],
    ['report.html', 'Report (HTML, printable)', 'charts and tables, one page per topic'],
    ['answers.csv', 'Raw answers (CSV, pseudonymised)', 'every answer of the round, under pseudonyms'],
  ];
  const draw = () => {
    clear(links);
    for (const [file, label, what] of items) {
      const href = apiUrl(`/surveys/${seg(slug)}/rounds/${n}/${file}?lang=${encodeURIComponent(lang.value)}`);
      links.appendChild(h('li', null, h('a', { href, download: `${slug}-round-${n}-${file}`, 'data-file': file }, label),
        h('span', { class: 'hint' }, ` – ${what}`)));
    }
  };
  lang.addEventListener('change', draw);
  draw();
  return h('section', { class: 'panel', 'aria-labelledby': 'dl-h' },
    h('h2', { id: 'dl-h' }, `Downloads of round ${n}`),
    h('div', { class: 'field' }, h('label', { for: 'dl-lang' }, 'Language of the texts'), lang),
    links);
}

function roundPicker(slug, rounds, n, suffix) {
  return h('nav', { class: 'round-pick', 'aria-label': 'Rounds' }, h('p', { class: 'round-pick-label' }, 'Rounds:'), h('ul', null,
    ...rounds.map((r) => h('li', null, h('a', {
      href: `#/s/${encodeURIComponent(slug)}/results/${r.number}${suffix || ''}`, 'aria-current': r.number === n ? 'page' : false,
    }, `Round ${r.number}`, r.state === 'open' ? ' (open)' : '')))));
}

// ---- the topic table ---------------------------------------------------------------------------

export async function viewResults(v, slug, n) {
  const detail = await surveyDetail(slug, !n);
  const sv = detail.survey;
  const title = txt(sv.title, sv.languages) || slug;
  const rounds = detail.rounds || [];
  const closed = rounds.filter((r) => r.state === 'closed');
  const head = [crumb(slug, title), heading(n ? `Results of round ${n}` : 'Results'), surveyNav(slug, 'results')];
  v.title(`Results – ${title}`);
  if (!n) {
    if (!closed.length) {
      v.show(...head, notice('info', rounds.length ? 'No round has closed yet: results come when a round closes.' : 'No round has been opened yet.'));
      return;
    }
    location.replace(`#/s/${encodeURIComponent(slug)}/results/${closed[closed.length - 1].number}`);
    return;
  }
  const data = await api('GET', `/surveys/${seg(slug)}/rounds/${n}/topics`);
  v.title(`Results of round ${n} – ${title}`);
  if (!data.aggregated) {
    v.show(...head, roundPicker(slug, rounds, n),
      notice('info', `Round ${n} is ${data.state || 'open'}: its statistics are computed when it closes.`));
    return;
  }
  const qs = questionsOf(sv);
  const ek = expertiseKey(sv);
  const shownQs = qs.filter((q) => (q.kind === 'ordinal' || q.kind === 'year') && q.key !== ek);
  const topics = (data.topics || []).map((t) => ({ ...t, titleText: txt(t.title, sv.languages) }));
  const fieldTitle = (code) => {
    const f = (sv.fields || []).find((x) => x.code === code);
    return f ? txt(f.title, sv.languages) : code;
  };
  const qv = (t, key, what) => {
    const x = t.questions && t.questions[key];
    return x && typeof x[what] === 'number' ? x[what] : null;
  };
  const columns = [
    { label: 'Topic', rowHeader: true, cls: 'col-topic', value: (t) => t.code, cell: (t) => h('a', { href: `#/s/${encodeURIComponent(slug)}/results/${n}/${encodeURIComponent(t.code)}` }, h('span', { class: 'code' }, t.code), ' ', t.titleText) },
    { label: 'Field', cls: 'col-code', value: (t) => t.field, cell: (t) => h('span', { title: fieldTitle(t.field) }, t.field) },
    ...shownQs.map((q) => (q.kind === 'ordinal'
      ? { label: LABELS[q.key] || `${txt(q.text, sv.languages)} (index)`, cls: 'num', desc: true, value: (t) => qv(t, q.key, 'index'), cell: (t) => num(qv(t, q.key, 'index'), 1) }
      : { label: LABELS[q.key] || `${txt(q.text, sv.languages)} (median)`, cls: 'num', value: (t) => qv(t, q.key, 'median'), cell: (t) => fmtNum(qv(t, q.key, 'median')) })),
    { label: 'Consensus', value: (t) => (t.consensus ? 1 : 0), desc: true, cell: (t) => (t.consensus ? h('span', { class: 'state state-done' }, 'yes') : 'no') },
    { label: 'n', cls: 'num', desc: true, value: (t) => t.respondents, cell: (t) => String(t.respondents ?? '–') },
  ];
  const count = h('p', { id: 'topics-count', 'aria-live': 'polite' });
  const tbl = sortableTable(columns, topics, { caption: `Topics of round ${n}`, captionHidden: true, id: 'topics-table',
    onDraw: (k) => { count.textContent = `${k} of ${topics.length} topics shown.`; } });

  const fieldSel = h('select', { id: 'filter-field' }, h('option', { value: '' }, 'All fields'),
    ...(sv.fields || []).map((f) => h('option', { value: f.code }, `${f.code} – ${txt(f.title, sv.languages)}`)));
  const search = h('input', { type: 'search', id: 'filter-text', autocomplete: 'off' });
  const consSel = h('select', { id: 'filter-consensus' }, h('option', { value: '' }, 'Any'), h('option', { value: 'yes' }, 'Reached'), h('option', { value: 'no' }, 'Not reached'));
  const apply = () => {
    const words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    tbl.set(topics.filter((t) => (!fieldSel.value || t.field === fieldSel.value) &&
      (!consSel.value || (consSel.value === 'yes') === !!t.consensus) &&
      words.every((w) => `${t.code} ${t.titleText}`.toLowerCase().includes(w))));
  };
  fieldSel.addEventListener('change', apply);
  consSel.addEventListener('change', apply);
  search.addEventListener('input', apply);
  const reached = topics.filter((t) => t.consensus).length;
  v.show(...head, roundPicker(slug, rounds, n),
    h('p', { class: 'lead' }, `${topics.length} topics; ${reached} reached consensus (every question of the topic in group "all").`),
    h('div', { class: 'filters' },
      h('div', { class: 'field' }, h('label', { for: 'filter-field' }, 'Field'), fieldSel),
      h('div', { class: 'field' }, h('label', { for: 'filter-text' }, 'Topic code or title'), search),
      h('div', { class: 'field' }, h('label', { for: 'filter-consensus' }, 'Consensus'), consSel)),
    count,
    tbl.el,
    h('p', { class: 'hint' }, 'Indexes run from 0 to 100 (the answers\' weights); medians of the years are of the valid answers; n counts the experts who answered the topic. Choose a column heading to sort by it.'),
    downloads(slug, n, sv));
}

// ---- one topic -------------------------------------------------------------------------------

// The server's SVG text as an element made only of drawing elements, or null.
export function importSvg(text) {
  if (typeof text !== 'string' || !text) return null;
  const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
  const root = doc.documentElement;
  if (!root || root.namespaceURI !== SVG_NS || root.localName !== 'svg' || doc.getElementsByTagName('parsererror').length) return null;
  const clean = (el) => {
    for (const child of [...el.childNodes]) {
      if (child.nodeType === 1) {
        if (child.namespaceURI !== SVG_NS || !SVG_ELEMENTS.has(child.localName)) child.remove();
        else clean(child);
      } else if (child.nodeType !== 3) {
        child.remove();
      }
    }
    for (const a of [...el.attributes]) {
      if (/^on/i.test(a.name) || /href$/i.test(a.name) || a.name === 'style' || /url\s*\(|javascript:/i.test(a.value)) el.removeAttribute(a.name);
    }
  };
  clean(root);
  root.removeAttribute('id');
  return document.importNode(root, true);
}

function statCols(q, hasPrev) {
  const cols = [{ label: 'Group', key: 'group' }, { label: 'n', key: 'n', cls: 'num' }];
  const specials = q.kind === 'ordinal' ? (q.dont_know ? ['dont_know'] : []) : (q.special || []);
  for (const sp of specials) cols.push({ label: SPECIAL_NAMES[sp] || sp, key: sp, cls: 'num', fmt: pct });
  cols.push({ label: 'Median', key: 'median', cls: 'num', fmt: fmtNum },
    { label: 'Q1–Q3', key: 'q13', cls: 'num' },
    { label: 'IQR', key: 'iqr', cls: 'num', fmt: fmtNum });
  if (q.kind === 'ordinal') cols.push({ label: 'Index', key: 'index', cls: 'num', fmt: (x) => num(x, 1) }, { label: 'Agreement', key: 'agreement', cls: 'num', fmt: pct });
  cols.push({ label: 'Consensus', key: 'consensus' });
  if (hasPrev) {
    cols.push({ label: 'Median, previous round', key: 'prev_median', cls: 'num', fmt: fmtNum },
      { label: 'Paired', key: 'n_paired', cls: 'num' },
      { label: 'Changed', key: 'changed', cls: 'num', fmt: pct },
      { label: 'Mean change', key: 'mean_abs_change', cls: 'num', fmt: (x) => num(x, 2) },
      { label: 'Wilcoxon p', key: 'wilcoxon_p', cls: 'num', fmt: (x) => num(x, 3) });
  }
  return cols;
}

function statTable(q, groups, prev, sv, hasPrev) {
  const cols = statCols(q, hasPrev);
  const rows = [];
  for (const g of Object.keys(groups)) {
    const st = groups[g] && groups[g][q.key];
    if (!st) continue;
    const p = prev && prev[g] && prev[g][q.key];
    rows.push(cols.map((c) => {
      if (c.key === 'group') return { th: groupName(g) };
      if (c.key === 'q13') return typeof st.q1 === 'number' && typeof st.q3 === 'number' ? `${fmtNum(st.q1)}–${fmtNum(st.q3)}` : '–';
      if (c.key === 'consensus') return st.consensus === true ? 'yes' : st.consensus === false ? 'no' : '–';
      if (c.key === 'prev_median') return fmtNum(p ? p.median : null);
      const x = st[c.key];
      if (c.fmt) return c.fmt(x);
      return x === null || x === undefined ? '–' : String(x);
    }));
  }
  return table(cols, rows, { caption: `${txt(q.text, sv.languages)}: statistics by group`, captionHidden: true, cls: 'stats', label: `Statistics of ${q.key}` });
}

function multiTable(q, groups, prev, sv, hasPrev) {
  const gs = Object.keys(groups).filter((g) => groups[g] && groups[g][q.key]);
  const cols = [{ label: 'Option' }, ...gs.map((g) => ({ label: groupName(g), cls: 'num' }))];
  if (hasPrev) cols.push({ label: 'All, previous round', cls: 'num' });
  const rows = (q.options || []).map((o) => {
    const r = [{ th: txt(o.text, sv.languages) }, ...gs.map((g) => pct((groups[g][q.key].shares || {})[o.code]))];
    if (hasPrev) {
      const p = prev && prev.all && prev.all[q.key];
      r.push(pct(p && p.shares ? p.shares[o.code] : null));
    }
    return r;
  });
  return table(cols, rows, { caption: `${txt(q.text, sv.languages)}: share of respondents choosing each option`, captionHidden: true, cls: 'stats', label: `Shares of ${q.key}` });
}

function chartTexts(q, sv, caption) {
  return {
    label: (lab) => txt(lab.text, sv.languages),
    special: (sp) => (SPECIAL_NAMES[sp] || sp).toLowerCase(),
    you: 'you',
    median: 'median',
    iqr: 'Q1–Q3',
    noAnswers: 'No answers',
    answers: 'answers',
    title: caption,
  };
}

export async function viewTopic(v, slug, n, code) {
  const detail = await surveyDetail(slug);
  const sv = detail.survey;
  const title = txt(sv.title, sv.languages) || slug;
  const lang = textLang(sv);
  const [data, chartMod] = await Promise.all([
    api('GET', `/surveys/${seg(slug)}/rounds/${n}/topics/${seg(code)}?lang=${encodeURIComponent(lang)}`),
    import('../survey/chart.js'),
  ]);
  const t = data.topic || (sv.topics || []).find((x) => x.code === code) || { code };
  const tTitle = txt(t.title, sv.languages);
  const f = (sv.fields || []).find((x) => x.code === t.field);
  const groups = data.groups || {};
  const prev = data.previous || null;
  const hasPrev = !!prev && n > 1;
  const charts = data.charts || {};
  const qs = questionsOf(sv);
  const gkeys = Object.keys(groups);

  // Topic navigation in definition order.
  const all = sv.topics || [];
  const i = all.findIndex((x) => x.code === code);
  const href = (c) => `#/s/${encodeURIComponent(slug)}/results/${n}/${encodeURIComponent(c)}`;
  const pager = h('nav', { class: 'pager', 'aria-label': 'Topics' },
    i > 0 ? h('a', { class: 'button secondary', href: href(all[i - 1].code), rel: 'prev' }, `← ${all[i - 1].code}`) : h('span'),
    h('a', { class: 'button secondary', href: `#/s/${encodeURIComponent(slug)}/results/${n}` }, 'All topics'),
    i >= 0 && i + 1 < all.length ? h('a', { class: 'button secondary', href: href(all[i + 1].code), rel: 'next' }, `${all[i + 1].code} →`) : h('span'));

  const groupSel = h('select', { id: 'chart-group' }, ...gkeys.map((g) => h('option', { value: g }, groupName(g))));
  const figures = [];
  const sections = [];
  for (const q of qs) {
    if (q.kind === 'text') continue;
    const hid = `q-${q.key}-h`;
    const sec = h('section', { class: 'q-result', id: `res-${q.key}`, 'aria-labelledby': hid }, h('h2', { id: hid }, txt(q.text, sv.languages)));
    if (q.kind === 'ordinal' || q.kind === 'year') {
      const fig = h('figure', { class: 'chart', id: `chart-${q.key}` });
      figures.push({ q, fig });
      sec.appendChild(fig);
      sec.appendChild(statTable(q, groups, prev, sv, hasPrev));
    } else if (q.kind === 'multi') {
      sec.appendChild(multiTable(q, groups, prev, sv, hasPrev));
    }
    sections.push(sec);
  }
  const drawCharts = () => {
    const g = groupSel.value || 'all';
    for (const { q, fig } of figures) {
      clear(fig);
      const st = groups[g] && groups[g][q.key];
      const caption = `Round ${n}, ${groupName(g).toLowerCase()}${g === 'all' && hasPrev ? `; round ${n - 1} as outlines` : ''}`;
      let svg = g === 'all' ? importSvg(charts[q.key]) : null;
      if (!svg && st) svg = chartMod.distChart(q, { ...st, own: null }, chartTexts(q, sv, `${txt(q.text, sv.languages)} – ${caption}`));
      if (svg) svg.setAttribute('class', `${svg.getAttribute('class') || ''} dc`.trim());
      add(fig, h('figcaption', { class: 'fb-title' }, caption),
        svg ? h('div', { class: 'chart-scroll', tabindex: '0', role: 'group', 'aria-label': `${txt(q.text, sv.languages)}: chart` }, svg) : h('p', { class: 'hint' }, 'No chart for this group.'),
        st ? h('p', { class: 'fb-summary' }, `${st.n ?? 0} valid answers · Q1 ${fmtNum(st.q1)} · median ${fmtNum(st.median)} · Q3 ${fmtNum(st.q3)}`) : null);
    }
  };
  groupSel.addEventListener('change', drawCharts);
  drawCharts();

  v.title(`${t.code} – results of round ${n} – ${title}`);
  v.show(
    crumb(slug, title, h('a', { href: `#/s/${encodeURIComponent(slug)}/results/${n}` }, `Results of round ${n}`)),
    h('p', { class: 'crumb' }, f ? txt(f.title, sv.languages) : t.field || ''),
    heading(`${t.code} ${tTitle}`),
    surveyNav(slug, 'results'),
    roundPicker(slug, (detail.rounds || []).filter((r) => r.state === 'closed'), n, `/${encodeURIComponent(code)}`),
    txt(t.text, sv.languages) ? h('p', { class: 'statement' }, txt(t.text, sv.languages)) : null,
    hasPrev ? h('p', { class: 'hint' }, `The change from round ${n - 1}: the charts of all respondents draw round ${n - 1} as outlines; the tables give round ${n - 1}'s median and, over the experts who answered both rounds, the share who changed their answer, the mean change and Wilcoxon's signed-rank p.`) : null,
    gkeys.length ? h('div', { class: 'filters' }, h('div', { class: 'field' }, h('label', { for: 'chart-group' }, 'Charts for'), groupSel)) : notice('info', 'No statistics for this topic.'),
    ...sections,
    pager,
  );
}
