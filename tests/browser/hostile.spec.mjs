// Hostile text end to end, in headless Chromium against the real delphi: `<script>`,
// `"><img src=x onerror=…>`, SQL quotes, a right-to-left override (U+202E) and one
// 10,000-character string (over 16 KiB of UTF-8: the limits count characters) in topic titles
// and texts (English and Japanese), a field title and a question text, in expert names (imported
// through the console) and in comments (typed by an expert, moderated, shown in round 2).
//
// Every page that shows them is visited — the expert's welcome, topic list and topic pages (both
// languages) and round-2 feedback; the console's import preview, experts list and comment
// moderation; the planner's topic table and topic pages; the HTML report in both languages,
// opened as a file would be (no Content-Security-Policy to help) — and must show each string
// exactly, the long one in full, with no dialog, no element made from the strings and no event
// handler attribute. What SQLite holds is compared with the input byte for byte. The experts
// list with the 10,000-character name must not scroll sideways at 1280 or 320 px.
//
// The steps build on each other: when one fails, the later ones are skipped with its name.
// SCREENSHOTS=DIR keeps screenshots of the pages (hostile-*.png).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { Delphi, SLUG, foreignRequests, launch, openPage, overflowX, preflight, request, shot, waitSaved } from './harness.mjs';
import { addUser, consoleMissing, csvLine, download, guard, login, parseCsv } from './console-harness.mjs';

const skip = preflight();
const opt = { skip: skip || false };

const SCRIPT = '<script>alert(1)</script>';
const IMG = '"><img src=x onerror=alert(1)>';
const SQLQ = "'; DROP TABLE answers; --";
const RLO = '\u202E';
const RTL = `${RLO}evil.exe${RLO}gpj`; // shown reversed; the characters stay as they are
const MIX = `${SCRIPT} ${IMG} ${SQLQ} ${RTL}`;

// One string of exactly 10,000 characters (code points): the hostile pieces, Hebrew and Japanese,
// a 1,500-character run without a break, and most of it multibyte. No blank at either end (the
// CSV import trims cells) and no line break (names are one line).
function longString() {
  const unit = `${SCRIPT} ${IMG} ${SQLQ} ${RLO}שלום ${'x'.repeat(60)}${'あ'.repeat(120)} `;
  const s = `${'W'.repeat(1500)} ${unit.repeat(40)}`;
  const cps = Array.from(s).slice(0, 9999);
  return `${cps.join('')}Z`;
}
const LONG = longString();
const LONG_JA = `日${LONG.slice(1)}`;

const PW = { coord: 'coordinator password 1', plan: 'planner password 1' };
// E1 answers in the browser; E2 and E3 through the API.
const EXPERTS = [
  { id: 'E1', name: MIX, sector: 'academia' },
  { id: 'E2', name: LONG, sector: 'industry' },
  { id: 'E3', name: IMG, sector: 'government' },
];
const COMMENTS = { E1: LONG, E2: MIX, E3: `${SQLQ} ${SCRIPT}` };

const hex = (s) => Buffer.from(s, 'utf8').toString('hex').toUpperCase();

// got === want for long strings, with a failure message that shows where they part instead of
// both strings in full.
function sameText(got, want, what) {
  if (got === want) return;
  const g = String(got);
  let i = 0;
  while (i < g.length && i < want.length && g[i] === want[i]) i++;
  assert.fail(`${what}: got ${g.length} UTF-16 units, expected ${want.length}; they differ from ${i}: `
    + `${JSON.stringify(g.slice(i, i + 40))} instead of ${JSON.stringify(want.slice(i, i + 40))}`);
}

// The same for lists of strings, in any order.
function sameTexts(got, want, what) {
  assert.equal(got.length, want.length, `${what}: how many`);
  const a = [...got].sort();
  const b = [...want].sort();
  a.forEach((x, i) => sameText(x, b[i], `${what} [${i}]`));
}

describe('hostile text is stored as given and shown inert everywhere', () => {
  let d;
  let browser;
  let missing = '';
  let failed = '';
  let coord;
  let gcoord;
  let def;
  let defPath;
  const tokens = {};
  const dialogs = [];

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

  // The page's text (with the text of form fields) holds every string of want, exactly; nothing
  // hostile escaped (guard: no dialog, no injected element or handler, no window.__pwned).
  async function inert(page, g, name, want) {
    assert.deepEqual(await g.check(), [], `${name}: hostile text stayed text`);
    const text = await page.evaluate(() => document.body.textContent);
    for (const s of want) {
      assert.ok(text.includes(s), `${name}: shows ${s.length > 60 ? `the ${Array.from(s).length}-character string` : JSON.stringify(s)} exactly`);
    }
    assert.deepEqual(g.dialogs, [], `${name}: no dialog`);
  }

  // No sideways scroll at 1280 and 320 px, and at 1280 px no table wider than the page (a long
  // name must not push the other columns out of sight); screenshots of both.
  async function fits(page, name) {
    assert.equal(await overflowX(page), 0, `${name}: the page scrolls sideways at 1280 px`);
    const wide = await page.$$eval('.table-wrap', (ws) => ws.filter((w) => w.scrollWidth > w.clientWidth + 1)
      .map((w) => `${w.querySelector('table').id || 'a table'}: ${w.scrollWidth} px in ${w.clientWidth}`));
    assert.deepEqual(wide, [], `${name}: tables fit the page at 1280 px`);
    await shot(page, `hostile-${name}-desktop`);
    const vp = page.viewportSize();
    await page.setViewportSize({ width: 320, height: 640 });
    try {
      assert.equal(await overflowX(page), 0, `${name}: the page scrolls sideways at 320 px`);
      await shot(page, `hostile-${name}-m320`);
    } finally {
      await page.setViewportSize(vp);
    }
  }

  const nav = async (page, hash, selector) => {
    await page.evaluate((hh) => { location.hash = hh; }, hash);
    await page.waitForSelector(selector, { timeout: 15000 });
  };

  // An expert's page (its own context): fn({page, g}); then every request went to delphi and no
  // script error happened.
  async function asExpertPage(opts, fn) {
    const ctx = await openPage(browser, opts);
    const g = guard(ctx.page);
    try {
      await fn({ page: ctx.page, g });
      dialogs.push(...g.dialogs);
      assert.deepEqual(foreignRequests(ctx.requests, d.base), [], 'every request goes to the delphi server');
      assert.deepEqual(ctx.errors, [], 'no script errors or CSP violations');
    } finally {
      await ctx.context.close();
    }
  }

  // What SQLite holds, read with python3's sqlite3 (read-only): hex of the names, the comments and
  // the stored definition.
  function stored() {
    const py = `
import json, sqlite3, sys
c = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
out = {"names": dict(c.execute("SELECT ext_id, hex(name) FROM experts")),
       "comments": [list(r) for r in c.execute(
           "SELECT e.ext_id, t.code, r.number, hex(a.text) FROM answers a"
           " JOIN experts e ON e.id = a.expert_id JOIN topics t ON t.id = a.topic_id"
           " JOIN questions q ON q.id = a.question_id JOIN rounds r ON r.id = a.round_id"
           " WHERE q.key = 'comment' ORDER BY r.number, e.ext_id")],
       "definition": c.execute("SELECT hex(definition) FROM surveys").fetchone()[0]}
print(json.dumps(out))
`;
    const r = spawnSync('python3', ['-c', py, d.db], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`python3 sqlite3: ${r.stderr}`);
    return JSON.parse(r.stdout);
  }

  before(async () => {
    if (skip) return;
    d = new Delphi();
    d.cli('init');
    addUser(d, 'coord', 'coordinator', PW.coord);
    addUser(d, 'plan', 'planner', PW.plan);
    defPath = d.sampleVariant((x) => {
      const [t1, t2] = x.topics;
      t1.title = { en: MIX, ja: `${MIX} 日本語` };
      t1.text = { en: LONG, ja: LONG_JA };
      t2.title = { en: SCRIPT, ja: IMG };
      t2.text = { en: `${IMG} ${SQLQ}`, ja: `${SQLQ} ${RTL}` };
      x.fields.find((f) => f.code === 'ICT').title.en = `ICT ${IMG}`;
      const c = x.questions.find((q) => q.key === 'comment');
      c.text.en = `Comment ${SCRIPT}`;
      c.max_length = 32768;
    }, 'hostile.json');
    def = JSON.parse(fs.readFileSync(defPath, 'utf8'));
    d.cli('survey', 'load', defPath);
    await d.start();
    missing = await consoleMissing(d);
    browser = await launch();
  });

  after(async () => {
    if (coord) await coord.context.close();
    if (browser) await browser.close();
    if (d) await d.close();
  });

  test('the strings are what they claim to be', opt, () => {
    assert.equal(Array.from(LONG).length, 10000);
    assert.equal(LONG.length, 10000, 'no surrogate pairs: characters = UTF-16 units');
    assert.ok(Buffer.byteLength(LONG) > 16384, `${Buffer.byteLength(LONG)} bytes: more than a byte limit of 16384 would take`);
    for (const s of [SCRIPT, IMG, SQLQ, RLO]) assert.ok(LONG.includes(s));
    assert.equal(LONG, LONG.trim());
  });

  step('the definition is stored byte for byte', async () => {
    const s = stored();
    sameText(s.definition, fs.readFileSync(defPath).toString('hex').toUpperCase(), 'the stored definition (hex)');
    const back = JSON.parse(Buffer.from(s.definition, 'hex').toString('utf8'));
    sameText(back.topics[0].text.en, LONG, 'topics[0].text.en');
    sameText(back.topics[0].text.ja, LONG_JA, 'topics[0].text.ja');
    assert.equal(back.topics[1].title.ja, IMG);
  });

  step('the console imports the experts: the preview and the list show the names as text', async () => {
    coord = await openPage(browser, { acceptDownloads: true });
    gcoord = guard(coord.page);
    const { page } = coord;
    await login(page, d.base, 'coord', PW.coord);
    await nav(page, `#/s/${SLUG}/experts`, '#csv-file');
    const csv = ['id,name,email,sector,fields', ...EXPERTS.map((e) => csvLine([e.id, e.name, `${e.id.toLowerCase()}@example.org`, e.sector, 'ICT']))];
    await page.setInputFiles('#csv-file', d.write('experts.csv', `${csv.join('\n')}\n`));
    await page.click('#csv-check');
    await page.waitForSelector('#csv-import');
    assert.match(await page.textContent('#preview-count'), /3 rows: 3 new, 0 to update; 0 errors/);
    await inert(page, gcoord, 'import preview', [MIX, LONG, IMG]);
    await fits(page, 'preview');
    await page.click('#csv-import');
    await page.waitForSelector('#import-done');
    await page.waitForSelector('#experts-table');
    const dl = await download(page, () => page.click('#links-download'));
    for (const [id, token] of parseCsv(dl.text).slice(1)) tokens[id] = token;
    assert.deepEqual(Object.keys(tokens).sort(), ['E1', 'E2', 'E3']);
    for (const e of EXPERTS) {
      const cell = await page.textContent(`#experts-table tr[data-id="${e.id}"] td`);
      assert.ok(cell.includes(e.name), `${e.id}: the name is shown literally`);
    }
    await inert(page, gcoord, 'experts list', [MIX, LONG, IMG]);
    await fits(page, 'experts');
    const s = stored();
    for (const e of EXPERTS) sameText(s.names[e.id], hex(e.name), `${e.id}: the stored name (hex)`);
  });

  step('round 1 opens', async () => {
    const { page } = coord;
    await nav(page, `#/s/${SLUG}`, '#open-round');
    await page.click('#open-round');
    await page.locator('#round-msg', { hasText: 'Round 1 is open' }).waitFor();
    await inert(page, gcoord, 'survey overview', []);
  });

  step('the expert (English): welcome, topic list and topic page; a 10,000-character comment', async () => {
    await asExpertPage({}, async ({ page, g }) => {
      await page.goto(`${d.base}/e/${tokens.E1}`);
      await page.waitForSelector('h1');
      assert.equal(await page.getAttribute('html', 'lang'), 'en');
      assert.match(await page.textContent('main'), /Hello, /);
      await inert(page, g, 'welcome', [`Hello, ${MIX}.`]);
      await shot(page, 'hostile-welcome');
      await page.goto(`${d.base}/survey/#/topics`);
      await page.waitForSelector('#topic-search');
      await inert(page, g, 'topics', [MIX, LONG, SCRIPT, `${IMG} ${SQLQ}`, `ICT ${IMG}`]);
      await shot(page, 'hostile-topics');
      await page.goto(`${d.base}/survey/#/topic/ICT-01`);
      await page.waitForSelector('#in-comment');
      assert.equal(await page.textContent('h1'), `ICT-01 ${MIX}`);
      sameText(await page.textContent('.statement'), LONG, 'the topic text');
      await inert(page, g, 'topic ICT-01', [LONG, `Comment ${SCRIPT}`]);
      await page.fill('#in-comment', COMMENTS.E1);
      await waitSaved(page);
      await shot(page, 'hostile-topic');
      await page.goto(`${d.base}/survey/#/topic/ICT-02`);
      await page.waitForFunction(() => document.querySelector('h1').textContent.startsWith('ICT-02'));
      assert.equal(await page.textContent('h1'), `ICT-02 ${SCRIPT}`);
      await inert(page, g, 'topic ICT-02', [`${IMG} ${SQLQ}`]);
    });
    const me = await request(d.base, 'GET', '/api/v1/me', { token: tokens.E1 });
    assert.equal(me.status, 200, me.body);
    sameText(me.json.answers['ICT-01'].comment, COMMENTS.E1, 'the comment through the API');
  });

  step('the expert (Japanese): the Japanese texts, as text', async () => {
    await asExpertPage({ locale: 'ja-JP' }, async ({ page, g }) => {
      await page.goto(`${d.base}/e/${tokens.E1}`);
      await page.waitForSelector('html[lang="ja"]');
      await inert(page, g, 'welcome (ja)', [MIX]);
      await page.goto(`${d.base}/survey/#/topics`);
      await page.waitForSelector('#topic-search');
      await inert(page, g, 'topics (ja)', [`${MIX} 日本語`, LONG_JA, IMG, `${SQLQ} ${RTL}`]);
      await page.goto(`${d.base}/survey/#/topic/ICT-01`);
      await page.waitForSelector('#in-comment');
      sameText(await page.textContent('.statement'), LONG_JA, 'the Japanese topic text');
      sameText(await page.inputValue('#in-comment'), COMMENTS.E1, 'the saved comment, back whole');
      await inert(page, g, 'topic ICT-01 (ja)', [LONG_JA]);
    });
  });

  step('two more experts comment through the API; SQLite holds every comment byte for byte', async () => {
    for (const id of ['E2', 'E3']) {
      const r = await request(d.base, 'PUT', '/api/v1/answers/ICT-01', { token: tokens[id], body: { importance: 3, comment: COMMENTS[id] } });
      assert.equal(r.status, 200, `${id}: ${r.body}`);
    }
    const s = stored();
    assert.deepEqual(s.comments.map((c) => c.slice(0, 3)), [['E1', 'ICT-01', 1], ['E2', 'ICT-01', 1], ['E3', 'ICT-01', 1]]);
    for (const [id, , , text] of s.comments) sameText(text, hex(COMMENTS[id]), `${id}'s stored comment (hex)`);
  });

  step('round 1 closes; the moderation page shows the comments as text; all are approved', async () => {
    const { page } = coord;
    await nav(page, `#/s/${SLUG}`, '#round-actions-h');
    await page.click('button:has-text("Close round 1")');
    await page.click('button:has-text("Yes, close round 1")');
    await page.waitForSelector('#close-summary');
    await nav(page, `#/s/${SLUG}/comments/1`, '#comments-count');
    assert.match(await page.textContent('#comments-count'), /^3 comments pending\.$/);
    const texts = await page.$$eval('#comments-list .comment-text', (q) => q.map((x) => x.textContent));
    sameTexts(texts, Object.values(COMMENTS), 'the comments to moderate');
    await inert(page, gcoord, 'comments', [...Object.values(COMMENTS), MIX]);
    await fits(page, 'comments');
    for (const id of await page.$$eval('#comments-list li.comment', (li) => li.map((x) => x.dataset.id))) {
      const item = page.locator(`#comments-list li.comment[data-id="${id}"]`);
      await item.locator('button[data-act="approve"]').click();
      await item.locator('.state-approved').waitFor();
    }
    await nav(page, `#/s/${SLUG}`, '#open-round');
    await page.click('#open-round');
    await page.locator('#round-msg', { hasText: 'Round 2 is open' }).waitFor();
  });

  step('round 2: the expert sees the approved comments as text', async () => {
    await asExpertPage({}, async ({ page, g }) => {
      await page.goto(`${d.base}/e/${tokens.E1}`);
      await page.waitForSelector('h1');
      await page.goto(`${d.base}/survey/#/topic/ICT-01`);
      await page.waitForSelector('#fb-comments li', { timeout: 15000 });
      const shown = await page.$$eval('#fb-comments li', (li) => li.map((x) => x.textContent));
      sameTexts(shown, Object.values(COMMENTS), 'the approved comments');
      await inert(page, g, 'feedback', Object.values(COMMENTS));
      await shot(page, 'hostile-feedback');
    });
  });

  step('the planner: the topic table, the topic pages and the HTML report (en, ja) as a file', async () => {
    const ctx = await openPage(browser, { acceptDownloads: true });
    const g = guard(ctx.page);
    try {
      const { page } = ctx;
      await login(page, d.base, 'plan', PW.plan);
      await page.goto(`${d.base}/console/#/s/${SLUG}/results/1`);
      await page.waitForSelector('#topics-table');
      const first = await page.$$eval('#topics-table tbody tr', (trs) => trs.slice(0, 2).map((tr) => tr.cells[0].textContent));
      assert.deepEqual(first, [`ICT-01 ${MIX}`, `ICT-02 ${SCRIPT}`]);
      await inert(page, g, 'topic table', [MIX, SCRIPT]);
      await fits(page, 'results');
      for (const [code, title] of [['ICT-01', MIX], ['ICT-02', SCRIPT]]) {
        await page.evaluate((hh) => { location.hash = hh; }, `#/s/${SLUG}/results/1/${code}`);
        await page.waitForFunction((c) => (document.querySelector('h1') || {}).textContent?.startsWith(c), code);
        assert.ok((await page.textContent('h1')).includes(title), `${code}: the title is text in the heading`);
        await inert(page, g, `topic page ${code}`, [title]);
      }
      await fits(page, 'topic');
      await nav(page, `#/s/${SLUG}/results/1`, '#downloads');
      for (const [lang, want] of [['en', [MIX, LONG, `${IMG} ${SQLQ}`, SCRIPT]], ['ja', [`${MIX} 日本語`, LONG_JA, `${SQLQ} ${RTL}`, IMG]]]) {
        await page.selectOption('#dl-lang', lang);
        const html = await download(page, () => page.click('#downloads a[data-file="report.html"]'));
        assert.match(html.text, /^<!DOCTYPE html>/i);
        // Opened as a downloaded file: no Content-Security-Policy, so any markup that slipped
        // through would run.
        const rp = await ctx.context.newPage();
        const rg = guard(rp);
        try {
          await rp.setContent(html.text, { waitUntil: 'load' });
          await inert(rp, rg, `report (${lang})`, want);
          assert.equal(await overflowX(rp), 0, `report (${lang}): the page scrolls sideways`);
          await shot(rp, `hostile-report-${lang}`, false); // the whole report is too tall for one image
        } finally {
          dialogs.push(...rg.dialogs);
          await rp.close();
        }
      }
      dialogs.push(...g.dialogs);
      assert.deepEqual(foreignRequests(ctx.requests, d.base), [], 'every request goes to the delphi server');
    } finally {
      await ctx.context.close();
    }
  });

  step('the coordinator\'s pages raised no script error and went nowhere else', async () => {
    dialogs.push(...gcoord.dialogs);
    assert.deepEqual(foreignRequests(coord.requests, d.base), []);
    assert.deepEqual(coord.errors, []);
  });

  test('no page opened a dialog', opt, (t) => {
    if (missing) return t.skip(missing);
    assert.deepEqual(dialogs, []);
  });
});
