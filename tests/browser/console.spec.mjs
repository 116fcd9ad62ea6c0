// The console (/console/) in headless Chromium against the real delphi: a complete two-round
// survey run the way a coordinator and a planner run it. Users are made with the CLI; everything
// else goes through the console's pages: the sample definition is loaded (after two broken ones),
// experts imported from a CSV (after a preview with errors), their links downloaded, one link
// revoked and one reissued, e-mail tried (the server has no relay: 501), round 1 opened, its
// scheduled close moved and removed (in a browser on Tokyo time), experts answer through the
// expert API with their tokens, progress watched, round 1 closed, comments
// moderated, round 2 opened, answers revised, round 2 closed, and a planner reads the topic table
// and a topic and downloads the reports. An admin manages users; the audit log shows the steps.
//
// Hostile text in a topic title, an expert name and a comment must stay text: no dialog, no
// injected element, no window.__pwned. Every page is checked with axe-core at 1280 and 320 px,
// must not scroll sideways at 320 px, may talk to the delphi server only and raises no script
// error or CSP violation.
//
// The steps build on each other: when one fails, the later ones are skipped with its name.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { Delphi, SAMPLE, SLUG, axe, foreignRequests, launch, focused, openPage, overflowX, preflight, request, shot, sleep, tabUntil } from './harness.mjs';
import {
  HOSTILE, addUser, consoleMissing, csvLine, download, guard, hostileSample, login, parseCsv, smtpSink, tokenInMail,
} from './console-harness.mjs';

const skip = preflight();
const opt = { skip: skip || false };

const PW = { admin: 'admin password 1', coord: 'coordinator password 1', plan: 'planner password 1', locked: 'locked password 1' };
// Five ICT experts answer; E006 is revoked before round 1; E005's link is reissued.
const EXPERTS = [
  { id: 'E001', name: 'Aiko Tanaka', sector: 'academia', fields: ['ICT', 'QUANTUM'] },
  { id: 'E002', name: HOSTILE.name, sector: 'industry', fields: ['ICT'] },
  { id: 'E003', name: 'Carla Mendes', sector: 'government', fields: ['ICT'] },
  { id: 'E004', name: 'Dev Patel', sector: 'academia', fields: ['ICT'] },
  { id: 'E005', name: 'Eve Late', sector: 'industry', fields: ['ICT'] },
  { id: 'E006', name: 'Frank Gone', sector: 'other', fields: ['BIO'] },
];
const REPORT_HEADER = 'round,topic,field,question,group,n,dont_know,already,never,mean,sd,q1,median,q3,iqr,index,agreement,share,consensus,n_paired,changed,mean_abs_change,wilcoxon_z,wilcoxon_p';
const ANSWERS_HEADER = 'round,pseudonym,sector,topic,field,expertise,question,value';

// Round-1 answers to ICT-01 and ICT-02 (E001..E004); round 2 moves E004's importance to 4.
const R1 = {
  E001: { expertise: 3, importance: 4, competitiveness: 3, tech_year: 2032, social_year: 2036, measures: ['funding'], comment: 'Fabs are the bottleneck.' },
  E002: { expertise: 2, importance: 4, competitiveness: 2, tech_year: 2034, social_year: 2038, measures: ['funding', 'international'], comment: HOSTILE.comment },
  E003: { expertise: 3, importance: 3, competitiveness: 3, tech_year: 2033, social_year: 2040, measures: [] },
  E004: { expertise: 1, importance: 1, competitiveness: 1, tech_year: 2045, social_year: 2048, measures: ['regulation'] },
};

describe('the console: a two-round survey run by a coordinator and read by a planner', () => {
  let d;
  let browser;
  let missing = '';
  let failed = '';
  let coord; // the coordinator's context, kept across the steps
  let gcoord;
  const links = {}; // id -> the expert's current token (from the downloaded links, later from the mails)
  let sink = null; // the SMTP relay, from the restart on
  const dialogs = [];

  // One step of the flow: skipped while the server lacks the console or after a failed step.
  const step = (name, fn) => test(name, opt, async (t) => {
    if (missing) return t.skip(missing);
    if (failed) return t.skip(`an earlier step failed: ${failed}`);
    try {
      await fn(t);
    } catch (e) {
      failed = name;
      throw e;
    }
  });

  // Checks a console page: nothing hostile escaped, axe at 1280 and 320 px, no sideways scroll at
  // 320 px, screenshots of both (with SCREENSHOTS set).
  async function look(page, g, name, { a11y = true } = {}) {
    assert.deepEqual(await g.check(), [], `${name}: hostile text stayed text`);
    await shot(page, `console-${name}-desktop`);
    if (a11y) assert.deepEqual(await axe(page), [], `${name}: accessibility at 1280 px`);
    const vp = page.viewportSize();
    await page.setViewportSize({ width: 320, height: 640 });
    try {
      assert.equal(await overflowX(page), 0, `${name}: the page scrolls sideways at 320 px`);
      if (a11y) assert.deepEqual(await axe(page), [], `${name}: accessibility at 320 px`);
      await shot(page, `console-${name}-m320`);
    } finally {
      await page.setViewportSize(vp);
    }
  }

  async function clean(ctx) {
    assert.deepEqual(foreignRequests(ctx.requests, d.base), [], 'every request goes to the delphi server');
    assert.deepEqual(ctx.errors.filter((e) => !/Failed to load resource: the server responded with a status of (429|501)/.test(e)), [], 'no script errors or CSP violations');
  }

  const nav = async (page, hash, selector) => {
    await page.evaluate((h) => { location.hash = h; }, hash);
    await page.waitForSelector(selector, { timeout: 15000 });
  };

  // An expert's request with the token from the downloaded links.
  const asExpert = (id, method, p, body) => request(d.base, method, p, { token: links[id], body });

  before(async () => {
    if (skip) return;
    d = new Delphi();
    d.cli('init');
    for (const [name, role] of [['admin', 'admin'], ['coord', 'coordinator'], ['plan', 'planner'], ['locked', 'planner']]) addUser(d, name, role, PW[name]);
    await d.start();
    missing = await consoleMissing(d);
    browser = await launch();
  });

  after(async () => {
    if (coord) await coord.context.close();
    if (sink) await sink.close();
    if (browser) await browser.close();
    if (d) await d.close();
  });

  step('sign-in: a wrong password is refused; too many failures show the wait (429)', async () => {
    const ctx = await openPage(browser);
    const g = guard(ctx.page);
    try {
      const { page } = ctx;
      await page.goto(`${d.base}/console/`);
      await page.waitForSelector('#login-name');
      assert.equal(await page.textContent('h1'), 'Sign in to the delphi console');
      await look(page, g, 'login');
      await page.fill('#login-name', 'locked');
      await page.fill('#login-password', 'not the password');
      await page.click('#login-submit');
      await page.waitForSelector('#login-msg .notice-error');
      assert.match(await page.textContent('#login-msg'), /name or the password is wrong/);
      // Five more failures for the account (5 are free; the 6th makes the next attempt wait 2 s,
      // whole seconds), then the page meets 429 and says how long to wait.
      for (let failures = 1; failures < 6;) {
        const r = await request(d.base, 'POST', '/api/v1/login', { body: { name: 'locked', password: `wrong ${failures}` } });
        if (r.status === 429) await sleep(1000 * Number(r.headers['retry-after'] || 1));
        else {
          assert.equal(r.status, 401);
          failures += 1;
        }
      }
      await page.click('#login-submit');
      await page.waitForSelector('#login-wait');
      assert.match(await page.textContent('#login-wait'), /Too many failed attempts\. Wait \d+ seconds? before trying again\./);
      assert.equal(await page.isDisabled('#login-submit'), true, 'the button waits too');
      await look(page, g, 'login-429');
      await clean(ctx);
      dialogs.push(...g.dialogs);
    } finally {
      await ctx.context.close();
    }
  });

  step('the coordinator signs in and sees the coordinator\'s navigation', async () => {
    coord = await openPage(browser, { acceptDownloads: true });
    gcoord = guard(coord.page);
    const { page } = coord;
    await login(page, d.base, 'coord', PW.coord);
    await page.waitForSelector('h1:has-text("Surveys")');
    const items = await page.$$eval('#nav-list a', (as) => as.map((a) => a.textContent));
    assert.deepEqual(items, ['Surveys', 'Audit log']);
    assert.match(await page.textContent('#who'), /coord \(coordinator\)/);
    assert.match(await page.textContent('main'), /No survey has been loaded yet/);
    await look(page, gcoord, 'surveys-empty');
  });

  step('a broken definition shows line and column, a wrong value its JSON path; nothing is stored', async () => {
    const { page } = coord;
    // Malformed JSON: a missing comma at the end of line 3.
    const bad = d.write('broken.json', '{\n  "slug": "x",\n  "year": 2025\n  "horizon": 2050\n}\n');
    await page.setInputFiles('#def-file', bad);
    await page.click('#def-upload');
    await page.waitForSelector('#upload-error');
    const e1 = await page.textContent('#upload-error');
    assert.match(e1, /broken\.json was not loaded\. Nothing was stored\./);
    assert.match(e1, /Line \d+, column \d+: /, 'the line and column of the problem');
    assert.equal(await page.isVisible('#upload-error .excerpt'), true, 'the line of the file with a caret');
    await look(page, gcoord, 'upload-error-line');
    // A topic in a field that does not exist: the path topics[1].field.
    const def = JSON.parse(fs.readFileSync(SAMPLE, 'utf8'));
    def.topics[1].field = 'X9';
    await page.setInputFiles('#def-file', d.write('badfield.json', JSON.stringify(def, null, 2)));
    await page.click('#def-upload');
    await page.waitForSelector('#upload-error .path');
    assert.equal(await page.textContent('#upload-error .path'), 'topics[1].field');
    assert.match(await page.textContent('#upload-error'), /X9/);
    await look(page, gcoord, 'upload-error-path');
    assert.doesNotMatch(d.cli('survey', 'list'), /foresight-2050/, 'nothing was stored');
  });

  step('the sample (with a hostile topic title) loads and is listed', async () => {
    const { page } = coord;
    await page.setInputFiles('#def-file', hostileSample(SAMPLE, d.dir));
    await page.click('#def-upload');
    await page.waitForSelector('#upload-result .notice-ok');
    assert.match(await page.textContent('#upload-result'), /was loaded as a new survey: foresight-2050/);
    await page.waitForSelector('#surveys-table');
    assert.match(await page.textContent('#surveys-table'), /Science and Technology Foresight 2050 \(sample\)/);
    await look(page, gcoord, 'surveys');
    await page.click('#surveys-table a');
    await page.waitForSelector('#round-actions-h');
    assert.match(await page.textContent('main'), /No round has been opened yet/);
    assert.match(await page.textContent('main'), /9 fields, 90 topics/);
    await look(page, gcoord, 'survey-draft');
  });

  step('experts: the preview lists rows and errors by row; a good CSV imports; the links download', async () => {
    const { page } = coord;
    await nav(page, `#/s/${SLUG}/experts`, '#csv-file');
    const rows = EXPERTS.map((e) => csvLine([e.id, e.name, `${e.id.toLowerCase()}@example.org`, e.sector, e.fields.join(';')]));
    const broken = ['id,name,email,sector,fields', rows[0], 'E002,Bob,bob@example.org,acad,ICT', 'E003,Carla,,government,NOPE'].join('\n');
    await page.setInputFiles('#csv-file', d.write('experts-bad.csv', `${broken}\n`));
    await page.click('#csv-check');
    await page.waitForSelector('#preview-errors');
    const errs = await page.$$eval('#preview-errors li', (li) => li.map((x) => x.textContent));
    assert.equal(errs.length, 2, errs.join(' | '));
    assert.match(errs[0], /^Row 3: .*acad/);
    assert.match(errs[1], /^Row 4: .*NOPE/);
    assert.equal(await page.$('#csv-import'), null, 'no import while the file has errors');
    await look(page, gcoord, 'experts-preview-errors');

    await page.setInputFiles('#csv-file', d.write('experts.csv', `${['id,name,email,sector,fields', ...rows].join('\n')}\n`));
    await page.click('#csv-check');
    await page.waitForSelector('#csv-import');
    assert.match(await page.textContent('#preview-count'), /6 rows: 6 new, 0 to update; 0 errors/);
    assert.match(await page.textContent('#preview-table'), /Mallory/);
    await page.click('#csv-import');
    await page.waitForSelector('#import-done');
    assert.match(await page.textContent('#import-done'), /Imported: 6 new, 0 updated/);
    await page.waitForSelector('#experts-table');
    const dl = await download(page, () => page.click('#links-download'));
    assert.match(dl.name, /^foresight-2050-links-\d{8}-\d{6}\.csv$/);
    const csv = parseCsv(dl.text);
    assert.deepEqual(csv[0], ['id', 'token', 'link']);
    assert.equal(csv.length, 7);
    for (const [id, token, link] of csv.slice(1)) {
      assert.match(token, /^[0-9a-f]{32}$/);
      assert.equal(link, `${d.base}/e/${token}`);
      links[id] = token;
    }
    // The hostile name is shown as text.
    const nameCell = await page.textContent('#experts-table tr[data-id="E002"] td');
    assert.ok(nameCell.includes(HOSTILE.name), 'the expert name is shown literally');
    await look(page, gcoord, 'experts');
  });

  step('experts: revoke one link, reissue another (the new link is offered for download)', async () => {
    const { page } = coord;
    await page.click('#experts-table tr[data-id="E006"] button[aria-label^="Revoke"]');
    await page.click('#experts-table tr[data-id="E006"] button:has-text("Yes, revoke")');
    await page.waitForSelector('#experts-table tr[data-id="E006"] .state-revoked');
    assert.equal((await asExpert('E006', 'GET', '/api/v1/me')).status, 401, 'a revoked link no longer works');

    const old = links.E005;
    await page.click('#experts-table tr[data-id="E005"] button[aria-label^="New link"]');
    await page.click('#experts-table tr[data-id="E005"] button:has-text("Yes, replace the link")');
    await page.waitForSelector('#experts-table tr[data-id="E005"] .row-msg:has-text("New link made")');
    // The download keeps one link per expert: E005's new one replaces the old.
    assert.match(await page.textContent('#links-download'), /Download the 6 links/);
    const dl = await download(page, () => page.click('#links-download'));
    const row = parseCsv(dl.text).find((r) => r[0] === 'E005');
    assert.notEqual(row[1], old, 'a new token');
    links.E005 = row[1];
    assert.equal((await request(d.base, 'GET', '/api/v1/me', { token: old })).status, 401, 'the old link stopped working');
    assert.equal((await asExpert('E005', 'GET', '/api/v1/me')).status, 200, 'the new link works');
    await look(page, gcoord, 'experts-after-revoke');
  });

  step('e-mail without a relay says so clearly (501 not_configured)', async () => {
    const { page } = coord;
    await nav(page, `#/s/${SLUG}/mail`, '#send-invitations');
    await page.click('#send-invitations');
    await page.waitForSelector('#mail-not-configured');
    assert.match(await page.textContent('#mail-not-configured'), /E-mail is not set up on this server\.[\s\S]*Nothing was sent/);
    await look(page, gcoord, 'mail-not-configured');
  });

  step('with a relay configured (after a restart) invitations go out: each recipient\'s status, the mail log, new links', async () => {
    const { page } = coord;
    sink = await smtpSink({ refuse: ['e004@example.org'] });
    await d.stop();
    const env = sink.env();
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
    Object.assign(process.env, env);
    try {
      await d.start();
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
    await page.goto(`${d.base}/console/#/s/${SLUG}/mail`);
    await page.waitForSelector('#send-invitations');
    assert.equal(await page.isDisabled('#send-reminders'), true, 'no reminders without an open round');
    await page.click('#send-invitations');
    await page.waitForSelector('#send-result');
    // E001..E005 have addresses and are not revoked; the relay refuses E004's.
    assert.match(await page.textContent('#send-result .notice'), /^Invitations( for round \d+)?: 4 sent, 1 refused, 0 failed\.$/);
    const rows = await page.$$eval('#send-table tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
    assert.deepEqual(rows.map((r) => [r[0], r[2]]), [['E001', 'sent'], ['E002', 'sent'], ['E003', 'sent'], ['E004', 'refused'], ['E005', 'sent']]);
    assert.match(rows[3][3], /\b550 5\.1\.1\b/, 'the relay\'s answer');
    await page.waitForFunction(() => document.querySelectorAll('#mail-log tbody tr').length === 5);
    await look(page, gcoord, 'mail-sent');
    // Every mail carries a new link; the refused one changed nothing.
    assert.equal(sink.messages.length, 4);
    for (const m of sink.messages) {
      const id = m.to[0].split('@')[0].toUpperCase();
      const token = tokenInMail(m);
      assert.match(token, /^[0-9a-f]{32}$/, `a link in the mail to ${m.to[0]}`);
      assert.equal((await asExpert(id, 'GET', '/api/v1/me')).status, 401, `${id}'s earlier link was replaced`);
      links[id] = token;
      assert.equal((await asExpert(id, 'GET', '/api/v1/me')).status, 200, `${id}'s mailed link works`);
    }
    assert.equal((await asExpert('E004', 'GET', '/api/v1/me')).status, 200, 'E004 keeps the earlier link');
  });

  step('round 1 opens with a scheduled close', async () => {
    const { page } = coord;
    await nav(page, `#/s/${SLUG}`, '#open-round');
    await page.fill('#open-close-at', '2040-06-30T18:00');
    await page.click('#open-round');
    await page.locator('#round-msg', { hasText: 'Round 1 is open' }).waitFor();
    assert.match(await page.textContent('#round-msg'), /Round 1 is open: 5 experts invited\./);
    const row = await page.$$eval('#rounds-table tbody tr', (trs) => trs.map((tr) => tr.textContent));
    assert.equal(row.length, 1);
    assert.match(row[0], /Round 1open.*30 Jun 2040/);
    await look(page, gcoord, 'round1-open');
  });

  step('the scheduled close of round 1 is moved (local time sent as UTC) and removed; the round stays open', async () => {
    // The coordinator again, in a browser on Tokyo time (UTC+9, no summer time) whose clock reads
    // 2000: the page's own "has passed" check lets an old time through, so the server's refusal
    // is what the page shows.
    const ctx = await openPage(browser, { timezoneId: 'Asia/Tokyo' });
    const g = guard(ctx.page);
    const scheduled = () => (/scheduled to close at (\S+)\)/.exec(d.cli('round', 'status', '--survey', SLUG)) || [])[1] || '';
    const tokyo = (iso) => new Date(Date.parse(iso) + 9 * 3600 * 1000).toISOString().slice(0, 16);
    try {
      const { page } = ctx;
      await page.clock.setFixedTime(new Date('2000-01-01T00:00:00Z'));
      await login(page, d.base, 'coord', PW.coord);
      await nav(page, `#/s/${SLUG}`, '#schedule-form');
      const before = scheduled();
      const typed = await coord.page.evaluate(() => new Date('2040-06-30T18:00').toISOString().replace(/\.000Z$/, 'Z'));
      assert.equal(before, typed, 'the close given when round 1 opened (in the first browser\'s zone)');
      assert.equal(await page.inputValue('#schedule-close-at'), tokyo(before), 'the field shows it in Tokyo time');

      await page.fill('#schedule-close-at', '2001-01-01T09:00');
      await page.click('#schedule-save');
      await page.locator('#schedule-close-at-err', { hasText: 'has passed' }).waitFor();
      assert.match(await page.textContent('#schedule-close-at-err'), /^close_at 2001-01-01T00:00:00Z has passed \(the server's time is 20\d\d-/);
      assert.equal(scheduled(), before, 'a refused time changes nothing');

      await page.fill('#schedule-close-at', '2040-07-07T09:30');
      await page.click('#schedule-save');
      await page.locator('#round-msg', { hasText: 'Round 1 is scheduled to close at' }).waitFor();
      assert.equal(scheduled(), '2040-07-07T00:30:00Z', '09:30 in Tokyo is 00:30 UTC');
      assert.match(await page.textContent('#round-msg'), /Round 1 is scheduled to close at 7 Jul 2040, 09:30\./);
      const row = await page.$$eval('#rounds-table tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
      assert.deepEqual([row.length, row[0][1], row[0][3]], [1, 'open', '7 Jul 2040, 09:30'], 'the table shows the new close; the round is open');
      assert.equal(await page.inputValue('#schedule-close-at'), '2040-07-07T09:30');
      await look(page, g, 'round1-schedule');

      await page.click('#schedule-remove');
      await page.locator('#round-msg', { hasText: 'Round 1 has no scheduled close now' }).waitFor();
      assert.equal(scheduled(), '', 'no scheduled close any more');
      assert.match(d.cli('round', 'status', '--survey', SLUG), /round 1 of 2: open \(opened [^,)]*\)/);
      const cells = await page.$$eval('#rounds-table tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
      assert.deepEqual([cells[0][1], cells[0][3]], ['open', '–']);
      assert.match(await page.textContent('#schedule-now'), /Round 1 has no scheduled close/);
      assert.equal(await page.$('#schedule-remove'), null, 'nothing left to remove');
      await clean(ctx);
      dialogs.push(...g.dialogs);
    } finally {
      await ctx.context.close();
    }
  });

  step('experts answer round 1 through the expert API with their tokens', async () => {
    for (const [id, body] of Object.entries(R1)) {
      for (const topic of ['ICT-01', 'ICT-02']) {
        const r = await asExpert(id, 'PUT', `/api/v1/answers/${topic}`, body);
        assert.equal(r.status, 200, `${id} ${topic}: ${r.body}`);
      }
    }
    assert.equal((await asExpert('E006', 'PUT', '/api/v1/answers/ICT-01', { importance: 4 })).status, 401, 'the revoked expert cannot answer');
  });

  step('progress shows the response rate overall, per field, per sector and per topic', async () => {
    const { page } = coord;
    await nav(page, `#/s/${SLUG}/progress`, '#progress-overall');
    // Invited: E001..E005 (E006 was revoked). Answered: E001..E004 -> 4 of 5, 80 %; 2 topics x 4 experts = 8 saves.
    assert.match(await page.textContent('#progress-overall'), /Round 1 \(open\): 4 of 5 invited experts have answered \(80%\)/);
    assert.match(await page.textContent('#progress-stamp'), /refreshed every 10 seconds while the round is open/);
    const ict = await page.$$eval('#progress-fields tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent.trim())).find((c) => c[0].startsWith('ICT')));
    assert.deepEqual(ict.slice(1, 3), ['5', '4'], 'ICT: 5 invited, 4 respondents');
    const topics = await page.$$eval('#progress-topics tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent.trim())));
    const t1 = topics.find((c) => c[0].startsWith('ICT-01'));
    assert.equal(t1[2], '4', 'ICT-01: 4 respondents');
    assert.ok(t1[0].includes(HOSTILE.title), 'the hostile title is shown literally');
    // The field filter and the sort by respondents.
    await page.selectOption('#progress-field', 'ICT');
    assert.equal(await page.$$eval('#progress-topics tbody tr', (trs) => trs.length), 10);
    await look(page, gcoord, 'progress');
    // Remind those who have not answered: only E005.
    await nav(page, `#/s/${SLUG}/mail`, '#send-reminders:not([disabled])');
    assert.equal(await page.textContent('#send-reminders'), 'Remind those who have not answered round 1');
    const before = sink.messages.length;
    await page.click('#send-reminders');
    await page.waitForSelector('#send-result');
    assert.match(await page.textContent('#send-result .notice'), /^Reminders for round 1: 1 sent, 0 refused, 0 failed\.$/);
    assert.equal(sink.messages.length, before + 1);
    assert.deepEqual(sink.messages[before].to, ['e005@example.org']);
    links.E005 = tokenInMail(sink.messages[before]);
    // Back on the progress page, which refreshes by itself: E005 answers, and within ~10 s the count moves.
    await nav(page, `#/s/${SLUG}/progress`, '#progress-overall');
    assert.equal((await asExpert('E005', 'PUT', '/api/v1/answers/ICT-03', { importance: 2 })).status, 200);
    await page.waitForFunction(() => /5 of 5 invited experts have answered \(100%\)/.test(document.querySelector('#progress-overall').textContent), null, { timeout: 15000 });
  });

  step('closing round 1 shows the aggregator\'s summary', async () => {
    const { page } = coord;
    await nav(page, `#/s/${SLUG}`, '#round-actions-h');
    await page.click('button:has-text("Close round 1")');
    await page.click('button:has-text("Yes, close round 1")');
    await page.waitForSelector('#close-summary');
    const sum = await page.textContent('#close-summary');
    assert.match(sum, /Topics with consensus\s*\d+ of 90/);
    assert.match(sum, /Groups\s*all/);
    assert.match(await page.textContent('#rounds-table'), /closed/);
    await look(page, gcoord, 'round1-closed');
  });

  step('comments of round 1: the hostile one stays text and is hidden, the other approved', async () => {
    const { page } = coord;
    await nav(page, `#/s/${SLUG}/comments/1`, '#comments-count');
    // E001 and E002 commented on ICT-01 and ICT-02: four comments.
    assert.match(await page.textContent('#comments-count'), /^4 comments pending\.$/);
    const texts = await page.$$eval('#comments-list .comment-text', (q) => q.map((x) => x.textContent));
    assert.equal(texts.filter((x) => x === HOSTILE.comment).length, 2, 'the hostile comment is shown literally');
    assert.equal(texts.filter((x) => x === 'Fabs are the bottleneck.').length, 2);
    await look(page, gcoord, 'comments');
    const item = (text, topic) => page.locator('#comments-list li.comment').filter({ hasText: text }).filter({ hasText: topic });
    await item('Fabs are the bottleneck.', 'ICT-01').locator('button[data-act="approve"]').click();
    await item('Fabs are the bottleneck.', 'ICT-01').locator('.state-approved').waitFor();
    for (const topic of ['ICT-01', 'ICT-02']) {
      await item('Cheaper', topic).locator('button[data-act="hide"]').click();
      await item('Cheaper', topic).locator('.state-hidden').waitFor();
    }
    await page.selectOption('#comments-status', 'approved');
    await page.waitForFunction(() => /^1 comment approved\.$/.test(document.querySelector('#comments-count').textContent));
  });

  step('round 2 opens for the respondents of round 1, who see the approved comment only', async () => {
    const { page } = coord;
    await nav(page, `#/s/${SLUG}`, '#open-round');
    await page.click('#open-round');
    await page.locator('#round-msg', { hasText: 'Round 2 is open' }).waitFor();
    // Respondents of round 1: E001..E005.
    assert.match(await page.textContent('#round-msg'), /Round 2 is open: 5 experts invited\./);
    const fb = await asExpert('E001', 'GET', '/api/v1/feedback/ICT-01');
    assert.equal(fb.status, 200, fb.body);
    assert.deepEqual(fb.json.comments, ['Fabs are the bottleneck.']);
    assert.equal(fb.json.questions.importance.n, 4);
  });

  step('experts revise in round 2; round 2 closes', async () => {
    const { page } = coord;
    for (const [id, body] of Object.entries(R1)) {
      const revised = { ...body, importance: id === 'E004' ? 4 : body.importance, comment: null };
      for (const topic of ['ICT-01', 'ICT-02']) {
        const r = await asExpert(id, 'PUT', `/api/v1/answers/${topic}`, revised);
        assert.equal(r.status, 200, `${id} ${topic}: ${r.body}`);
      }
    }
    await nav(page, `#/s/${SLUG}`, '#round-actions-h');
    await page.click('button:has-text("Close round 2")');
    await page.click('button:has-text("Yes, close round 2")');
    await page.waitForSelector('#close-summary');
    assert.match(await page.textContent('main'), /All 2 rounds of this survey have been run\./);
    await look(page, gcoord, 'round2-closed');
    // Reopen it for a late answer: a reason is required; then close it again.
    await page.click('#reopen-round');
    assert.match(await page.textContent('#reopen-reason-err'), /Say why the round is reopened/);
    await page.fill('#reopen-reason', 'E005 got the link late');
    await page.click('#reopen-round');
    // #round-msg still shows the close summary's notice until the reopen's reply arrives: wait
    // for the new text itself, not for any notice.
    await page.locator('#round-msg', { hasText: 'Round 2 is open again.' }).waitFor();
    assert.match(await page.textContent('#round-msg'), /Round 2 is open again\./);
    assert.equal((await asExpert('E005', 'PUT', '/api/v1/answers/ICT-03', { importance: 3 })).status, 200);
    await page.click('button:has-text("Close round 2")');
    await page.click('button:has-text("Yes, close round 2")');
    await page.waitForSelector('#close-summary');
  });

  step('the audit log shows the coordinator\'s steps', async () => {
    const { page } = coord;
    await nav(page, '#/audit', '#audit-table');
    const text = await page.textContent('#audit-table');
    assert.match(text, /user:coord/);
    assert.match(text, /round/);
    assert.match(text, /E005 got the link late/, 'the reason of the reopening');
    await look(page, gcoord, 'audit');
    await clean(coord);
    dialogs.push(...gcoord.dialogs);
  });

  step('the planner reads the topic table (sort, filter), a topic\'s charts and downloads the CSV', async () => {
    const ctx = await openPage(browser, { acceptDownloads: true });
    const g = guard(ctx.page);
    try {
      const { page } = ctx;
      await login(page, d.base, 'plan', PW.plan);
      assert.deepEqual(await page.$$eval('#nav-list a', (as) => as.map((a) => a.textContent)), ['Surveys']);
      await page.click('#surveys-table a');
      await page.waitForSelector('.subnav');
      assert.deepEqual(await page.$$eval('.subnav a', (as) => as.map((a) => a.textContent)), ['Overview and rounds', 'Results']);
      assert.equal(await page.$('#round-actions-h'), null, 'no round actions for planners');
      await page.click('.subnav a:has-text("Results")');
      await page.waitForSelector('#topics-table');
      assert.equal(await page.textContent('h1'), 'Results of round 2');
      const rows = () => page.$$eval('#topics-table tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent.trim())));
      let all = await rows();
      assert.equal(all.length, 90);
      assert.ok(all[0][0].startsWith('ICT-01') && all[0][0].includes(HOSTILE.title), 'the hostile title is text in the table');
      // Round 2, ICT-01 importance: 4 4 3 4 (E004 revised 1 -> 4) -> index (100+100+66.67+100)/4 = 91.7 with
      // the sample's default weights (4 -> 100, 3 -> 66.67); ICT-02 the same answers -> 91.7.
      assert.equal(all[0][2], '91.7');
      await look(page, g, 'results');
      await page.selectOption('#filter-field', 'ICT');
      all = await rows();
      assert.equal(all.length, 10);
      assert.match(await page.textContent('#topics-count'), /10 of 90 topics shown/);
      // Sort by the importance index, highest first (a second press reverses).
      await page.click('#topics-table th button:has-text("Importance index")');
      const sorted = (await rows()).map((r) => r[2]);
      assert.equal(await page.getAttribute('#topics-table th:nth-child(3)', 'aria-sort'), 'descending');
      assert.deepEqual(sorted.slice(0, 2), ['91.7', '91.7']);
      await page.fill('#filter-text', 'verified software');
      assert.equal((await rows()).length, 1);

      // The topic page: charts of all respondents with round 1 as outlines, and of each group.
      await page.click('#topics-table tbody a');
      await page.waitForSelector('#chart-importance svg');
      assert.match(await page.textContent('h1'), /^ICT-02 AI that writes verified software$/);
      assert.match(await page.textContent('#chart-importance figcaption'), /Round 2, all respondents; round 1 as outlines/);
      const groups = await page.$$eval('#chart-group option', (os) => os.map((o) => o.value));
      assert.ok(groups.includes('all') && groups.includes('academia'), groups.join(','));
      await page.selectOption('#chart-group', 'academia');
      await page.waitForSelector('#chart-importance figcaption:has-text("academia")');
      assert.equal(await page.isVisible('#chart-importance svg .dc-bar'), true, 'the academia chart is drawn');
      const stats = await page.textContent('#res-importance table');
      assert.match(stats, /All respondents/);
      assert.match(stats, /Median, previous round/);
      await look(page, g, 'topic');
      await page.goto(`${d.base}/console/#/s/${SLUG}/results/2/ICT-01`);
      await page.waitForSelector('#chart-importance svg');
      assert.ok((await page.textContent('h1')).includes(HOSTILE.title), 'the hostile title is text in the heading');
      await look(page, g, 'topic-hostile');

      // Downloads: the report CSV starts with the documented header; the answers CSV too.
      await nav(page, `#/s/${SLUG}/results/2`, '#downloads');
      const csv = await download(page, () => page.click('#downloads a[data-file="report.csv"]'));
      assert.equal(csv.name, 'foresight-2050-round-2-report.csv');
      assert.equal(csv.text.split('\n')[0], REPORT_HEADER);
      const ans = await download(page, () => page.click('#downloads a[data-file="answers.csv"]'));
      assert.equal(ans.text.split('\n')[0], ANSWERS_HEADER);
      assert.ok(!ans.text.includes('Aiko'), 'the answers are under pseudonyms');
      const html = await download(page, () => page.click('#downloads a[data-file="report.html"]'));
      assert.match(html.text, /^<!DOCTYPE html>/i);
      await clean(ctx);
      dialogs.push(...g.dialogs);
    } finally {
      await ctx.context.close();
    }
  });

  step('keyboard alone: sign in, open the results, sort the topic table; focus is visible', async () => {
    const ctx = await openPage(browser);
    try {
      const { page } = ctx;
      await page.goto(`${d.base}/console/`);
      await page.waitForSelector('#login-name');
      await tabUntil(page, '#login-name');
      assert.ok((await focused(page)).visible, 'the name field shows its focus');
      await page.keyboard.type('plan');
      await tabUntil(page, '#login-password', 1);
      await page.keyboard.type(PW.plan);
      await page.keyboard.press('Enter');
      await page.waitForSelector('#surveys-table a');
      await tabUntil(page, '#surveys-table a');
      assert.ok((await focused(page)).visible, 'the survey link shows its focus');
      await page.keyboard.press('Enter');
      await page.waitForSelector('.subnav');
      await tabUntil(page, '.subnav a[href$="/results"]');
      await page.keyboard.press('Enter');
      await page.waitForSelector('#topics-table');
      await tabUntil(page, '#topics-table th button.sort', 20);
      const first = await page.evaluate(() => document.activeElement.textContent);
      assert.match(first, /^Topic/);
      await tabUntil(page, '#topics-table thead th:nth-child(8) button', 10);
      assert.ok((await focused(page)).visible, 'the sort button shows its focus');
      await page.keyboard.press('Enter');
      assert.equal(await page.getAttribute('#topics-table th:nth-child(8)', 'aria-sort'), 'descending', 'n sorts highest first');
      const top = await page.$$eval('#topics-table tbody tr', (trs) => trs.slice(0, 2).map((tr) => tr.cells[0].textContent.trim().slice(0, 6)));
      assert.deepEqual(top.sort(), ['ICT-01', 'ICT-02']);
      await page.keyboard.press('Enter');
      assert.equal(await page.getAttribute('#topics-table th:nth-child(8)', 'aria-sort'), 'ascending');
      await clean(ctx);
    } finally {
      await ctx.context.close();
    }
  });

  step('the admin lists, adds, disables and enables users', async () => {
    const ctx = await openPage(browser);
    const g = guard(ctx.page);
    try {
      const { page } = ctx;
      await login(page, d.base, 'admin', PW.admin);
      await page.waitForSelector('#users-table');
      assert.deepEqual(await page.$$eval('#nav-list a', (as) => as.map((a) => a.textContent)), ['Users', 'Audit log']);
      await page.fill('#user-name', 'dana');
      await page.selectOption('#user-role', 'planner');
      await page.fill('#user-password', 'short');
      await page.click('#user-add');
      assert.match(await page.textContent('#user-password-err'), /at least 12 characters/);
      await page.fill('#user-password', 'a long enough password');
      await page.click('#user-add');
      await page.waitForSelector('#users-table tr[data-name="dana"]');
      assert.match(await page.textContent('#users-msg'), /dana was added as planner/);
      await page.click('#users-table tr[data-name="dana"] button[aria-label="Disable dana"]');
      await page.click('#users-table tr[data-name="dana"] button:has-text("Yes, disable")');
      await page.waitForSelector('#users-table tr[data-name="dana"] .state-revoked');
      const r = await request(d.base, 'POST', '/api/v1/login', { body: { name: 'dana', password: 'a long enough password' } });
      assert.equal(r.status, 401, 'a disabled user cannot sign in');
      await look(page, g, 'users');
      await page.click('#users-table tr[data-name="dana"] button[aria-label="Enable dana"]');
      await page.waitForSelector('#users-table tr[data-name="dana"] .state-done');
      assert.match(d.cli('user', 'list'), /dana/);
      await clean(ctx);
      dialogs.push(...g.dialogs);
    } finally {
      await ctx.context.close();
    }
  });

  test('no page opened a dialog (hostile text stayed inert)', opt, (t) => {
    if (missing) return t.skip(missing);
    assert.deepEqual(dialogs, []);
  });
});
