// mail — e-mail to a survey's experts: invitations (each mail carries a freshly issued link),
// reminders to those who have not answered the open round, each recipient's status, and the mail
// log. A server without an SMTP relay answers 501 not_configured: the page says so plainly.

import { ApiError, api, seg } from './api.js';
import { surveyDetail, surveyNav } from './app.js';
import { busy, clear, errorNotice, field, fieldError, h, heading, notice, table, txt, when } from './ui.js';

const STATUS_CLASS = { sent: 'state state-done', refused: 'state state-bad', failed: 'state state-bad' };

function notConfigured() {
  return h('div', { class: 'notice notice-warn', role: 'alert', id: 'mail-not-configured' },
    h('p', null, h('strong', null, 'E-mail is not set up on this server.')),
    h('p', null, 'Nothing was sent. The server needs an SMTP relay (DELPHI_SMTP_HOST and DELPHI_SMTP_FROM, see docs/mail.md) and a restart. Until then, hand out the links yourself: the Experts page offers them as a CSV file when they are made or reissued.'));
}

function results(r) {
  const kind = r.kind === 'reminder' ? 'Reminders' : 'Invitations';
  const box = h('div', { id: 'send-result', tabindex: '-1' },
    notice(r.failed || r.refused ? 'warn' : 'ok',
      `${kind}${r.round ? ` for round ${r.round}` : ''}: ${r.sent} sent, ${r.refused} refused, ${r.failed} failed${(r.skipped || []).length ? `, ${r.skipped.length} skipped` : ''}.`));
  const rows = (r.results || []).map((x) => [{ th: x.id }, x.email || '–', h('span', { class: STATUS_CLASS[x.status] || 'state' }, x.status), x.detail || '']);
  if (rows.length) {
    box.appendChild(table([{ label: 'Expert' }, { label: 'E-mail' }, { label: 'Status' }, { label: 'Relay\'s answer' }], rows,
      { caption: 'Recipients', id: 'send-table' }));
  }
  if ((r.skipped || []).length) {
    box.appendChild(table([{ label: 'Expert' }, { label: 'Why not' }], r.skipped.map((x) => [{ th: x.id }, x.reason]),
      { caption: 'Skipped', id: 'skip-table' }));
  }
  return box;
}

async function logTable(slug, box, before) {
  const q = before ? `?limit=100&before=${encodeURIComponent(before)}` : '?limit=100';
  const data = await api('GET', `/surveys/${seg(slug)}/mail-log${q}`);
  const entries = data.entries || [];
  let wrap = box.querySelector('.table-wrap');
  if (!wrap) {
    if (!entries.length) {
      clear(box).appendChild(h('p', { class: 'hint' }, 'No mail has been sent for this survey yet.'));
      return;
    }
    clear(box);
    wrap = table([{ label: 'When' }, { label: 'Expert' }, { label: 'E-mail' }, { label: 'Round', cls: 'num' }, { label: 'Kind' },
      { label: 'Status' }, { label: 'Relay\'s answer' }], [], { caption: 'Mail log', captionHidden: true, id: 'mail-log' });
    box.appendChild(wrap);
  }
  const tbody = wrap.table.tBodies[0];
  for (const x of entries) {
    tbody.appendChild(h('tr', null, h('td', { class: 'nowrap' }, when(x.at)), h('th', { scope: 'row' }, x.expert), h('td', null, x.email || '–'),
      h('td', { class: 'num' }, x.round ? String(x.round) : '–'), h('td', null, x.kind),
      h('td', null, h('span', { class: STATUS_CLASS[x.status] || 'state' }, x.status)), h('td', null, x.detail || '')));
  }
  const old = box.querySelector('.more');
  if (old) old.remove();
  if (data.next_before !== null && data.next_before !== undefined && entries.length) {
    const b = h('button', { type: 'button', class: 'secondary more' }, 'Older entries');
    b.addEventListener('click', () => busy(b, 'Loading…', () => logTable(slug, box, data.next_before)));
    box.appendChild(h('p', { class: 'actions more' }, b));
  }
}

export async function viewMail(v, slug) {
  const detail = await surveyDetail(slug);
  const sv = detail.survey;
  const title = txt(sv.title, sv.languages) || slug;
  const rounds = detail.rounds || [];
  const last = rounds.length ? rounds[rounds.length - 1] : null;
  const open = last && last.state === 'open' ? last : null;
  const out = h('div', { id: 'send-out', 'aria-live': 'polite' });
  const logBox = h('div', { id: 'log-box' });

  const only = h('input', { type: 'text', id: 'mail-only', autocomplete: 'off', spellcheck: 'false' });
  const lang = h('select', { id: 'mail-lang' }, h('option', { value: '' }, `The survey's first (${(sv.languages || ['en'])[0]})`),
    ...(sv.languages || []).map((l) => h('option', { value: l }, l)));
  const invite = h('button', { type: 'button', id: 'send-invitations' }, 'Send invitations');
  const remind = h('button', { type: 'button', id: 'send-reminders', class: 'secondary', disabled: !open },
    open ? `Remind those who have not answered round ${open.number}` : 'Remind those who have not answered (no open round)');

  const send = async (button, kind) => {
    clear(out);
    fieldError(only, '');
    const ids = only.value.split(/[\s,;]+/).filter(Boolean);
    const body = { kind };
    if (ids.length) body.only = ids;
    if (lang.value) body.lang = lang.value;
    await busy(button, 'Sending…', async () => {
      try {
        const r = await api('POST', `/surveys/${seg(slug)}/invitations`, body);
        out.appendChild(results(r));
        document.getElementById('send-result').focus();
        await logTable(slug, clear(logBox)).catch(() => {});
      } catch (e) {
        if (e instanceof ApiError && e.status === 401) return;
        if (e.status === 501) out.appendChild(notConfigured());
        else if (e.field === 'only') fieldError(only, e.message);
        else if (e.code === 'mail_in_progress') out.appendChild(notice('warn', 'Another batch of mail is still being sent. Try again when it is done.'));
        else if (e.code === 'no_open_round') out.appendChild(notice('warn', 'Reminders need an open round.'));
        else out.appendChild(errorNotice(e, 'Nothing was sent.'));
      }
    });
    if (kind === 'reminder' && !open) button.disabled = true;
  };
  invite.addEventListener('click', () => send(invite, 'invitation'));
  remind.addEventListener('click', () => send(remind, 'reminder'));

  await logTable(slug, logBox).catch((e) => {
    if (!(e instanceof ApiError) || e.status !== 401) logBox.appendChild(errorNotice(e, 'The mail log could not be loaded.'));
  });
  v.title(`E-mail – ${title}`);
  v.show(
    h('p', { class: 'crumb' }, h('a', { href: '#/surveys' }, 'Surveys'), ' › ', h('a', { href: `#/s/${encodeURIComponent(slug)}` }, title)),
    heading('E-mail'),
    surveyNav(slug, 'mail'),
    h('section', { class: 'panel', 'aria-labelledby': 'send-h' },
      h('h2', { id: 'send-h' }, 'Send invitations and reminders'),
      h('p', null, 'An invitation mails each expert a new personal link (the old one stops working). A reminder goes to the experts invited to the open round who have not answered yet. Sending waits until every mail of the batch is done.'),
      open ? null : h('p', { class: 'hint' }, 'No round is open: invitations can be sent ahead of the round; reminders need an open round.'),
      h('div', { class: 'grid2' },
        field('Only these experts (optional)', only, 'Expert ids separated by commas or spaces; empty: everyone it applies to.'),
        field('Language of the mail', lang)),
      h('p', { class: 'actions' }, invite, remind),
      out),
    h('section', { 'aria-labelledby': 'log-h' }, h('h2', { id: 'log-h' }, 'Mail log'), logBox),
  );
}
