// app — the expert's survey: welcome, choosing topics, answering, progress, round-2 feedback.
//
// One page (/survey/) with hash routes: #/ welcome, #/topics, #/topic/CODE, #/progress, #/done.
// Everything comes from GET /api/v1/me; every change is queued in the outbox (store.js) and
// saved by PUT /api/v1/answers/{topic}. Texts from the survey and from experts are inserted as
// text nodes only (dom.js).
//
// Reasons (round r > 1): an ordinal or year answer outside the panel's round r − 1 Q1–Q3 gets a
// reason box under its question (survey.reason_outside_iqr: "off" shows none, "optional" asks,
// "required" counts the topic as answered only once every such reason is given). A reason is
// saved with the answers, as the PUT's reserved member "reasons": {question key: text}.

import { $, add, clear, fmtNum, h, newId } from './dom.js';
import { LANGS, browserLang, lang, setLang, tr } from './i18n.js';
import { ApiError, Saver, api, local } from './store.js';

const MINUTES_PER_TOPIC = 2;
const LANG_KEY = 'delphi:lang';
const REASONS = 'reasons'; // the reserved member of an answers object (docs/api.md)
const REASON_MAX = 2000; // bytes of UTF-8 the server takes in a reason
const FEEDBACK_PARALLEL = 3; // feedback requests at a time when all are needed at start

const st = {
  me: null,
  survey: null,
  round: null,
  answers: {}, // topic -> {key: value} as the server last acknowledged it
  prev: {}, // previous round's answers
  drafts: {}, // topic -> {key: value} held back by a client-side check
  errors: {}, // topic -> {key: message}
  chosen: new Set(),
  prefilled: new Set(),
  feedback: new Map(), // topic -> Promise of the feedback (or null)
  fbData: new Map(), // topic -> the feedback, once it has arrived
  saver: null,
  readOnly: '', // '' or the reason: 'closed', 'draft', 'not_invited'
  session: false,
  route: '',
};

const main = $('#main');

// ---- survey texts ------------------------------------------------------------------------------

// The text of an i18n object in the current language, else the survey's first language.
function txt(obj) {
  if (!obj || typeof obj !== 'object') return '';
  const first = st.survey && st.survey.languages ? st.survey.languages[0] : 'en';
  return obj[lang()] ?? obj[first] ?? Object.values(obj)[0] ?? '';
}

function storeKey(name, perRound) {
  const base = `delphi:${name}:${st.survey.slug}:${st.me.expert.pseudonym}`;
  return perRound ? `${base}:r${st.round.number}` : base;
}

const fieldOf = (code) => st.survey.fields.find((f) => f.code === code);
const topicOf = (code) => st.survey.topics.find((t) => t.code === code);
const ownFields = () => new Set(st.me.expert.fields || []);

// Fields with the expert's own first, then the rest, each in definition order.
function orderedFields() {
  const own = ownFields();
  return [...st.survey.fields.filter((f) => own.has(f.code)), ...st.survey.fields.filter((f) => !own.has(f.code))];
}

function orderedTopics() {
  return orderedFields().flatMap((f) => st.survey.topics.filter((t) => t.field === f.code));
}

const chosenTopics = () => orderedTopics().filter((t) => st.chosen.has(t.code));

// The questions in the order they are asked: expertise first, then as defined.
function questions() {
  const qs = st.survey.questions;
  return [...qs.filter((q) => q.key === 'expertise'), ...qs.filter((q) => q.key !== 'expertise')];
}

// ---- answers -----------------------------------------------------------------------------------

// What the page shows for a topic: acknowledged answers, then queued ones, then held-back drafts.
// The layers' "reasons" objects are merged question by question (null removes one); a reason
// goes with its answer, as on the server.
function current(topic) {
  const stored = st.answers[topic] || {};
  const out = { ...stored };
  const reasons = { ...(stored[REASONS] || {}) };
  const layers = [st.saver ? st.saver.pending(topic) : {}, st.drafts[topic] || {}];
  for (const layer of layers) {
    for (const [k, v] of Object.entries(layer)) {
      if (k === REASONS) {
        for (const [rk, rv] of Object.entries(v || {})) {
          if (rv === null) delete reasons[rk];
          else reasons[rk] = rv;
        }
      } else if (v === null) delete out[k];
      else out[k] = v;
    }
  }
  delete out[REASONS];
  for (const rk of Object.keys(reasons)) if (out[rk] === undefined) delete reasons[rk];
  if (Object.keys(reasons).length) out[REASONS] = reasons;
  return out;
}

// The survey's reason mode in this round: 'off' in round 1.
function reasonMode() {
  return st.round.number > 1 ? st.survey.reason_outside_iqr || 'optional' : 'off';
}

// Whether q may get a reason box (the expertise question never does).
function asksReason(q) {
  return reasonMode() !== 'off' && (q.kind === 'ordinal' || q.kind === 'year') && q.key !== 'expertise';
}

// The previous round's statistics of q when the value v lies outside their Q1–Q3, else null
// (also while the topic's feedback has not arrived: then nothing can be judged). Only years and
// label values compare; "dont_know", "already" and "never" are never outside.
function outsideOf(topic, q, v) {
  const fb = st.fbData.get(topic);
  const stats = fb && fb.questions ? fb.questions[q.key] : null;
  if (!asksReason(q) || !stats || typeof v !== 'number' || typeof stats.q1 !== 'number' || typeof stats.q3 !== 'number') return null;
  return v < stats.q1 || v > stats.q3 ? stats : null;
}

const hasText = (v) => typeof v === 'string' && v.trim() !== '';

// In "required" mode: the questions of the topic whose answer lies outside Q1–Q3 without a
// reason (one too long to be saved is none).
function missingReasons(topic, cur = current(topic)) {
  if (reasonMode() !== 'required') return [];
  const reasons = cur[REASONS] || {};
  const given = (r) => hasText(r) && utf8Bytes(r) <= REASON_MAX;
  return questions().filter((q) => outsideOf(topic, q, cur[q.key]) && !given(reasons[q.key]));
}

// 'answered', 'reason' (complete but a required reason is missing) or 'incomplete'. Complete:
// every ordinal and year question has an answer (measures and comment are optional).
function topicState(topic) {
  const cur = current(topic);
  if (!questions().every((q) => (q.kind !== 'ordinal' && q.kind !== 'year') || cur[q.key] !== undefined)) return 'incomplete';
  return missingReasons(topic, cur).length ? 'reason' : 'answered';
}

const isAnswered = (topic) => topicState(topic) === 'answered';
const stateText = (state) => tr(state === 'reason' ? 'reason_needed' : state);

function utf8Bytes(str) {
  return new TextEncoder().encode(str).length;
}

// Client-side checks of a topic's values. Returns {key: message} for the failing questions and
// the set of keys involved (held back from saving until fixed).
function check(cur) {
  const errs = {};
  const held = new Set();
  for (const q of st.survey.questions) {
    const v = cur[q.key];
    if (q.kind === 'year' && q.not_before) {
      const before = cur[q.not_before];
      if (typeof v === 'number' && typeof before === 'number' && v < before) {
        errs[q.key] = tr('err_social', { y: before });
        held.add(q.key);
        held.add(q.not_before);
      }
    }
    if (q.kind === 'text' && typeof v === 'string') {
      const max = q.max_length || 2000;
      const n = utf8Bytes(v);
      if (n > max) {
        errs[q.key] = tr('err_long', { n, max });
        held.add(q.key);
      }
    }
  }
  for (const [rk, text] of Object.entries(cur[REASONS] || {})) {
    const n = typeof text === 'string' ? utf8Bytes(text) : 0;
    if (n > REASON_MAX) {
      errs[reasonErrKey(rk)] = tr('err_long', { n, max: REASON_MAX });
      held.add(reasonErrKey(rk));
    }
  }
  return { errs, held };
}

// The key of a reason's messages in st.errors and of a held-back reason in check()'s set.
const reasonErrKey = (key) => `${REASONS}:${key}`;

// A change made by the expert: checked, then queued (or held back while a check fails).
// st.errors[topic][key] = {msg, client}: client messages come and go with the checks; a server
// message stays until the expert changes that question.
function setAnswer(topic, key, value) {
  if (st.readOnly) return;
  const drafts = st.drafts[topic] || (st.drafts[topic] = {});
  drafts[key] = value;
  const errs = st.errors[topic] || (st.errors[topic] = {});
  delete errs[key];
  // The reason follows its answer. An answer that moves back inside Q1–Q3 has its reason
  // removed ("reasons": {key: null}, which the API takes, in the same PUT as the answer): the
  // server would otherwise keep it with the changed answer, which it no longer explains. The text
  // stays in the hidden box while the page is open, so moving the answer outside again brings
  // the reason back. Nothing is judged before the feedback (the quartiles) has arrived.
  const q = st.survey.questions.find((x) => x.key === key);
  if (q && asksReason(q) && st.fbData.has(topic)) {
    const given = (current(topic)[REASONS] || {})[key];
    const area = $(`#rin-${key}`);
    if (!outsideOf(topic, q, value)) {
      if (given !== undefined) draftReason(topic, key, null);
    } else if (given === undefined && area && hasText(area.value)) {
      draftReason(topic, key, area.value);
    }
  }
  commit(topic);
}

// The expert's reason for the answer to question key (the reason box).
function setReason(topic, key, text) {
  if (st.readOnly) return;
  draftReason(topic, key, hasText(text) ? text : null);
  delete (st.errors[topic] || {})[reasonErrKey(key)];
  commit(topic);
}

function draftReason(topic, key, text) {
  const drafts = st.drafts[topic] || (st.drafts[topic] = {});
  (drafts[REASONS] || (drafts[REASONS] = {}))[key] = text;
}

// Checks the topic's drafts and queues what passes; the rest stays held back (a reason with its
// answer), with the checks' messages.
function commit(topic) {
  const drafts = st.drafts[topic] || (st.drafts[topic] = {});
  const errs = st.errors[topic] || (st.errors[topic] = {});
  delete errs[''];
  for (const k of Object.keys(errs)) if (errs[k].client) delete errs[k];
  const { errs: found, held } = check(current(topic));
  for (const [k, msg] of Object.entries(found)) errs[k] = { msg, client: true };
  for (const [k, v] of Object.entries(drafts)) {
    if (k === REASONS) {
      for (const [rk, rv] of Object.entries(v)) {
        if (held.has(rk) || held.has(reasonErrKey(rk))) continue;
        st.saver.setIn(topic, REASONS, rk, rv);
        delete v[rk];
      }
      if (!Object.keys(v).length) delete drafts[k];
      continue;
    }
    if (held.has(k)) continue;
    st.saver.set(topic, k, v);
    delete drafts[k];
  }
  refreshTopic(topic);
}

// ---- shell: language, navigation, save status -------------------------------------------------

function initShell() {
  const sel = $('#lang');
  clear(sel);
  for (const l of LANGS) sel.appendChild(h('option', { value: l.code, selected: l.code === lang(), lang: l.code }, l.name));
  sel.addEventListener('change', async () => {
    await setLang(sel.value);
    local.write(LANG_KEY, { lang: sel.value });
    shellTexts();
    if (st.survey) render(false);
    else if (st.fail) st.fail();
  });
  $('#skip').addEventListener('click', (e) => {
    e.preventDefault();
    main.focus();
  });
  shellTexts();
}

function shellTexts() {
  $('#skip').textContent = tr('skip');
  $('#lang-label').textContent = tr('language');
  $('#nav').setAttribute('aria-label', tr('nav'));
  $('#brand').textContent = st.survey ? txt(st.survey.title) : 'delphi';
  const nav = clear($('#nav-list'));
  if (!st.survey) return;
  const items = [['#/', 'nav_welcome', ''], ['#/topics', 'nav_topics', 'topics'], ['#/progress', 'nav_progress', 'progress']];
  const here = st.route.split('/')[0];
  for (const [href, key, route] of items) {
    const current = here === route || (route === 'progress' && here === 'done') || (route === 'topics' && here === 'topic');
    nav.appendChild(h('li', null, h('a', { href, 'aria-current': current ? 'page' : false }, tr(key),
      route === 'progress' ? h('span', { id: 'nav-count' }) : null)));
  }
  updateCounts();
  showState(st.lastState || 'saved');
}

// The answered / chosen count in the navigation.
function updateCounts() {
  const el = $('#nav-count');
  if (!el) return;
  const c = chosenTopics();
  el.textContent = ` (${c.filter((t) => isAnswered(t.code)).length}/${c.length})`;
}

function showState(name) {
  st.lastState = name;
  const el = $('#save-status');
  if (!st.survey) return;
  const shown = st.readOnly && name === 'saved' ? 'readonly' : name;
  el.className = `status status-${shown}`;
  el.textContent = tr(`st_${shown}`);
}

// ---- routing -----------------------------------------------------------------------------------

function render(moveFocus) {
  const route = decodeURIComponent(location.hash.replace(/^#\/?/, ''));
  st.route = route;
  const [name, arg] = route.split('/');
  clear(main);
  let title;
  if (name === 'topics') title = viewTopics();
  else if (name === 'topic' && arg) title = viewTopic(arg);
  else if (name === 'progress') title = viewProgress();
  else if (name === 'done') title = viewDone();
  else title = viewWelcome();
  document.title = `${title} – ${txt(st.survey.title)}`;
  shellTexts();
  if (moveFocus) {
    const h1 = main.querySelector('h1');
    if (h1) h1.focus();
    window.scrollTo(0, 0);
  }
}

function heading(text) {
  return h('h1', { tabindex: '-1' }, text);
}

function notice(kind, ...kids) {
  return h('p', { class: `notice notice-${kind}` }, ...kids);
}

function readOnlyNotice() {
  if (!st.readOnly) return null;
  if (st.readOnly === 'draft') return notice('info', tr('draft'));
  if (st.readOnly === 'not_invited') return notice('info', tr('not_invited'));
  return notice('info', tr('closed', { r: st.round.number }));
}

function sessionNotice() {
  if (!st.session) return null;
  return h('div', { class: 'notice notice-warn', role: 'alert' }, h('strong', null, tr('session_h')), ' ', tr('session'));
}

function nextUnanswered() {
  return chosenTopics().find((t) => !isAnswered(t.code)) || null;
}

const topicHref = (code) => `#/topic/${encodeURIComponent(code)}`;

// ---- welcome -----------------------------------------------------------------------------------

function viewWelcome() {
  const sv = st.survey;
  const title = txt(sv.title);
  const own = ownFields();
  const nOwn = sv.topics.filter((t) => own.has(t.field)).length;
  const anyAnswer = Object.keys(st.answers).length > 0;
  const next = nextUnanswered();
  const actions = h('p', { class: 'actions' });
  if (st.readOnly && st.readOnly !== 'draft') {
    actions.appendChild(h('a', { class: 'button', href: '#/progress' }, tr('see_answers')));
  } else if (anyAnswer && next) {
    actions.appendChild(h('a', { class: 'button', href: topicHref(next.code) }, tr('resume')));
    actions.appendChild(h('a', { class: 'button secondary', href: '#/topics' }, tr('change_topics')));
  } else {
    actions.appendChild(h('a', { class: 'button', href: '#/topics' }, tr('start')));
  }
  add(main,
    heading(title),
    h('p', { class: 'lead' }, tr('hello', { name: st.me.expert.name || st.me.expert.pseudonym }),
      st.readOnly === 'draft' ? '' : ` ${tr('round_of', { r: st.round.number, n: sv.rounds })}`),
    readOnlyNotice(),
    sessionNotice(),
    txt(sv.description) ? h('section', { 'aria-labelledby': 'w-about' },
      h('h2', { id: 'w-about' }, tr('about')), h('p', { class: 'prose' }, txt(sv.description))) : null,
    h('section', { 'aria-labelledby': 'w-how' }, h('h2', { id: 'w-how' }, tr('how_h')), h('p', null, tr('how')),
      st.round.number > 1 ? h('p', null, tr('how2', { r: st.round.number, p: st.round.number - 1 })) : null),
    h('section', { 'aria-labelledby': 'w-anon' }, h('h2', { id: 'w-anon' }, tr('anon_h')),
      h('p', null, tr('anon', { p: st.me.expert.pseudonym }))),
    h('section', { 'aria-labelledby': 'w-time' }, h('h2', { id: 'w-time' }, tr('time_h')),
      h('p', null, nOwn ? tr('time', { n: nOwn, min: nOwn * MINUTES_PER_TOPIC }) : tr('time_generic'))),
    actions,
  );
  return title;
}

// ---- choosing topics ---------------------------------------------------------------------------

function saveChosen() {
  local.write(storeKey('chosen'), { topics: [...st.chosen] });
}

function viewTopics() {
  const sv = st.survey;
  const own = ownFields();
  const count = h('p', { class: 'count', id: 'chosen-count', 'aria-live': 'polite' });
  const shown = h('p', { class: 'hint', id: 'shown-count', 'aria-live': 'polite' });
  const none = h('p', { class: 'notice notice-info', hidden: true }, tr('no_match'));
  const begin = h('p', { class: 'actions' });
  const sections = [];
  const updateCount = () => {
    count.textContent = tr('chosen', { n: st.chosen.size, total: sv.topics.length });
    clear(begin);
    const first = nextUnanswered() || chosenTopics()[0];
    if (first) begin.appendChild(h('a', { class: 'button', href: topicHref(first.code) }, tr('begin')));
    else begin.appendChild(h('span', { class: 'hint' }, tr('none_chosen')));
  };
  const choose = (code, on) => {
    if (on) st.chosen.add(code);
    else st.chosen.delete(code);
  };
  const changed = () => {
    saveChosen();
    updateCount();
    updateCounts();
  };

  for (const f of orderedFields()) {
    const topics = sv.topics.filter((t) => t.field === f.code);
    const hid = newId('field');
    const list = h('ul', { class: 'topic-list' });
    const boxes = [];
    for (const t of topics) {
      const id = `pick-${t.code}`;
      const box = h('input', { type: 'checkbox', id, checked: st.chosen.has(t.code), 'aria-describedby': `${id}-text`,
        onchange: (e) => { choose(t.code, e.target.checked); changed(); } });
      boxes.push(box);
      const words = `${t.code} ${txt(t.title)} ${txt(t.text)}`.toLowerCase();
      list.appendChild(h('li', { 'data-words': words },
        box,
        h('label', { for: id }, h('span', { class: 'code' }, t.code), ' ', txt(t.title)),
        h('p', { class: 'topic-text', id: `${id}-text` }, txt(t.text))));
    }
    const setAll = (on) => {
      for (const [i, t] of topics.entries()) {
        if (boxes[i].closest('li').hidden) continue;
        boxes[i].checked = on;
        choose(t.code, on);
      }
      changed();
    };
    const ft = txt(f.title);
    const sec = h('section', { class: 'field', 'aria-labelledby': hid },
      h('h2', { id: hid }, ft, own.has(f.code) ? h('span', { class: 'badge' }, tr('your_field')) : null),
      h('p', { class: 'field-actions' },
        h('button', { type: 'button', class: 'small secondary', onclick: () => setAll(true) }, tr('field_all', { field: ft })),
        h('button', { type: 'button', class: 'small secondary', onclick: () => setAll(false) }, tr('field_none', { field: ft }))),
      list);
    sections.push(sec);
  }

  const search = h('input', { type: 'search', id: 'topic-search', autocomplete: 'off', 'aria-describedby': 'search-hint' });
  search.addEventListener('input', () => {
    const words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    let n = 0;
    for (const sec of sections) {
      let any = false;
      for (const li of sec.querySelectorAll('li')) {
        const hit = words.every((w) => li.dataset.words.includes(w));
        li.hidden = !hit;
        if (hit) {
          any = true;
          n += 1;
        }
      }
      sec.hidden = !any;
    }
    none.hidden = n > 0;
    shown.textContent = words.length ? tr('shown', { n }) : '';
  });

  add(main,
    heading(tr('topics_h')),
    h('p', null, tr('topics_intro')),
    readOnlyNotice(),
    h('div', { class: 'search' },
      h('label', { for: 'topic-search' }, tr('search')),
      search,
      h('p', { class: 'hint', id: 'search-hint' }, tr('search_hint')),
      shown),
    count,
    begin,
    none,
    ...sections,
  );
  updateCount();
  return tr('topics_h');
}

// ---- answering a topic -------------------------------------------------------------------------

function yearOptions(q) {
  const sel = [h('option', { value: '' }, tr('year_pick'))];
  const years = h('optgroup', { label: tr('year_years') });
  for (let y = q.min; y <= q.max; y++) years.appendChild(h('option', { value: String(y) }, String(y)));
  sel.push(years);
  const specials = (q.special || []).filter((sp) => ['already', 'never', 'dont_know'].includes(sp));
  if (specials.length) {
    const other = h('optgroup', { label: tr('year_other') });
    for (const sp of specials) other.appendChild(h('option', { value: sp }, specialText(sp)));
    sel.push(other);
  }
  return sel;
}

function specialText(sp) {
  return sp === 'dont_know' ? tr('dont_know') : tr(sp);
}

// The reason box of an ordinal or year question (hidden until its answer lies outside the
// previous round's Q1–Q3): the prompt with the quartiles (#reason-KEY), a labelled text area
// (#rin-KEY) with a byte counter, and its message. null when the round asks for no reasons.
function reasonBox(topic, q, cur) {
  if (!asksReason(q)) return null;
  const required = reasonMode() === 'required';
  const id = `rin-${q.key}`;
  const counter = h('p', { class: 'hint', id: `rcount-${q.key}` });
  const area = h('textarea', { id, name: `reason-q-${q.key}`, rows: 3, disabled: !!st.readOnly,
    'aria-required': required ? 'true' : false, 'aria-describedby': `reason-${q.key} rcount-${q.key} rerr-${q.key}` });
  const given = (cur[REASONS] || {})[q.key];
  area.value = typeof given === 'string' ? given : '';
  const upd = () => { counter.textContent = tr('bytes', { n: utf8Bytes(area.value), max: REASON_MAX }); };
  upd();
  area.addEventListener('input', () => {
    upd();
    setReason(topic, q.key, area.value);
  });
  return h('div', { class: 'reason-box', id: `rbox-${q.key}`, hidden: true },
    h('p', { class: 'reason', id: `reason-${q.key}` }),
    h('label', { for: id, class: 'reason-label' }, tr('reason_label'),
      h('span', { class: 'opt' }, ` ${tr(required ? 'required' : 'optional')}`)),
    area, counter,
    h('p', { class: 'err', id: `rerr-${q.key}`, hidden: true }));
}

// One question's controls. Returns the section; inputs are named q-KEY.
function questionBlock(topic, q, cur) {
  const errId = `err-${q.key}`;
  const disabled = !!st.readOnly;
  const sec = h('section', { class: `q q-${q.kind}`, id: `q-${q.key}`, 'data-key': q.key });
  const err = h('p', { class: 'err', id: errId, hidden: true });
  const reason = reasonBox(topic, q, cur);
  const fb = h('div', { class: 'fb', id: `fb-${q.key}` });
  const described = reason ? `${errId} reason-${q.key}` : errId;
  const v = cur[q.key];

  if (q.kind === 'ordinal' || q.kind === 'multi') {
    const fs = h('fieldset', { 'aria-describedby': described },
      h('legend', null, txt(q.text), q.kind === 'multi' ? h('span', { class: 'opt' }, ` ${tr('optional')}`) : null));
    const box = h('div', { class: q.kind === 'ordinal' ? 'choices' : 'choices multi' });
    if (q.kind === 'ordinal') {
      const opts = q.labels.map((l) => [l.value, txt(l.text)]);
      if (q.dont_know) opts.push(['dont_know', tr('dont_know')]);
      for (const [value, label] of opts) {
        const id = `${q.key}-${value}`;
        box.appendChild(h('div', { class: value === 'dont_know' ? 'choice dk' : 'choice' },
          h('input', { type: 'radio', name: `q-${q.key}`, id, value: String(value), checked: v === value, disabled,
            onchange: () => setAnswer(topic, q.key, value) }),
          h('label', { for: id }, label)));
      }
    } else {
      const chosen = new Set(Array.isArray(v) ? v : []);
      for (const o of q.options) {
        const id = `${q.key}-${o.code}`;
        box.appendChild(h('div', { class: 'choice' },
          h('input', { type: 'checkbox', name: `q-${q.key}`, id, value: o.code, checked: chosen.has(o.code), disabled,
            onchange: () => {
              const picked = [...box.querySelectorAll('input:checked')].map((x) => x.value);
              setAnswer(topic, q.key, picked);
            } }),
          h('label', { for: id }, txt(o.text))));
      }
    }
    fs.append(fb, box, err);
    add(sec, fs, reason);
  } else if (q.kind === 'year') {
    const id = `in-${q.key}`;
    const sel = h('select', { id, name: `q-${q.key}`, disabled, 'aria-describedby': described }, ...yearOptions(q));
    sel.value = v === undefined || v === null ? '' : String(v);
    sel.addEventListener('change', () => {
      const raw = sel.value;
      setAnswer(topic, q.key, raw === '' ? null : /^\d+$/.test(raw) ? Number(raw) : raw);
    });
    sec.append(h('label', { for: id, class: 'qtext' }, txt(q.text)), fb, sel, err);
    add(sec, reason);
  } else if (q.kind === 'text') {
    const id = `in-${q.key}`;
    const max = q.max_length || 2000;
    const counter = h('p', { class: 'hint', id: `count-${q.key}` });
    const area = h('textarea', { id, name: `q-${q.key}`, rows: 5, disabled, 'aria-describedby': `${described} count-${q.key}` });
    area.value = typeof v === 'string' ? v : '';
    const upd = () => { counter.textContent = tr('bytes', { n: utf8Bytes(area.value), max }); };
    upd();
    area.addEventListener('input', () => {
      upd();
      setAnswer(topic, q.key, area.value);
    });
    sec.append(h('label', { for: id, class: 'qtext' }, txt(q.text), h('span', { class: 'opt' }, ` ${tr('optional')}`)),
      area, counter, err);
  }
  return sec;
}

// Brings the parts of the topic page that depend on the answers up to date, without rebuilding
// the form (which would lose the caret in the comment).
function refreshTopic(topic) {
  updateCounts();
  if (st.route !== `topic/${topic}`) return;
  const badge = $('#topic-state');
  if (badge) {
    const state = topicState(topic);
    badge.textContent = stateText(state);
    badge.className = state === 'answered' ? 'state state-done' : 'state';
  }
  const errs = st.errors[topic] || {};
  for (const q of st.survey.questions) {
    const el = $(`#err-${q.key}`);
    if (!el) continue;
    const msg = errs[q.key] ? errs[q.key].msg : '';
    el.textContent = msg;
    el.hidden = !msg;
    const sec = $(`#q-${q.key}`);
    if (sec) sec.classList.toggle('invalid', !!msg);
    for (const input of sec ? sec.querySelectorAll('input, select, textarea') : []) {
      if (input.closest('.reason-box')) continue; // refreshReasons' own
      if (msg) input.setAttribute('aria-invalid', 'true');
      else input.removeAttribute('aria-invalid');
    }
  }
  const general = $('#err-general');
  if (general) {
    general.textContent = errs[''] ? errs[''].msg : '';
    general.hidden = !errs[''];
  }
  refreshReasons(topic);
}

// The reason boxes of round r > 1: shown while the answer lies outside the previous round's
// Q1–Q3, with the quartiles in the prompt; a reason's message (too long, or refused by the server).
function refreshReasons(topic) {
  const required = reasonMode() === 'required';
  const cur = current(topic);
  const errs = st.errors[topic] || {};
  for (const q of st.survey.questions) {
    const box = $(`#rbox-${q.key}`);
    if (!box) continue;
    const stats = outsideOf(topic, q, cur[q.key]);
    box.hidden = !stats;
    // Emptied while hidden: the answer's control refers to the prompt (aria-describedby).
    $(`#reason-${q.key}`).textContent = stats ? tr(required ? 'reason_req' : 'reason_opt', { a: fmtNum(stats.q1), b: fmtNum(stats.q3) }) : '';
    const e = errs[reasonErrKey(q.key)];
    const el = $(`#rerr-${q.key}`);
    el.textContent = e ? e.msg : '';
    el.hidden = !e;
    const area = $(`#rin-${q.key}`);
    if (e) area.setAttribute('aria-invalid', 'true');
    else area.removeAttribute('aria-invalid');
    box.classList.toggle('invalid', !!e);
  }
}

function chartTexts(q, r) {
  return {
    label: (lab) => txt(lab.text),
    special: (sp) => specialText(sp),
    you: tr('fb_you'),
    median: tr('fb_median'),
    iqr: tr('fb_iqr'),
    noAnswers: tr('fb_noans'),
    answers: tr('fb_answers'),
    title: tr('fb_chart', { r, q: txt(q.text) }),
  };
}

// The feedback of a topic and the chart module (loaded only in rounds that show charts).
function loadFeedback(topic) {
  if (!st.feedback.has(topic)) {
    const chart = import('./chart.js');
    st.feedback.set(topic, Promise.all([api('GET', `/feedback/${encodeURIComponent(topic)}`), chart]).then(([fb, mod]) => {
      st.distChart = mod.distChart;
      st.fbData.set(topic, fb);
      updateCounts(); // a required reason may be missing
      return fb;
    }).catch((e) => {
      st.feedback.delete(topic); // try again next time
      if (e instanceof ApiError && e.status === 401) st.session = true;
      return null;
    }));
  }
  return st.feedback.get(topic);
}

function showFeedback(topic, fb) {
  if (st.route !== `topic/${topic}`) return;
  const pr = fb ? fb.previous_round : st.round.number - 1;
  const box = $('#fb-general');
  const qs = fb && fb.questions ? fb.questions : {};
  if (box && !Object.keys(qs).length) box.appendChild(notice('info', tr('fb_none')));
  for (const q of st.survey.questions) {
    const stats = qs[q.key];
    const slot = $(`#fb-${q.key}`);
    if (!slot || !stats || (q.kind !== 'ordinal' && q.kind !== 'year')) continue;
    const figure = h('figure', { class: 'chart' },
      h('figcaption', { class: 'fb-title' }, tr('fb_h', { r: pr })),
      // The box scrolls sideways on narrow screens: keyboard users must be able to reach and scroll it.
      h('div', { class: 'chart-scroll', tabindex: 0, role: 'region', 'aria-label': tr('fb_h', { r: pr }) },
        st.distChart(q, stats, chartTexts(q, pr))),
      h('p', { class: 'fb-summary' }, tr('fb_summary', { n: stats.n ?? 0, q1: fmtNum(stats.q1), m: fmtNum(stats.median), q3: fmtNum(stats.q3) })));
    clear(slot).appendChild(figure);
  }
  const cbox = $('#fb-comments');
  if (cbox && fb) {
    const list = (fb.comments || []).filter((c) => typeof c === 'string' && c.trim());
    cbox.append(h('h2', null, tr('comments_h', { r: pr })),
      list.length ? h('ul', { class: 'comments' }, ...list.map((c) => h('li', null, c))) : h('p', { class: 'hint' }, tr('no_comments')));
    cbox.hidden = false;
  }
  refreshTopic(topic);
}

// Round r > 1: the expert's own previous answers become this round's answers (once per topic), so
// that keeping an answer needs no action. Comments are not carried over.
function prefill(topic) {
  const prev = st.prev[topic];
  if (st.readOnly || st.round.number < 2 || st.prefilled.has(topic) || !prev) return;
  const cur = current(topic);
  for (const q of questions()) {
    if (q.kind === 'text' || prev[q.key] === undefined || prev[q.key] === null || cur[q.key] !== undefined) continue;
    setAnswer(topic, q.key, prev[q.key]);
  }
  st.prefilled.add(topic);
  local.write(storeKey('prefilled', true), { topics: [...st.prefilled] });
}

function viewTopic(code) {
  const t = topicOf(code);
  if (!t) {
    add(main, heading(tr('no_topic', { code })), h('p', null, h('a', { href: '#/progress' }, tr('to_progress'))));
    return tr('no_topic', { code });
  }
  prefill(code);
  const list = chosenTopics();
  const i = list.findIndex((x) => x.code === code);
  const cur = current(code);
  const title = `${t.code} ${txt(t.title)}`;
  const prevT = i > 0 ? list[i - 1] : null;
  const nextT = i >= 0 ? list[i + 1] || null : list[0] || null;
  const f = fieldOf(t.field);

  const head = h('div', { class: 'topic-head' },
    h('p', { class: 'crumb' }, f ? txt(f.title) : t.field, i >= 0 ? ` · ${tr('topic_n', { i: i + 1, n: list.length })}` : ''),
    heading(title),
    h('p', { id: 'topic-state', class: 'state', 'aria-live': 'polite' }),
    h('p', { class: 'statement' }, txt(t.text)));
  add(main, head, readOnlyNotice(), sessionNotice());
  if (i < 0) {
    main.appendChild(notice('info', tr('not_chosen'), ' ',
      h('button', { type: 'button', class: 'small', onclick: () => { st.chosen.add(code); saveChosen(); render(false); } }, tr('add_topic'))));
  }
  if (st.round.number > 1 && st.prev[code] && !st.readOnly) main.appendChild(notice('info', tr('prefilled', { r: st.round.number - 1 })));
  main.appendChild(h('div', { id: 'fb-general' }));
  const form = h('form', { class: 'answers', novalidate: true, onsubmit: (e) => e.preventDefault() });
  for (const q of questions()) form.appendChild(questionBlock(code, q, cur));
  form.appendChild(h('p', { class: 'err', id: 'err-general', role: 'alert', hidden: true }));
  main.appendChild(h('section', { id: 'fb-comments', class: 'comments-box', hidden: true }));
  main.appendChild(form);
  main.appendChild(h('nav', { class: 'pager', 'aria-label': tr('nav_topics') },
    prevT ? h('a', { class: 'button secondary', href: topicHref(prevT.code), rel: 'prev' }, `← ${tr('prev')}`) : h('span'),
    h('a', { class: 'button secondary', href: '#/progress' }, tr('to_progress')),
    nextT ? h('a', { class: 'button', href: topicHref(nextT.code), rel: 'next' }, `${tr('next')} →`) : h('a', { class: 'button', href: '#/done' }, tr('finish'))));
  refreshTopic(code);
  if (st.round.number > 1) loadFeedback(code).then((fb) => showFeedback(code, fb));
  return title;
}

// ---- progress and finish -----------------------------------------------------------------------

function viewProgress() {
  const list = chosenTopics();
  const done = list.filter((t) => isAnswered(t.code)).length;
  const next = nextUnanswered();
  add(main,
    heading(tr('progress_h')),
    readOnlyNotice(),
    sessionNotice(),
    h('p', { class: 'lead', id: 'progress-all' }, tr('progress_all', { a: done, c: list.length })),
    h('progress', { max: String(Math.max(list.length, 1)), value: String(done), 'aria-labelledby': 'progress-all' }),
    next && !st.readOnly ? h('p', { class: 'actions' }, h('a', { class: 'button', href: topicHref(next.code), id: 'next-unanswered' },
      tr('next_un', { t: `${next.code} ${txt(next.title)}` }))) : h('p', { class: 'notice notice-ok' }, tr('all_done')),
  );
  for (const f of orderedFields()) {
    const topics = list.filter((t) => t.field === f.code);
    if (!topics.length) continue;
    const a = topics.filter((t) => isAnswered(t.code)).length;
    const hid = newId('pf');
    main.appendChild(h('section', { class: 'field-progress', 'aria-labelledby': hid },
      h('h2', { id: hid }, txt(f.title), ' ', h('span', { class: 'count-badge' }, tr('progress_field', { a, c: topics.length }))),
      h('ul', { class: 'progress-list' }, ...topics.map((t) => {
        const state = topicState(t.code);
        const ok = state === 'answered';
        return h('li', { class: ok ? 'done' : '' },
          h('a', { href: topicHref(t.code) }, h('span', { class: 'code' }, t.code), ' ', txt(t.title)),
          h('span', { class: ok ? 'state state-done' : 'state' }, stateText(state)));
      }))));
  }
  add(main,
    h('p', { class: 'hint' }, tr('answered_def'), reasonMode() === 'required' ? ` ${tr('answered_def_reason')}` : ''),
    h('p', { class: 'actions' },
      h('a', { class: 'button secondary', href: '#/topics' }, tr('change_topics')),
      h('a', { class: 'button', href: '#/done' }, tr('finish'))),
  );
  return tr('progress_h');
}

function viewDone() {
  const list = chosenTopics();
  const left = list.filter((t) => !isAnswered(t.code)).length;
  const noReason = list.filter((t) => topicState(t.code) === 'reason');
  const last = st.round.number >= st.survey.rounds;
  add(main,
    heading(tr('thanks_h')),
    sessionNotice(),
    h('p', { class: 'lead' }, st.saver.pendingCount() ? tr('st_pending') : tr('thanks_saved')),
    h('p', null, last ? tr('thanks_last') : tr('thanks_next', { r: st.round.number, n: st.round.number + 1 })),
    st.readOnly ? null : h('p', null, tr('thanks_change')),
    left && !st.readOnly ? h('p', { class: 'notice notice-info' }, tr('thanks_open_left', { n: left })) : null,
    noReason.length && !st.readOnly ? h('section', { class: 'notice notice-warn', id: 'reasons-missing', 'aria-labelledby': 'reasons-missing-h' },
      h('h2', { id: 'reasons-missing-h' }, tr('reasons_missing_h')),
      h('p', null, tr('reasons_missing')),
      h('ul', null, ...noReason.map((t) => h('li', null,
        h('a', { href: topicHref(t.code) }, h('span', { class: 'code' }, t.code), ' ', txt(t.title)))))) : null,
    h('p', { class: 'actions' }, h('a', { class: 'button secondary', href: '#/progress' }, tr('to_progress'))),
  );
  return tr('thanks_h');
}

// ---- failure pages -----------------------------------------------------------------------------

function failPage(titleKey, textKey, vars, retry) {
  st.fail = () => failPage(titleKey, textKey, vars, retry);
  const text = tr(textKey, vars);
  clear(main);
  document.title = `${tr(titleKey)} – delphi`;
  add(main, h('h1', { tabindex: '-1' }, tr(titleKey)), h('p', { class: 'lead' }, text));
  if (retry) main.appendChild(h('p', { class: 'actions' }, h('button', { type: 'button', onclick: retry }, tr('retry'))));
  $('#save-status').textContent = '';
  main.querySelector('h1').focus();
}

// ---- start -------------------------------------------------------------------------------------

// Where a 422 is shown: at its question; a refused reason at the reason box of the question its
// message names ("reasons: KEY: …"); anything else under the form.
function errorSlot(field, message) {
  const known = (key) => st.survey.questions.some((q) => q.key === key);
  if (field === REASONS) {
    const m = /^reasons: ([A-Za-z0-9_-]+)/.exec(message || '');
    return m && known(m[1]) ? reasonErrKey(m[1]) : '';
  }
  return known(field) ? field : '';
}

// In "required" mode whether a topic counts as answered depends on its feedback (the quartiles),
// so the feedback of every chosen topic with answers is fetched at start, a few at a time. The
// progress and finish pages are drawn again when that changed a topic's state (until then a
// topic whose feedback is missing counts by its answers alone).
async function prefetchFeedback() {
  if (reasonMode() !== 'required' || st.readOnly) return;
  const todo = chosenTopics().map((t) => t.code)
    .filter((c) => st.answers[c] || Object.keys(st.saver.pending(c)).length);
  if (!todo.length) return;
  const states = () => chosenTopics().map((t) => topicState(t.code)).join();
  const before = states();
  const worker = async () => {
    while (todo.length) await loadFeedback(todo.shift());
  };
  await Promise.all(Array.from({ length: FEEDBACK_PARALLEL }, worker));
  if (states() !== before && (st.route === 'progress' || st.route === 'done')) {
    const id = document.activeElement && main.contains(document.activeElement) ? document.activeElement.id : '';
    render(false);
    const again = id ? document.getElementById(id) : null;
    if (again) again.focus();
  }
}

function onSaverStop(code) {
  if (code === 'unauthenticated') {
    st.session = true;
  } else {
    st.readOnly = code === 'not_invited' ? 'not_invited' : 'closed';
  }
  render(false);
}

async function boot() {
  const saved = local.read(LANG_KEY, null);
  await setLang(saved && saved.lang ? saved.lang : browserLang());
  initShell();
  main.appendChild(h('p', { class: 'loading' }, tr('loading')));
  let me;
  try {
    me = await api('GET', '/me');
  } catch (e) {
    if (e instanceof ApiError && (e.status === 401 || e.status === 403)) {
      failPage('bad_link_h', 'bad_link');
    } else {
      failPage('load_err_h', 'load_err', { msg: e.message }, () => location.reload());
    }
    return;
  }
  st.me = me;
  st.survey = me.survey;
  for (const q of st.survey.questions) {
    if (q.kind !== 'year') continue;
    q.min = Number.isInteger(q.min) ? q.min : st.survey.year;
    q.max = Number.isInteger(q.max) ? q.max : st.survey.horizon;
  }
  st.round = me.round || { number: 1, state: 'draft', invited: false };
  st.answers = me.answers || {};
  st.prev = me.previous_answers || {};
  if (st.round.state === 'draft') st.readOnly = 'draft';
  else if (st.round.state !== 'open') st.readOnly = 'closed';
  else if (st.round.invited === false) st.readOnly = 'not_invited';

  const stored = local.read(storeKey('chosen'), null);
  if (stored && Array.isArray(stored.topics)) {
    st.chosen = new Set(stored.topics.filter((c) => topicOf(c)));
  } else if (st.round.number > 1 && Object.keys(st.prev).length) {
    st.chosen = new Set(Object.keys(st.prev).filter((c) => topicOf(c)));
  } else {
    const own = ownFields();
    st.chosen = new Set(st.survey.topics.filter((t) => own.has(t.field)).map((t) => t.code));
  }
  for (const c of Object.keys(st.answers)) if (topicOf(c)) st.chosen.add(c);
  const pre = local.read(storeKey('prefilled', true), null);
  st.prefilled = new Set(pre && Array.isArray(pre.topics) ? pre.topics : []);

  st.saver = new Saver(storeKey('outbox', true), me.csrf_token, {
    state: showState,
    ack: (topic, answers) => {
      st.answers[topic] = answers;
      refreshTopic(topic);
    },
    invalid: (topic, field, message) => {
      const errs = st.errors[topic] || (st.errors[topic] = {});
      errs[errorSlot(field, message)] = { msg: tr('err_not_saved', { msg: message }), client: false };
      refreshTopic(topic);
    },
    stop: onSaverStop,
    csrf: async () => (await api('GET', '/me')).csrf_token,
  }, !!st.readOnly);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'hidden' && st.saver.pendingCount()) st.saver.flush();
  });
  window.addEventListener('hashchange', () => render(true));
  render(false);
  if (st.saver.pendingCount() && !st.readOnly) st.saver.flush();
  else st.saver.report();
  prefetchFeedback();
}

boot();
