// surveys — the list of surveys with the upload of a definition file (coordinators), and one
// survey's overview with its rounds: open (with an optional scheduled close), move or remove the
// open round's scheduled close, close (showing the aggregator's summary) and reopen with a
// reason.

import { ApiError, api, seg } from './api.js';
import { forgetSurvey, surveyDetail, surveyNav } from './app.js';
import {
  busy, clear, confirmButton, errorNotice, errorText, field, fieldError, h, heading, notice, num, pct, readFile, table, txt, when,
} from './ui.js';

const roundState = (r) => (r ? `Round ${r.number} ${r.state}` : 'No round yet');

// ---- the list ----------------------------------------------------------------------------------

export async function viewSurveys(v) {
  const listBox = h('div', { id: 'surveys-list' });
  await fillList(listBox);
  v.title('Surveys');
  v.show(heading('Surveys'), listBox, v.may('experts') ? uploadForm(listBox) : null);
}

async function fillList(box) {
  const data = await api('GET', '/surveys');
  const list = data.surveys || [];
  const rows = list.map((s) => [
    { th: h('a', { href: `#/s/${encodeURIComponent(s.slug)}` }, txt(s.title, s.languages) || s.slug) },
    h('code', null, s.slug),
    `${s.year}–${s.horizon}`,
    (s.languages || []).join(', '),
    String(s.experts ?? '–'),
    `${roundState(s.round)} (of ${s.rounds})`,
  ]);
  clear(box).appendChild(list.length
    ? table([{ label: 'Survey' }, { label: 'Slug' }, { label: 'Years' }, { label: 'Languages' }, { label: 'Experts', cls: 'num' }, { label: 'Rounds' }],
      rows, { caption: 'Surveys', captionHidden: true, id: 'surveys-table' })
    : h('p', { class: 'hint' }, 'No survey has been loaded yet.'));
}

// The error of a definition that did not load: the loader's message, the JSON path or the line of
// the file with a caret under the column.
function definitionError(e, file) {
  const box = h('div', { class: 'notice notice-error', role: 'alert', id: 'upload-error' },
    h('p', null, h('strong', null, `${file.name} was not loaded. `), 'Nothing was stored.'));
  if (e.code === 'invalid_definition') {
    const m = /^(\d+):(\d+):\s*(.*)$/.exec(e.message || '');
    if (m && !e.field) {
      const line = Number(m[1]);
      const col = Number(m[2]);
      box.appendChild(h('p', null, `Line ${line}, column ${col}: ${m[3]}`));
      const text = (file.text.split(/\r?\n/)[line - 1] || '');
      if (text) {
        // Show up to 70 characters around the column, and a caret under it.
        const start = Math.max(0, col - 36);
        const shown = text.slice(start, start + 70);
        box.appendChild(h('pre', { class: 'excerpt', 'aria-label': `Line ${line} of the file` },
          `${shown}\n${' '.repeat(Math.max(0, col - 1 - start))}^`));
      }
    } else {
      const where = e.field || '';
      const what = where && e.message.startsWith(`${where}: `) ? e.message.slice(where.length + 2) : e.message;
      box.appendChild(h('p', null, where ? h('span', null, 'At ', h('code', { class: 'path' }, where), `: ${what}`) : what));
    }
  } else if (e.code === 'survey_locked') {
    box.appendChild(h('p', null, 'This survey has opened rounds: its definition can no longer change.'));
  } else {
    box.appendChild(h('p', null, errorText(e)));
  }
  return box;
}

function uploadForm(listBox) {
  const input = h('input', { type: 'file', id: 'def-file', accept: '.json,application/json' });
  const button = h('button', { type: 'submit', id: 'def-upload' }, 'Load the definition');
  const out = h('div', { id: 'upload-result', 'aria-live': 'polite' });
  const form = h('form', { class: 'panel', novalidate: true },
    h('h2', null, 'Load a survey definition'),
    h('p', null, 'A JSON file in delphi\'s survey format (docs/survey-format.md). A survey without rounds can be loaded again with changes; once a round has opened its definition is fixed.'),
    field('Definition file (JSON)', input),
    h('p', { class: 'actions' }, button),
    out);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clear(out);
    fieldError(input, '');
    const file = await readFile(input);
    if (!file) {
      fieldError(input, 'Choose a file first.');
      input.focus();
      return;
    }
    await busy(button, 'Loading…', async () => {
      try {
        const r = await api('POST', '/surveys', file.text, { raw: true });
        forgetSurvey(r.slug);
        const what = { created: 'was loaded as a new survey', replaced: 'replaced the survey\'s earlier definition', unchanged: 'is the same as the one loaded already: nothing changed' }[r.outcome] || 'was loaded';
        out.appendChild(notice('ok', `${file.name} ${what}: `, h('a', { href: `#/s/${encodeURIComponent(r.slug)}` }, r.slug), '.'));
        await fillList(listBox).catch(() => {});
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        if (err.status === 401) return;
        out.appendChild(definitionError(err, file));
      }
    });
  });
  return form;
}

// ---- one survey ----------------------------------------------------------------------------------

function facts(sv, detail) {
  return h('dl', { class: 'facts' },
    h('div', null, h('dt', null, 'Slug'), h('dd', null, h('code', null, sv.slug))),
    h('div', null, h('dt', null, 'Survey year and horizon'), h('dd', null, `${sv.year} → ${sv.horizon}`)),
    h('div', null, h('dt', null, 'Languages'), h('dd', null, (sv.languages || []).join(', '))),
    h('div', null, h('dt', null, 'Fields and topics'), h('dd', null, `${(sv.fields || []).length} fields, ${(sv.topics || []).length} topics`)),
    h('div', null, h('dt', null, 'Experts'), h('dd', null, String(detail.experts ?? '–'))),
    h('div', null, h('dt', null, 'Rounds'), h('dd', null, `${sv.rounds} planned`)));
}

function summaryBox(r, sum) {
  const list = h('dl', { class: 'facts', id: 'close-summary' },
    h('div', null, h('dt', null, 'Answers'), h('dd', null, String(sum.answers ?? '–'))),
    h('div', null, h('dt', null, 'Answers of the previous round'), h('dd', null, String(sum.prev_answers ?? '–'))),
    h('div', null, h('dt', null, 'Statistics rows'), h('dd', null, String(sum.rows ?? '–'))),
    h('div', null, h('dt', null, 'Topics with consensus'), h('dd', null, `${sum.topics_consensus ?? '–'} of ${sum.topics ?? '–'}`)),
    h('div', null, h('dt', null, 'Groups'), h('dd', null, (sum.groups || []).join(', '))),
    h('div', null, h('dt', null, 'Aggregation time'), h('dd', null, `${num(sum.seconds, 2)} s`)));
  return notice('ok', h('p', null, h('strong', null, `Round ${r.number} is closed and its statistics are computed.`)), list);
}

// "2025-06-30T14:00" from a datetime-local input -> "2025-06-30T12:00:00Z" (the browser's zone).
function isoFromLocal(value) {
  if (!value) return null;
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return undefined;
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// "2025-06-30T12:00:00Z" -> "2025-06-30T14:00" for a datetime-local input (the browser's zone);
// '' when there is none.
function localFromIso(iso) {
  const d = iso ? new Date(iso) : null;
  if (!d || Number.isNaN(d.getTime())) return '';
  const two = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}T${two(d.getHours())}:${two(d.getMinutes())}`;
}

export async function viewSurvey(v, slug) {
  const detail = await surveyDetail(slug, true);
  const sv = detail.survey;
  const rounds = detail.rounds || [];
  const last = rounds.length ? rounds[rounds.length - 1] : null;
  const title = txt(sv.title, sv.languages) || sv.slug;
  const msg = h('div', { id: 'round-msg', 'aria-live': 'polite', tabindex: '-1' });
  if (v.flash) msg.appendChild(v.flash);

  const roundRows = rounds.map((r) => [
    { th: `Round ${r.number}` },
    h('span', { class: `state state-${r.state}` }, r.state),
    when(r.opened_at),
    when(r.close_at),
    when(r.closed_at),
    String(r.invited ?? '–'),
    `${r.respondents ?? '–'}${r.invited ? ` (${pct(r.respondents / r.invited)})` : ''}`,
    r.state === 'closed' && v.may('results') ? h('a', { href: `#/s/${encodeURIComponent(slug)}/results/${r.number}` }, `Results of round ${r.number}`) : '',
  ]);
  const roundsTable = rounds.length
    ? table([{ label: 'Round' }, { label: 'State' }, { label: 'Opened' }, { label: 'Scheduled close' }, { label: 'Closed' },
      { label: 'Invited', cls: 'num' }, { label: 'Respondents', cls: 'num' }, { label: 'Results' }], roundRows,
    { caption: 'Rounds', captionHidden: true, id: 'rounds-table' })
    : h('p', { class: 'hint' }, 'No round has been opened yet.');

  const actions = v.may('experts') ? roundActions(v, slug, sv, rounds, last, msg) : null;
  v.title(title);
  v.show(
    h('p', { class: 'crumb' }, h('a', { href: '#/surveys' }, 'Surveys')),
    heading(title),
    surveyNav(slug, 'survey'),
    txt(sv.description, sv.languages) ? h('p', { class: 'prose' }, txt(sv.description, sv.languages)) : null,
    facts(sv, detail),
    h('h2', null, 'Rounds'),
    roundsTable,
    msg,
    actions,
  );
}

function roundActions(v, slug, sv, rounds, last, msg) {
  const box = h('section', { class: 'panel', 'aria-labelledby': 'round-actions-h' }, h('h2', { id: 'round-actions-h' }, 'Run the rounds'));
  const after = (flash) => {
    forgetSurvey(slug);
    v.flash = flash;
    viewSurvey(v, slug).then(() => {
      v.flash = null;
      const m = document.getElementById('round-msg');
      if (m) m.focus();
    }).catch(() => {});
  };
  const fail = (e) => {
    clear(msg).appendChild(errorNotice(e));
  };

  if (last && last.state === 'open') {
    box.appendChild(h('p', null, `Round ${last.number} is open. Closing it ends answering and computes its statistics (the aggregator), which the planners' reports and the next round's feedback use.`));
    box.appendChild(h('p', { class: 'actions' }, confirmButton(`Close round ${last.number}`, `Yes, close round ${last.number}`, async (b) => {
      try {
        const r = await api('POST', `/surveys/${seg(slug)}/rounds/close`, {});
        after(summaryBox(r.round || last, r.summary || {}));
      } catch (e) {
        fail(e);
      }
    }, { cls: 'secondary', dangerous: true })));
    box.appendChild(scheduleForm(slug, last, after, fail));
    return box;
  }

  const next = last ? last.number + 1 : 1;
  if (next <= sv.rounds) {
    const closeAt = h('input', { type: 'datetime-local', id: 'open-close-at' });
    const button = h('button', { type: 'submit', id: 'open-round' }, `Open round ${next}`);
    const form = h('form', { class: 'subpanel', novalidate: true },
      h('h3', null, `Open round ${next}`),
      h('p', null, next === 1
        ? 'Every expert of the survey who is not revoked is invited.'
        : `The experts are invited as the definition says (by default those who answered round ${next - 1}).`),
      field('Scheduled close (optional)', closeAt, 'The server closes the round at that time; it can be moved or removed while the round is open (reopening a round clears it). Your local time.'),
      h('p', { class: 'actions' }, button));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      fieldError(closeAt, '');
      const iso = isoFromLocal(closeAt.value);
      if (iso === undefined) {
        fieldError(closeAt, 'This is not a date and time.');
        return;
      }
      if (iso && new Date(iso).getTime() < Date.now()) {
        fieldError(closeAt, 'This time has passed already: choose a later one, or leave it empty.');
        closeAt.focus();
        return;
      }
      await busy(button, 'Opening…', async () => {
        try {
          const r = await api('POST', `/surveys/${seg(slug)}/rounds/open`, iso ? { close_at: iso } : {});
          after(notice('ok', `Round ${r.round.number} is open: ${r.invited} experts invited.`));
        } catch (err) {
          if (err.field === 'close_at') fieldError(closeAt, err.message);
          else fail(err);
        }
      });
    });
    box.appendChild(form);
  } else {
    box.appendChild(h('p', null, `All ${sv.rounds} rounds of this survey have been run.`));
  }

  if (last && last.state === 'closed') {
    const reason = h('textarea', { id: 'reopen-reason', rows: 3, maxlength: 500 });
    const button = h('button', { type: 'submit', id: 'reopen-round', class: 'secondary' }, `Reopen round ${last.number}`);
    const form = h('form', { class: 'subpanel', novalidate: true },
      h('h3', null, `Reopen round ${last.number}`),
      h('p', null, 'For late answers: the round opens again for the same experts, and its statistics are computed again when it closes. The reason goes to the audit log.'),
      field('Reason', reason, 'Required, up to 500 characters.'),
      h('p', { class: 'actions' }, button));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      fieldError(reason, '');
      if (!reason.value.trim()) {
        fieldError(reason, 'Say why the round is reopened.');
        reason.focus();
        return;
      }
      await busy(button, 'Reopening…', async () => {
        try {
          const r = await api('POST', `/surveys/${seg(slug)}/rounds/reopen`, { reason: reason.value.trim() });
          after(notice('ok', `Round ${(r.round || last).number} is open again.`));
        } catch (err) {
          if (err.field === 'reason') fieldError(reason, err.message);
          else fail(err);
        }
      });
    });
    box.appendChild(form);
  }
  return box;
}

// The open round's scheduled close: moved (a datetime-local input in the browser's zone, sent as
// UTC as the open form does) or removed, without closing the round. The server's refusal (the
// round was closed meanwhile, a time that has passed) is shown at the field or above the panel.
function scheduleForm(slug, round, after, fail) {
  const n = round.number;
  const closeAt = h('input', { type: 'datetime-local', id: 'schedule-close-at', value: localFromIso(round.close_at) });
  const save = h('button', { type: 'submit', id: 'schedule-save' }, round.close_at ? 'Move the scheduled close' : 'Schedule the close');
  const remove = round.close_at ? h('button', { type: 'button', id: 'schedule-remove', class: 'secondary' }, 'Remove the scheduled close') : null;
  const send = async (button, busyText, closeAtValue, done) => {
    await busy(button, busyText, async () => {
      try {
        const r = await api('POST', `/surveys/${seg(slug)}/rounds/schedule`, { close_at: closeAtValue });
        after(done(r.round || round));
      } catch (err) {
        if (err.field === 'close_at') fieldError(closeAt, err.message);
        else fail(err);
      }
    });
  };
  const form = h('form', { class: 'subpanel', novalidate: true, id: 'schedule-form' },
    h('h3', null, 'Scheduled close'),
    h('p', { id: 'schedule-now' }, round.close_at
      ? [`The server closes round ${n} at `, when(round.close_at), '. Moving or removing this time does not close the round.']
      : `Round ${n} has no scheduled close: it stays open until it is closed here.`),
    field(round.close_at ? 'New scheduled close' : 'Scheduled close', closeAt, 'Your local time.'),
    h('p', { class: 'actions' }, save, remove));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    fieldError(closeAt, '');
    const iso = isoFromLocal(closeAt.value);
    if (!iso) {
      fieldError(closeAt, iso === undefined ? 'This is not a date and time.' : 'Choose a date and time.');
      closeAt.focus();
      return;
    }
    if (new Date(iso).getTime() < Date.now()) {
      fieldError(closeAt, 'This time has passed already: choose a later one.');
      closeAt.focus();
      return;
    }
    await send(save, 'Saving…', iso, (r) => notice('ok', `Round ${r.number} is scheduled to close at `, when(r.close_at), '.'));
  });
  if (remove) {
    remove.addEventListener('click', async () => {
      fieldError(closeAt, '');
      await send(remove, 'Removing…', null, (r) => notice('ok', `Round ${r.number} has no scheduled close now: it stays open until it is closed by hand.`));
    });
  }
  return form;
}
