// comments — moderation of the comments of round N: approved comments are shown, without names,
// to the experts of round N + 1 next to the topic; hidden ones are not. A comment changed after
// its approval comes back as pending.

import { ApiError, api, seg } from './api.js';
import { surveyDetail, surveyNav } from './app.js';
import { add, busy, clear, errorNotice, h, heading, notice, txt, when } from './ui.js';

const STATUS = { pending: 'Pending', approved: 'Approved', hidden: 'Hidden' };

function commentItem(slug, n, c, sv) {
  const topic = (sv.topics || []).find((t) => t.code === c.topic);
  const q = (sv.questions || []).find((x) => x.key === c.question);
  const status = h('span', { class: `state state-${c.status}`, tabindex: '-1' }, STATUS[c.status] || c.status);
  const decided = h('span', { class: 'hint decided' });
  const msg = h('p', { class: 'row-msg', 'aria-live': 'polite' });
  const approve = h('button', { type: 'button', class: 'small', 'data-act': 'approve' }, 'Approve');
  const hide = h('button', { type: 'button', class: 'small secondary', 'data-act': 'hide' }, 'Hide');
  const hid = `c-${c.id.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  const sync = () => {
    status.className = `state state-${c.status}`;
    status.textContent = STATUS[c.status] || c.status;
    approve.disabled = c.status === 'approved';
    hide.disabled = c.status === 'hidden';
    clear(decided);
    if (c.decided_by) add(decided, ` by ${c.decided_by} `, when(c.decided_at));
  };
  const act = (button, what) => busy(button, what === 'approve' ? 'Approving…' : 'Hiding…', async () => {
    msg.textContent = '';
    try {
      const r = await api('POST', `/surveys/${seg(slug)}/rounds/${n}/comments/${seg(c.id)}/${what}`, {});
      Object.assign(c, r.comment || { status: what === 'approve' ? 'approved' : 'hidden' });
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 401) msg.textContent = e.message;
    }
  }).finally(() => {
    sync();
    // The pressed button may now be disabled: keep the keyboard in the comment.
    if (button.disabled) status.focus();
  });
  approve.addEventListener('click', () => act(approve, 'approve'));
  hide.addEventListener('click', () => act(hide, 'hide'));
  approve.setAttribute('aria-describedby', hid);
  hide.setAttribute('aria-describedby', hid);
  sync();
  return h('li', { class: 'comment', 'data-id': c.id },
    h('p', { class: 'comment-head', id: hid },
      h('span', { class: 'code' }, c.topic), ' ', topic ? txt(topic.title, sv.languages) : ''),
    h('p', { class: 'comment-meta hint' }, `${c.pseudonym}${manyText(sv) ? ` · ${q ? txt(q.text, sv.languages) : c.question}` : ''}`),
    h('blockquote', { class: 'comment-text' }, c.text),
    h('p', { class: 'comment-foot' }, status, decided, ' ', approve, ' ', hide),
    msg);
}

// Whether the survey has more than one text question (then each comment says which).
function manyText(sv) {
  return (sv.questions || []).filter((x) => x.kind === 'text').length > 1;
}

export async function viewComments(v, slug, n) {
  const detail = await surveyDetail(slug, true);
  const sv = detail.survey;
  const title = txt(sv.title, sv.languages) || slug;
  const rounds = detail.rounds || [];
  const head = [
    h('p', { class: 'crumb' }, h('a', { href: '#/surveys' }, 'Surveys'), ' › ', h('a', { href: `#/s/${encodeURIComponent(slug)}` }, title)),
    heading('Comments'),
    surveyNav(slug, 'comments'),
  ];
  v.title(`Comments – ${title}`);
  if (!rounds.length) {
    v.show(...head, notice('info', 'No round has been opened yet: there are no comments.'));
    return;
  }
  const round = n && rounds.some((r) => r.number === n) ? n : rounds[rounds.length - 1].number;
  const roundSel = h('select', { id: 'comments-round' }, ...rounds.map((r) => h('option', { value: String(r.number), selected: r.number === round }, `Round ${r.number} (${r.state})`)));
  roundSel.addEventListener('change', () => { location.hash = `#/s/${encodeURIComponent(slug)}/comments/${roundSel.value}`; });
  const statusSel = h('select', { id: 'comments-status' },
    h('option', { value: 'pending' }, 'Pending'), h('option', { value: 'approved' }, 'Approved'),
    h('option', { value: 'hidden' }, 'Hidden'), h('option', { value: '' }, 'All'));
  const count = h('p', { id: 'comments-count', 'aria-live': 'polite' });
  const list = h('ol', { class: 'comments', id: 'comments-list' });
  const load = async () => {
    const q = statusSel.value ? `?status=${statusSel.value}` : '';
    const data = await api('GET', `/surveys/${seg(slug)}/rounds/${round}/comments${q}`);
    if (!v.alive()) return;
    clear(list);
    const cs = data.comments || [];
    for (const c of cs) list.appendChild(commentItem(slug, round, c, sv));
    count.textContent = cs.length
      ? `${cs.length} comment${cs.length === 1 ? '' : 's'}${statusSel.value ? ` ${statusSel.value}` : ''}.`
      : `No ${statusSel.value ? `${statusSel.value} ` : ''}comments in round ${round}.`;
  };
  statusSel.addEventListener('change', () => load().catch((e) => {
    if (!(e instanceof ApiError) || e.status !== 401) clear(list).appendChild(h('li', null, errorNotice(e)));
  }));
  await load();
  const isLast = round === sv.rounds;
  v.show(...head,
    h('p', null, isLast
      ? `Round ${round} is the last round: approving its comments only records the decision.`
      : `Approved comments of round ${round} are shown without names to the experts of round ${round + 1}, next to the topic. Hidden ones are not.`),
    h('div', { class: 'filters' },
      h('div', { class: 'field' }, h('label', { for: 'comments-round' }, 'Round'), roundSel),
      h('div', { class: 'field' }, h('label', { for: 'comments-status' }, 'Show'), statusSel)),
    count,
    list);
}
