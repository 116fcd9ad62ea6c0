// The expert's survey in round 1, in headless Chromium against the real delphi: arrival, choosing
// topics, answering by keyboard alone, autosave, answering while the server is down, the
// social-before-technical check (client and server), languages, the 320 px layout, bad links.
// Every page may talk to the delphi server only; CSP violations and script errors fail the test.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  Delphi, apiMissing, axe, focused, foreignRequests, launch, openPage, overflowX, preflight, shot, sleep, tabUntil, waitSaved,
} from './harness.mjs';

// A delphi without `serve` yet (or no Chromium): every test is reported as skipped, with the reason.
const skip = preflight();
const opt = { skip: skip || false };
const EXPERTS = ['kb', 'reload', 'offline', 'social', 'lang', 'narrow', 'pick', 'a11y'].map((id) => ({
  id, name: `Expert ${id}`, sector: 'academia', fields: ['ICT', 'QUANTUM'],
}));

describe('round 1 in the browser', () => {
  let d;
  let browser;
  let missing = '';
  // Skips a test (with the reason) while the server lacks the routes it needs.
  const gate = (t) => {
    if (missing) t.skip(missing);
    return !!missing;
  };

  before(async () => {
    if (skip) return;
    d = new Delphi();
    d.setup(EXPERTS);
    await d.start();
    missing = await apiMissing(d, ['/api/v1/me']);
    browser = await launch();
  });

  after(async () => {
    if (browser) await browser.close();
    if (d) await d.close();
  });

  // Opens a context, runs fn({page, ...}), then checks that nothing went elsewhere and that no
  // script error or CSP violation happened.
  async function withPage(opts, fn) {
    const ctx = await openPage(browser, opts);
    try {
      await fn(ctx);
      assert.deepEqual(foreignRequests(ctx.requests, d.base), [], 'every request goes to the delphi server');
      assert.deepEqual(ctx.errors, [], 'no script errors or CSP violations');
    } finally {
      await ctx.context.close();
    }
  }

  test('the welcome page says what, who, how anonymous and how long', opt, async (t) => {
    if (gate(t)) return;
    await withPage({}, async ({ page, transfer }) => {
      const res = await page.goto(d.link('kb'));
      assert.equal(res.status(), 200);
      assert.match(page.url(), /\/survey\/(#.*)?$/, 'the token is not in the URL the browser lands on');
      await page.waitForSelector('h1');
      assert.equal(await page.textContent('h1'), 'Science and Technology Foresight 2050 (sample)');
      const text = await page.textContent('main');
      assert.match(text, /asks experts about 90 science and technology achievements/, 'description');
      assert.match(text, /delphi sample foresight panel/, 'who runs it (from the description)');
      assert.match(text, /never see who answered what/, 'anonymity');
      assert.match(text, /About 40 minutes for the 20 topics of your fields/, 'duration: 2 fields x 10 topics x 2 min');
      assert.equal(await page.getAttribute('html', 'lang'), 'en');
      await page.waitForLoadState('networkidle');
      const bytes = transfer();
      assert.ok(bytes < 150000, `the first page moved ${bytes} bytes (at most 150 000)`);
      console.log(`# the first page moved ${bytes} bytes`);
      await shot(page, 'welcome-desktop');
    });
  });

  test('a topic can be completed with the keyboard alone', opt, async (t) => {
    if (gate(t)) return;
    await withPage({}, async ({ page }) => {
      await page.goto(d.link('kb'));
      await page.waitForSelector('h1');
      // Welcome -> topics -> first topic, by keyboard.
      await tabUntil(page, 'main a.button[href="#/topics"]');
      await page.keyboard.press('Enter');
      await page.waitForSelector('#topic-search');
      await tabUntil(page, 'main a.button[href^="#/topic/"]');
      assert.ok((await focused(page)).visible, 'the focused link shows a focus indicator');
      await page.keyboard.press('Enter');
      await page.waitForSelector('#q-expertise');
      assert.equal(await page.textContent('h1'), 'ICT-01 Logic chips beyond the 1 nm node');

      // Expertise first: Tab lands on its first option; Space chooses it.
      await tabUntil(page, 'input[name="q-expertise"]', 3);
      assert.deepEqual(await focused(page), { id: 'expertise-3', visible: true });
      await page.keyboard.press('Space');
      // Importance: Tab to the group, the arrow key moves and chooses (4 -> 3).
      await tabUntil(page, 'input[name="q-importance"]', 1);
      await page.keyboard.press('ArrowRight');
      assert.equal((await focused(page)).id, 'importance-3');
      await tabUntil(page, 'input[name="q-competitiveness"]', 1);
      await page.keyboard.press('Space');
      // Years: type-ahead in the focused select.
      await tabUntil(page, '#in-tech_year', 1);
      await page.keyboard.type('2030');
      await tabUntil(page, '#in-social_year', 1);
      await page.keyboard.type('2040');
      // Measures: Space toggles a checkbox, Tab moves on.
      await tabUntil(page, '#measures-human_resources', 1);
      await page.keyboard.press('Space');
      await tabUntil(page, '#measures-funding', 1);
      await page.keyboard.press('Space');
      await tabUntil(page, '#in-comment', 8);
      await page.keyboard.type('Keyboard only.');
      await waitSaved(page);
      assert.equal(await page.textContent('#topic-state'), 'Answered');
      await shot(page, 'topic-keyboard-desktop');

      const me = await d.me('kb');
      assert.deepEqual(me.answers['ICT-01'], {
        expertise: 3, importance: 3, competitiveness: 4, tech_year: 2030, social_year: 2040,
        measures: ['human_resources', 'funding'], comment: 'Keyboard only.',
      });

      // On to the next topic and the progress page, still by keyboard.
      await tabUntil(page, 'a[rel="next"]');
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => document.querySelector('h1').textContent.startsWith('ICT-02'));
      // Focus is on the new topic's heading; the navigation is above it.
      await tabUntil(page, '#nav a[href="#/progress"]', 10, true);
      await page.keyboard.press('Enter');
      await page.waitForSelector('#progress-all');
      assert.equal(await page.textContent('#progress-all'), '1 of 20 chosen topics answered');
      assert.match(await page.textContent('#next-unanswered'), /^Next unanswered topic: ICT-02 /);
      assert.match(await page.textContent('main'), /AI and semiconductors\s*1 of 10 answered/);
      await page.click('main a.button[href="#/done"]');
      await page.waitForSelector('h1:text("Thank you")');
      assert.match(await page.textContent('main'), /Round 2 then shows them/);
    });
  });

  test('topics: own fields first and chosen, search by words, the choice is kept', opt, async (t) => {
    if (gate(t)) return;
    await withPage({}, async ({ page }) => {
      await page.goto(d.link('pick'));
      await page.goto(`${d.base}/survey/#/topics`);
      await page.waitForSelector('#topic-search');
      assert.equal(await page.textContent('#chosen-count'), '20 of 90 topics chosen');
      const headings = await page.$$eval('section.field h2', (hs) => hs.map((x) => x.firstChild.textContent));
      assert.deepEqual(headings.slice(0, 3), ['AI and semiconductors', 'Quantum technology', 'Energy, hydrogen and storage']);
      assert.equal(await page.isChecked('#pick-ICT-01'), true);
      assert.equal(await page.isChecked('#pick-QUANTUM-10'), true);
      assert.equal(await page.isChecked('#pick-ENERGY-01'), false);

      await page.fill('#topic-search', 'solid-state batteries');
      const visible = await page.$$eval('.topic-list li:not([hidden]) input', (xs) => xs.map((x) => x.id));
      assert.deepEqual(visible, ['pick-ENERGY-01']);
      await page.check('#pick-ENERGY-01');
      assert.equal(await page.textContent('#chosen-count'), '21 of 90 topics chosen');
      await page.fill('#topic-search', 'no such words anywhere');
      assert.equal(await page.isVisible('text=No topic matches your search.'), true);

      await page.reload();
      await page.waitForSelector('#topic-search');
      assert.equal(await page.isChecked('#pick-ENERGY-01'), true, 'kept after a reload');
      assert.equal(await page.textContent('#chosen-count'), '21 of 90 topics chosen');
    });
  });

  test('answers are saved automatically and survive a reload', opt, async (t) => {
    if (gate(t)) return;
    await withPage({}, async ({ page }) => {
      await page.goto(d.link('reload'));
      await page.goto(`${d.base}/survey/#/topic/ICT-02`);
      await page.waitForSelector('#q-importance');
      await page.click('label[for="expertise-2"]');
      await page.click('label[for="importance-4"]');
      await page.selectOption('#in-tech_year', '2035');
      await page.selectOption('#in-social_year', 'never');
      await page.fill('#in-comment', 'Saved before the reload — 保存');
      await waitSaved(page);
      assert.equal(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('delphi:outbox'))
        .map((k) => localStorage.getItem(k)).join('')), '{}', 'nothing left in the outbox');

      await page.reload();
      await page.waitForSelector('#q-importance');
      assert.equal(await page.isChecked('#expertise-2'), true);
      assert.equal(await page.isChecked('#importance-4'), true);
      assert.equal(await page.inputValue('#in-tech_year'), '2035');
      assert.equal(await page.inputValue('#in-social_year'), 'never');
      assert.equal(await page.inputValue('#in-comment'), 'Saved before the reload — 保存');
      const me = await d.me('reload');
      assert.deepEqual(me.answers['ICT-02'], {
        expertise: 2, importance: 4, tech_year: 2035, social_year: 'never', comment: 'Saved before the reload — 保存',
      });
    });
  });

  test('answers made while the server is down arrive when it is back', opt, async (t) => {
    if (gate(t)) return;
    await withPage({}, async ({ page, context }) => {
      await page.goto(d.link('offline'));
      await page.goto(`${d.base}/survey/#/topic/ICT-03`);
      await page.waitForSelector('#q-importance');
      await page.click('label[for="expertise-3"]');
      await waitSaved(page);

      // 1. The page stays open: the periodic retry delivers.
      await d.stop();
      await page.click('label[for="importance-2"]');
      await page.selectOption('#in-tech_year', '2033');
      await page.waitForSelector('#save-status.status-offline', { timeout: 10000 });
      const box = await page.evaluate(() => Object.entries(localStorage).filter(([k]) => k.startsWith('delphi:outbox'))
        .map(([, v]) => JSON.parse(v))[0]);
      assert.deepEqual(box, { 'ICT-03': { importance: 2, tech_year: 2033 } }, 'kept in localStorage');
      await d.start();
      // The session lives in the database, so it outlives the restart: no new login is needed.
      await waitSaved(page, 20000);
      let me = await d.me('offline');
      assert.deepEqual(me.answers['ICT-03'], { expertise: 3, importance: 2, tech_year: 2033 });

      // 2. The laptop is closed while offline: the answer waits in localStorage for the next visit.
      await page.goto(`${d.base}/survey/#/topic/ICT-03`);
      await page.waitForSelector('#q-importance');
      await waitSaved(page);
      await d.stop();
      await page.selectOption('#in-social_year', '2041');
      await page.waitForSelector('#save-status.status-offline', { timeout: 10000 });
      await page.close();
      await d.start();
      const again = await context.newPage();
      await again.goto(d.link('offline'));
      await again.waitForSelector('h1');
      await waitSaved(again);
      me = await d.me('offline');
      assert.equal(me.answers['ICT-03'].social_year, 2041);
    });
  });

  test('the social year cannot be earlier than the technical year (client and server)', opt, async (t) => {
    if (gate(t)) return;
    await withPage({}, async ({ page }) => {
      await page.goto(d.link('social'));
      await page.goto(`${d.base}/survey/#/topic/ICT-04`);
      await page.waitForSelector('#in-tech_year');
      await page.selectOption('#in-tech_year', '2040');
      await waitSaved(page);
      await page.selectOption('#in-social_year', '2030');
      await page.waitForSelector('#err-social_year:not([hidden])');
      assert.equal(await page.textContent('#err-social_year'),
        'The year of social implementation cannot be earlier than the year of technical realization (2040).');
      assert.equal(await page.getAttribute('#in-social_year', 'aria-invalid'), 'true');
      await sleep(1500);
      let me = await d.me('social');
      assert.deepEqual(me.answers['ICT-04'], { tech_year: 2040 }, 'the invalid year is not sent');

      await page.selectOption('#in-social_year', '2045');
      await page.waitForSelector('#err-social_year', { state: 'hidden' });
      await waitSaved(page);
      me = await d.me('social');
      assert.deepEqual(me.answers['ICT-04'], { tech_year: 2040, social_year: 2045 });

      // The server enforces it too, against the stored answers.
      const r = await d.put('social', 'ICT-04', { social_year: 2030 });
      assert.equal(r.status, 422);
      assert.equal(r.json.error.field, 'social_year');
    });
  });

  test('a 422 from the server shows its message next to the named field', opt, async (t) => {
    if (gate(t)) return;
    await withPage({}, async ({ page }) => {
      await page.goto(d.link('social'));
      await page.goto(`${d.base}/survey/#/topic/ICT-05`);
      await page.waitForSelector('#in-tech_year');
      await page.selectOption('#in-tech_year', '2030');
      await waitSaved(page);
      // Behind the page's back the technical year moves to 2045 (another device, say).
      const r = await d.put('social', 'ICT-05', { tech_year: 2045 });
      assert.equal(r.status, 200);
      // The page still believes 2030, so 2035 passes its own check; the server refuses it.
      await page.selectOption('#in-social_year', '2035');
      await page.waitForSelector('#err-social_year:not([hidden])');
      assert.match(await page.textContent('#err-social_year'), /^Not saved: ./);
      assert.equal(await page.isVisible('#save-status.status-error'), true);
    });
  });

  test('English, Japanese and Chinese; <html lang> follows; the browser language is the default', opt, async (t) => {
    if (gate(t)) return;
    await withPage({ locale: 'ja-JP' }, async ({ page }) => {
      await page.goto(d.link('lang'));
      await page.waitForSelector('h1');
      assert.equal(await page.getAttribute('html', 'lang'), 'ja');
      assert.equal(await page.textContent('h1'), '科学技術予測調査2050（サンプル）');
      assert.equal(await page.textContent('#nav a[href="#/"]'), 'はじめに');
      assert.match(await page.textContent('main'), /匿名/);
      await shot(page, 'welcome-ja-desktop');

      await page.selectOption('#lang', 'zh');
      await page.waitForSelector('html[lang="zh"]');
      assert.equal(await page.textContent('h1'), '科学技术预见调查2050（示例）');
      assert.equal(await page.textContent('#nav a[href="#/"]'), '欢迎');
      await page.goto(`${d.base}/survey/#/topic/QUANTUM-01`);
      await page.waitForSelector('#q-expertise');
      assert.equal(await page.textContent('#q-importance legend'), '该课题对科学技术、经济和社会的重要程度如何？');
      assert.equal(await page.textContent('label[for="importance-dont_know"]'), '不知道');
      await shot(page, 'topic-zh-desktop');

      await page.reload();
      await page.waitForSelector('#q-expertise');
      assert.equal(await page.getAttribute('html', 'lang'), 'zh', 'the choice is kept');
      await page.selectOption('#lang', 'en');
      await page.waitForSelector('html[lang="en"]');
      assert.equal(await page.textContent('#q-importance legend'),
        'How important is this topic for science and technology, the economy and society?');
    });
  });

  test('every page fits 320 px without horizontal scrolling', opt, async (t) => {
    if (gate(t)) return;
    await withPage({ viewport: { width: 320, height: 640 } }, async ({ page }) => {
      await page.goto(d.link('narrow'));
      await page.waitForSelector('h1');
      for (const route of ['', 'topics', 'topic/ICT-01', 'progress', 'done']) {
        await page.goto(`${d.base}/survey/#/${route}`);
        await page.waitForSelector('h1');
        assert.equal(await overflowX(page), 0, `#/${route} scrolls sideways`);
        await shot(page, `m320-${route.replace('/', '-') || 'welcome'}`);
      }
      await page.selectOption('#lang', 'ja');
      await page.waitForSelector('html[lang="ja"]');
      await page.goto(`${d.base}/survey/#/topic/ICT-01`);
      await page.waitForSelector('#q-expertise');
      assert.equal(await overflowX(page), 0, 'Japanese topic page scrolls sideways');
    });
  });

  test('no accessibility violations (axe-core, WCAG 2.1 A and AA) on any page, at 1280 and 320 px', opt, async (t) => {
    if (gate(t)) return;
    for (const viewport of [{ width: 1280, height: 900 }, { width: 320, height: 640 }]) {
      await withPage({ viewport }, async ({ page }) => {
        await page.goto(d.link('a11y'));
        for (const route of ['', 'topics', 'topic/ICT-06', 'progress', 'done']) {
          await page.goto(`${d.base}/survey/#/${route}`);
          await page.waitForSelector('h1');
          assert.deepEqual(await axe(page), [], `#/${route} at ${viewport.width} px`);
        }
        // With a message shown next to a field.
        await page.goto(`${d.base}/survey/#/topic/ICT-06`);
        await page.waitForSelector('#in-tech_year');
        await page.selectOption('#in-tech_year', '2040');
        await page.selectOption('#in-social_year', '2030');
        await page.waitForSelector('#err-social_year:not([hidden])');
        assert.deepEqual(await axe(page), [], `topic with an error at ${viewport.width} px`);
        await page.selectOption('#in-social_year', '2041');
        await waitSaved(page);
      });
    }
  });

  test('an unknown link gets a clear page, and so does the app without a session', opt, async (t) => {
    if (gate(t)) return;
    await withPage({}, async ({ page }) => {
      const res = await page.goto(`${d.base}/e/${'0'.repeat(32)}`);
      assert.equal(res.status(), 404);
      assert.match(await page.textContent('body'), /link/i);
      await shot(page, 'unknown-link');

      await page.goto(`${d.base}/survey/`);
      await page.waitForSelector('h1');
      assert.equal(await page.textContent('h1'), 'This link does not work');
      assert.match(await page.textContent('main'), /Open the link from your invitation again/);
      await shot(page, 'no-session');
    });
  });
});
