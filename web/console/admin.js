// admin — the audit log (coordinators and admins) and the users of the console (admins): list,
// add, disable and enable, set a new password.

import { ApiError, api, seg } from './api.js';
import {
  add, busy, clear, confirmButton, errorNotice, field, fieldError, h, heading, notice, table, when,
} from './ui.js';

// ---- audit log ---------------------------------------------------------------------------------

async function auditPage(box, before) {
  const q = before ? `?limit=100&before=${encodeURIComponent(before)}` : '?limit=100';
  const data = await api('GET', `/audit${q}`);
  const entries = data.entries || [];
  let wrap = box.querySelector('.table-wrap');
  if (!wrap) {
    if (!entries.length) {
      clear(box).appendChild(h('p', { class: 'hint' }, 'The audit log is empty.'));
      return;
    }
    wrap = table([{ label: 'When' }, { label: 'Who' }, { label: 'Action' }, { label: 'Details' }], [],
      { caption: 'Audit log', captionHidden: true, id: 'audit-table' });
    clear(box).appendChild(wrap);
  }
  const tbody = wrap.table.tBodies[0];
  for (const x of entries) {
    tbody.appendChild(h('tr', null, h('td', { class: 'nowrap' }, when(x.at)), h('td', null, x.actor), h('th', { scope: 'row' }, h('code', null, x.action)),
      h('td', { class: 'detail' }, x.detail || '')));
  }
  const old = box.querySelector('.more');
  if (old) old.remove();
  if (data.next_before !== null && data.next_before !== undefined && entries.length) {
    const b = h('button', { type: 'button', class: 'secondary' }, 'Older entries');
    b.addEventListener('click', () => busy(b, 'Loading…', () => auditPage(box, data.next_before)));
    box.appendChild(h('p', { class: 'actions more' }, b));
  }
}

export async function viewAudit(v) {
  const box = h('div', { id: 'audit-box' });
  await auditPage(box);
  v.title('Audit log');
  v.show(heading('Audit log'),
    h('p', null, 'Every change made through the console or the command line, newest first.'),
    box);
}

// ---- users -------------------------------------------------------------------------------------

const ROLES = [['coordinator', 'Coordinator: runs surveys, experts, rounds, mail, moderation'],
  ['planner', 'Planner: reads results and downloads reports'],
  ['admin', 'Admin: manages users, reads the audit log']];

function userRow(v, u, refresh) {
  const msg = h('span', { class: 'row-msg', 'aria-live': 'polite' });
  const self = v.user && v.user.name === u.name;
  const acts = h('div', { class: 'row-actions' });
  const toggle = async (what) => {
    msg.textContent = '';
    try {
      const r = await api('POST', `/users/${seg(u.name)}/${what}`, {});
      await refresh(u.name, what === 'disable'
        ? `${u.name} is disabled${r.sessions_ended ? `; ${r.sessions_ended} session${r.sessions_ended === 1 ? '' : 's'} ended` : ''}.`
        : `${u.name} is enabled.`);
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 401) msg.textContent = e.code === 'self' ? 'You cannot disable yourself.' : e.message;
    }
  };
  if (u.disabled) {
    const b = h('button', { type: 'button', class: 'small', 'aria-label': `Enable ${u.name}` }, 'Enable');
    b.addEventListener('click', () => busy(b, 'Enabling…', () => toggle('enable')));
    acts.appendChild(b);
  } else if (!self) {
    acts.appendChild(confirmButton('Disable', 'Yes, disable', () => toggle('disable'), { ariaLabel: `Disable ${u.name}`, dangerous: true }));
  }
  // A new password, set by the admin (the user's sessions end).
  const pw = h('input', { type: 'password', autocomplete: 'new-password', id: `pw-${u.name}` });
  const pwBtn = h('button', { type: 'submit', class: 'small secondary' }, 'Set');
  const pwForm = h('form', { class: 'inline-form', novalidate: true },
    h('label', { for: pw.id, class: 'sr-only' }, `New password for ${u.name}`), pw, pwBtn);
  pwForm.addEventListener('submit', (e) => {
    e.preventDefault();
    msg.textContent = '';
    if (pw.value.length < 12) {
      msg.textContent = 'A password has at least 12 characters.';
      return;
    }
    busy(pwBtn, 'Setting…', async () => {
      try {
        const r = await api('POST', `/users/${seg(u.name)}/password`, { password: pw.value });
        pw.value = '';
        msg.textContent = `Password changed; ${r.sessions_ended ?? 0} session${r.sessions_ended === 1 ? '' : 's'} ended.`;
      } catch (err) {
        if (!(err instanceof ApiError) || err.status !== 401) msg.textContent = err.message;
      }
    });
  });
  const pwBox = h('details', { class: 'pw' }, h('summary', null, 'New password'), pwForm);
  add(acts, ' ', pwBox);
  return h('tr', { 'data-name': u.name },
    h('th', { scope: 'row' }, u.name, self ? h('span', { class: 'hint' }, ' (you)') : null),
    h('td', null, u.role),
    h('td', null, h('span', { class: u.disabled ? 'state state-revoked' : 'state state-done' }, u.disabled ? 'disabled' : 'active')),
    h('td', null, when(u.created_at)),
    h('td', null, acts, msg));
}

export async function viewUsers(v) {
  const listBox = h('div', { id: 'users-box' });
  const flash = h('div', { 'aria-live': 'polite', id: 'users-msg' });
  const refresh = async (focusName, message) => {
    const data = await api('GET', '/users');
    if (!v.alive()) return;
    const users = data.users || [];
    clear(listBox).appendChild(table([{ label: 'Name' }, { label: 'Role' }, { label: 'State' }, { label: 'Added' }, { label: 'Actions' }],
      users.map((u) => userRow(v, u, refresh)), { caption: 'Users', captionHidden: true, id: 'users-table' }));
    clear(flash);
    if (message) flash.appendChild(notice('ok', message));
    if (focusName) {
      const row = listBox.querySelector(`tr[data-name="${CSS.escape(focusName)}"] button`);
      if (row) row.focus();
    }
  };
  await refresh();

  const name = h('input', { type: 'text', id: 'user-name', autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false', maxlength: 64 });
  const role = h('select', { id: 'user-role' }, ...ROLES.map(([r, label]) => h('option', { value: r }, label)));
  const pass = h('input', { type: 'password', id: 'user-password', autocomplete: 'new-password' });
  const submit = h('button', { type: 'submit', id: 'user-add' }, 'Add the user');
  const out = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'panel', novalidate: true, 'aria-labelledby': 'add-h' },
    h('h2', { id: 'add-h' }, 'Add a user'),
    h('div', { class: 'grid2' },
      field('Name', name, '1 to 64 of a–z, 0–9, ". _ - @", starting with a letter or digit.'),
      field('Role', role)),
    field('Password', pass, 'At least 12 characters. Give it to the user by a separate, safe channel.'),
    h('p', { class: 'actions' }, submit),
    out);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    clear(out);
    for (const c of [name, role, pass]) fieldError(c, '');
    if (!/^[a-z0-9][a-z0-9._@-]{0,63}$/.test(name.value.trim())) {
      fieldError(name, 'Use 1 to 64 of a–z, 0–9, ". _ - @", starting with a letter or digit.');
      name.focus();
      return;
    }
    if (pass.value.length < 12) {
      fieldError(pass, 'A password has at least 12 characters.');
      pass.focus();
      return;
    }
    busy(submit, 'Adding…', async () => {
      try {
        const r = await api('POST', '/users', { name: name.value.trim(), role: role.value, password: pass.value });
        pass.value = '';
        name.value = '';
        await refresh(null, `${r.user.name} was added as ${r.user.role}.`);
      } catch (err) {
        if (err instanceof ApiError && err.status === 401) return;
        const at = { name, role, password: pass }[err.field];
        if (err.code === 'user_exists') fieldError(name, 'There is a user of this name already.');
        else if (at) fieldError(at, err.message);
        else out.appendChild(errorNotice(err, 'The user was not added.'));
      }
    });
  });
  v.title('Users');
  v.show(heading('Users'), flash, listBox, form);
}
