// app — the console of delphi (/console/) for coordinators, planners and admins: sign-in, the
// role-aware navigation and the hash routes of its pages.
//
//   #/login                          sign in
//   #/surveys                        surveys; load a definition                   coordinator, planner
//   #/s/SLUG                         a survey and its rounds: open, close, reopen coordinator, planner
//   #/s/SLUG/experts                 import experts, links, revoke, reissue       coordinator
//   #/s/SLUG/mail                    invitations, reminders, the mail log         coordinator
//   #/s/SLUG/progress                response rates of the latest round          coordinator
//   #/s/SLUG/comments[/N]            comment moderation of round N                coordinator
//   #/s/SLUG/results[/N[/CODE]]      topic table, a topic's statistics, downloads coordinator, planner
//   #/audit                          the audit log                                coordinator, admin
//   #/users                          users                                        admin
//
// The role comes from GET /api/v1/session; a page the role may not see is not offered (and the
// server refuses its API anyway). Everything from the server is inserted as text (dom.js).

import { $, add, clear, h } from '../survey/dom.js';
import { ApiError, api, onSessionEnd, seg, setCsrf } from './api.js';
import { errorNotice, field, fieldError, heading, notice } from './ui.js';

const main = $('#main');
const C = 'coordinator';
const P = 'planner';
const A = 'admin';

// What each role's navigation offers, and who may open each page.
const PAGES = {
  surveys: { roles: [C, P], load: () => import('./surveys.js'), fn: 'viewSurveys' },
  survey: { roles: [C, P], load: () => import('./surveys.js'), fn: 'viewSurvey' },
  experts: { roles: [C], load: () => import('./experts.js'), fn: 'viewExperts' },
  mail: { roles: [C], load: () => import('./mail.js'), fn: 'viewMail' },
  progress: { roles: [C], load: () => import('./progress.js'), fn: 'viewProgress' },
  comments: { roles: [C], load: () => import('./comments.js'), fn: 'viewComments' },
  results: { roles: [C, P], load: () => import('./results.js'), fn: 'viewResults' },
  topic: { roles: [C, P], load: () => import('./results.js'), fn: 'viewTopic' },
  audit: { roles: [C, A], load: () => import('./admin.js'), fn: 'viewAudit' },
  users: { roles: [A], load: () => import('./admin.js'), fn: 'viewUsers' },
};

const NAV = [
  ['#/surveys', 'Surveys', 'surveys'],
  ['#/users', 'Users', 'users'],
  ['#/audit', 'Audit log', 'audit'],
];

// Inside a survey: its pages, in this order.
const SURVEY_NAV = [
  ['', 'Overview and rounds', 'survey'],
  ['/experts', 'Experts', 'experts'],
  ['/mail', 'E-mail', 'mail'],
  ['/progress', 'Progress', 'progress'],
  ['/comments', 'Comments', 'comments'],
  ['/results', 'Results', 'results'],
];

const ctx = {
  user: null, // {name, role}
  gen: 0, // the render generation: a page that finished loading after the route changed is dropped
  cleanups: [],
  back: '', // the route to return to after signing in
  surveys: new Map(), // slug -> {at, data}: GET /api/v1/surveys/{slug}
  sessionEnded: false,
  expertSession: false, // GET /session said 403: this browser holds an expert's session
};

export function may(page) {
  return !!ctx.user && PAGES[page].roles.includes(ctx.user.role);
}

// The survey with its rounds (GET /api/v1/surveys/{slug}); fresh when force or older than 30 s.
export async function surveyDetail(slug, force) {
  const hit = ctx.surveys.get(slug);
  if (hit && !force && Date.now() - hit.at < 30000) return hit.data;
  const data = await api('GET', `/surveys/${seg(slug)}`);
  ctx.surveys.set(slug, { at: Date.now(), data });
  return data;
}

export function forgetSurvey(slug) {
  ctx.surveys.delete(slug);
}

// ---- shell -------------------------------------------------------------------------------------

function shell() {
  const nav = $('#nav');
  const list = clear($('#nav-list'));
  const who = clear($('#who'));
  nav.hidden = !ctx.user;
  if (!ctx.user) return;
  const here = location.hash.replace(/^#\/?/, '').split('/')[0];
  for (const [href, label, page] of NAV) {
    if (!may(page)) continue;
    const current = here === page || (page === 'surveys' && (here === 's' || here === ''));
    list.appendChild(h('li', null, h('a', { href, 'aria-current': current ? 'page' : false }, label)));
  }
  add(who,
    h('span', { class: 'who-name' }, ctx.user.name, ' ', h('span', { class: 'role' }, `(${ctx.user.role})`)),
    h('button', { type: 'button', class: 'small secondary', id: 'logout', onclick: logout }, 'Sign out'));
}

async function logout(e) {
  const b = e.currentTarget;
  b.disabled = true;
  try {
    await api('POST', '/logout', {}, { quiet: true });
  } catch (err) {
    // The session is gone either way from this page's point of view.
  }
  ctx.user = null;
  setCsrf('');
  ctx.surveys.clear();
  location.hash = '#/login';
  render(true);
}

// The tabs of a survey's pages the role may see; current is a SURVEY_NAV page name.
export function surveyNav(slug, current) {
  const base = `#/s/${encodeURIComponent(slug)}`;
  return h('nav', { class: 'subnav', 'aria-label': 'Survey pages' },
    h('ul', null, ...SURVEY_NAV.filter(([, , page]) => may(page)).map(([suffix, label, page]) =>
      h('li', null, h('a', { href: base + suffix, 'aria-current': page === current ? 'page' : false }, label)))));
}

// ---- routing -----------------------------------------------------------------------------------

function parseRoute() {
  const raw = location.hash.replace(/^#\/?/, '');
  const parts = raw.split('/').map((p) => {
    try {
      return decodeURIComponent(p);
    } catch (e) {
      return p;
    }
  });
  const [a, slug, sub, n, code] = parts;
  if (a === 'login') return { page: 'login', args: [] };
  if (a === 'surveys') return { page: 'surveys', args: [] };
  if (a === 'audit') return { page: 'audit', args: [] };
  if (a === 'users') return { page: 'users', args: [] };
  if (a === 's' && slug) {
    if (!sub) return { page: 'survey', args: [slug] };
    if (sub === 'results' && n && code) return { page: 'topic', args: [slug, Number(n), code] };
    if (PAGES[sub] && sub !== 'survey' && sub !== 'topic') return { page: sub, args: [slug, n ? Number(n) : 0] };
  }
  if (!a) return { page: 'home', args: [] };
  return { page: 'unknown', args: [] };
}

function runCleanups() {
  for (const fn of ctx.cleanups.splice(0)) {
    try {
      fn();
    } catch (e) {
      // nothing to do
    }
  }
}

async function render(moveFocus) {
  runCleanups();
  ctx.gen += 1;
  const gen = ctx.gen;
  let { page, args } = parseRoute();
  if (!ctx.user && page !== 'login') {
    ctx.back = location.hash;
    page = 'login';
  }
  if (page === 'home' || (page === 'login' && ctx.user)) {
    location.replace(ctx.user.role === A ? '#/users' : '#/surveys');
    return;
  }
  shell();
  clear(main);
  if (page === 'login') {
    viewLogin();
    focusHeading(moveFocus);
    return;
  }
  if (page === 'unknown') {
    add(main, heading('Page not found'), h('p', null, 'There is no such page in the console. ', h('a', { href: '#/' }, 'Go to the start page.')));
    setTitle('Page not found');
    focusHeading(moveFocus);
    return;
  }
  const def = PAGES[page];
  if (!def.roles.includes(ctx.user.role)) {
    add(main, heading('Not for your role'),
      h('p', null, `This page is for the roles ${def.roles.join(', ')}; you are signed in as ${ctx.user.role}. `, h('a', { href: '#/' }, 'Go to the start page.')));
    setTitle('Not for your role');
    focusHeading(moveFocus);
    return;
  }
  main.appendChild(h('p', { class: 'loading', role: 'status' }, 'Loading…'));
  const v = {
    main,
    alive: () => gen === ctx.gen,
    // Registers fn to run when the page is left (timers).
    cleanup: (fn) => ctx.cleanups.push(fn),
    user: ctx.user,
    may,
    // Replaces the page's content (only while it is still the current page).
    show: (...kids) => {
      if (gen !== ctx.gen) return false;
      clear(main);
      add(main, ...kids);
      return true;
    },
    title: setTitle,
    rerender: () => render(false),
  };
  try {
    const mod = await def.load();
    if (gen !== ctx.gen) return;
    await mod[def.fn](v, ...args);
  } catch (e) {
    if (gen !== ctx.gen) return;
    if (e instanceof ApiError && e.status === 401) return; // onSessionEnd shows the sign-in page
    clear(main);
    const nf = e instanceof ApiError && e.status === 404;
    add(main, heading(nf ? 'Not found' : 'This page could not be loaded'), errorNotice(e),
      h('p', { class: 'actions' }, h('button', { type: 'button', onclick: () => render(true) }, 'Try again')));
    setTitle(nf ? 'Not found' : 'Error');
  }
  if (gen === ctx.gen) focusHeading(moveFocus);
}

function setTitle(text) {
  document.title = `${text} – delphi console`;
}

function focusHeading(move) {
  if (!move) return;
  const h1 = main.querySelector('h1');
  if (h1) h1.focus();
  window.scrollTo(0, 0);
}

// ---- sign in -----------------------------------------------------------------------------------

function viewLogin() {
  setTitle('Sign in');
  const name = h('input', { type: 'text', id: 'login-name', name: 'username', autocomplete: 'username', required: true,
    autocapitalize: 'none', spellcheck: 'false' });
  const pass = h('input', { type: 'password', id: 'login-password', name: 'password', autocomplete: 'current-password', required: true });
  const submit = h('button', { type: 'submit', id: 'login-submit' }, 'Sign in');
  const msg = h('div', { id: 'login-msg', 'aria-live': 'polite' });
  let timer = 0;
  const form = h('form', { class: 'login', novalidate: true },
    field('Name', name),
    field('Password', pass),
    h('p', { class: 'actions' }, submit),
    msg);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clear(msg);
    fieldError(name, '');
    fieldError(pass, '');
    if (!name.value.trim()) {
      fieldError(name, 'Enter your name.');
      name.focus();
      return;
    }
    if (!pass.value) {
      fieldError(pass, 'Enter your password.');
      pass.focus();
      return;
    }
    submit.disabled = true;
    try {
      const r = await api('POST', '/login', { name: name.value.trim(), password: pass.value }, { quiet: true });
      ctx.user = r.user;
      ctx.sessionEnded = false;
      setCsrf(r.csrf_token);
      const back = ctx.back && !/^#\/?(login)?$/.test(ctx.back) ? ctx.back : '#/';
      ctx.back = '';
      location.hash = back;
      if (location.hash === back) render(true);
    } catch (err) {
      submit.disabled = false;
      if (err instanceof ApiError && err.status === 429) {
        let left = err.retryAfter || 1;
        submit.disabled = true;
        const line = h('span', { id: 'login-wait' });
        const tick = () => {
          line.textContent = left > 0 ? `Too many failed attempts. Wait ${left} second${left === 1 ? '' : 's'} before trying again.` : 'You can try again now.';
          if (left <= 0) {
            clearInterval(timer);
            submit.disabled = false;
          }
          left -= 1;
        };
        clearInterval(timer);
        tick();
        timer = setInterval(tick, 1000);
        ctx.cleanups.push(() => clearInterval(timer));
        msg.appendChild(h('div', { class: 'notice notice-warn', role: 'alert' }, line));
      } else if (err instanceof ApiError && err.status === 401) {
        msg.appendChild(notice('error', 'The name or the password is wrong, or the account is disabled.'));
        pass.select();
      } else {
        msg.appendChild(errorNotice(err, 'Signing in failed.'));
      }
    }
  });
  add(main,
    heading('Sign in to the delphi console'),
    ctx.sessionEnded ? notice('warn', 'Your session has ended. Sign in again to continue.') : null,
    ctx.expertSession ? notice('info', 'This browser holds an expert\'s survey session. Signing in here replaces it.') : null,
    h('p', null, 'For coordinators, planners and administrators. Experts answer the survey through the personal link of their invitation instead.'),
    form);
}

// ---- start -------------------------------------------------------------------------------------

async function boot() {
  $('#skip').addEventListener('click', (e) => {
    e.preventDefault();
    main.focus();
  });
  onSessionEnd(() => {
    if (!ctx.user) return;
    ctx.user = null;
    ctx.sessionEnded = true;
    ctx.back = location.hash;
    setCsrf('');
    location.hash = '#/login';
    render(true);
  });
  try {
    const s = await api('GET', '/session', undefined, { quiet: true });
    ctx.user = s.user;
    setCsrf(s.csrf_token);
  } catch (e) {
    ctx.user = null;
    if (e instanceof ApiError && e.status === 403) ctx.expertSession = true;
    else if (!(e instanceof ApiError) || (e.status !== 401 && e.status !== 404)) {
      clear(main);
      add(main, heading('The console could not start'), errorNotice(e),
        h('p', { class: 'actions' }, h('button', { type: 'button', onclick: () => location.reload() }, 'Try again')));
      return;
    }
  }
  window.addEventListener('hashchange', () => render(true));
  render(false);
}

boot();
