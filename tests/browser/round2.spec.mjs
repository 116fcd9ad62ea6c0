// Round 2 in the browser against the real delphi: round-1 answers imported with the CLI, round 1
// closed (the aggregator computes its statistics), round 2 opened. The expert sees next to each
// question the round-1 distribution with Q1, median and Q3 and their own answer highlighted and
// filled in, is asked for a reason when outside Q1–Q3, and sees a closed round read-only.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Delphi, apiMissing, axe, foreignRequests, launch, openPage, preflight, shot, waitSaved } from './harness.mjs';

// A delphi without `serve` yet (or no Chromium): every test is reported as skipped, with the reason.
const skip = preflight();
const opt = { skip: skip || false };

// Six ICT experts; "me" is the one in the browser.
const IDS = ['me', 'b', 'c', 'd', 'e', 'f'];
// Round-1 answers to ICT-01, worked out by hand (quantile type 7: h = (n - 1) p + 1):
//   importance   me 1, then 4 4 4 3 3  -> sorted 1 3 3 4 4 4, n = 6
//                Q1: h = 2.25 -> 3 + 0.25 (3 - 3) = 3; median: h = 3.5 -> 3 + 0.5 (4 - 3) = 3.5;
//                Q3: h = 4.75 -> 4 + 0.75 (4 - 4) = 4.   Mine (1) is below Q1: outside.
//   tech_year    me 2045, then 2030 2032 2035 2035 2040 -> sorted 2030 2032 2035 2035 2040 2045
//                Q1: h = 2.25 -> 2032 + 0.25 (2035 - 2032) = 2032.75; median: h = 3.5 -> 2035;
//                Q3: h = 4.75 -> 2035 + 0.75 (2040 - 2035) = 2038.75.   Mine (2045) is above Q3.
const IMPORTANCE = [1, 4, 4, 4, 3, 3];
const TECH = [2045, 2030, 2032, 2035, 2035, 2040];

describe('round 2 feedback in the browser', () => {
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
    d.setup(IDS.map((id) => ({ id, name: `Expert ${id}`, sector: 'industry', fields: ['ICT'] })));
    const rows = [];
    IDS.forEach((id, i) => {
      rows.push([id, 'ICT-01', 'expertise', i % 2 ? 2 : 3]);
      rows.push([id, 'ICT-01', 'importance', IMPORTANCE[i]]);
      rows.push([id, 'ICT-01', 'competitiveness', 3]);
      rows.push([id, 'ICT-01', 'tech_year', TECH[i]]);
      rows.push([id, 'ICT-01', 'social_year', TECH[i] + 3]);
    });
    d.importAnswers(1, rows);
    d.cli('round', 'close', '--survey', 'foresight-2050');
    d.cli('round', 'open', '--survey', 'foresight-2050');
    await d.start();
    missing = await apiMissing(d, ['/api/v1/me', '/api/v1/feedback/ICT-01']);
    browser = await launch();
  });

  after(async () => {
    if (browser) await browser.close();
    if (d) await d.close();
  });

  test('the round-1 distribution, quartiles, own answer and the reason prompt', opt, async (t) => {
    if (gate(t)) return;
    const { context, page, requests, errors } = await openPage(browser);
    try {
      await page.goto(d.link('me'));
      await page.waitForSelector('h1');
      assert.match(await page.textContent('main'), /Round 2 of 2/);
      await page.goto(`${d.base}/survey/#/topic/ICT-01`);
      await page.waitForSelector('#fb-importance svg', { timeout: 10000 });

      // Quartiles and median as computed by hand above, in the text and in the chart's legend.
      assert.equal(await page.textContent('#fb-importance .fb-summary'), '6 answers · Q1 3 · median 3.5 · Q3 4');
      assert.equal(await page.textContent('#fb-tech_year .fb-summary'), '6 answers · Q1 2032.75 · median 2035 · Q3 2038.75');
      const legend = await page.$$eval('#fb-importance svg .dc-legend', (ts) => ts.map((t) => t.textContent));
      assert.deepEqual(legend, ['median 3.5', 'Q1–Q3 3–4', 'you: Very low']);
      // The median line lies half-way between the bars of 4 and 3; the own answer is outlined.
      const geo = await page.evaluate(() => {
        const svg = document.querySelector('#fb-importance svg');
        const bars = [...svg.querySelectorAll('.dc-bar:not(.dc-special) .dc-bar-fill')].map((r) => Number(r.getAttribute('x')) + Number(r.getAttribute('width')) / 2);
        const m = svg.querySelector('.dc-median');
        const own = svg.querySelector('.dc-own');
        return { bars, median: Number(m.getAttribute('x1')), own: Number(own.getAttribute('x')) + Number(own.getAttribute('width')) / 2 };
      });
      assert.ok(Math.abs(geo.median - (geo.bars[0] + geo.bars[1]) / 2) < 0.02, 'median 3.5 between "Very high" and "High"');
      assert.ok(Math.abs(geo.own - geo.bars[3]) < 0.02, 'own answer (1) on the "Very low" bar');

      // Pre-filled with the round-1 answers, and saved as this round's answers.
      assert.equal(await page.isChecked('#importance-1'), true);
      assert.equal(await page.inputValue('#in-tech_year'), '2045');
      await waitSaved(page);

      // Outside Q1–Q3: a reason is asked for; inside: the prompt goes away.
      assert.equal(await page.isVisible('#reason-importance'), true);
      assert.match(await page.textContent('#reason-importance'), /outside the middle half.*Q1–Q3: 3–4/);
      assert.equal(await page.isVisible('#reason-tech_year'), true);
      assert.equal(await page.isVisible('#reason-competitiveness'), false);
      await page.click('label[for="importance-4"]');
      assert.equal(await page.isVisible('#reason-importance'), false);
      await page.fill('#in-comment', 'Production lines will take longer than the panel thinks.');
      await waitSaved(page);
      assert.deepEqual(await axe(page), [], 'no accessibility violations with the charts and prompts');
      await shot(page, 'round2-topic-desktop');

      const me = await d.me('me');
      assert.equal(me.round.number, 2);
      assert.equal(me.answers['ICT-01'].importance, 4);
      assert.equal(me.answers['ICT-01'].tech_year, 2045);
      assert.equal(me.answers['ICT-01'].comment, 'Production lines will take longer than the panel thinks.');
      assert.equal(me.previous_answers['ICT-01'].importance, 1);

      await page.setViewportSize({ width: 320, height: 640 });
      assert.equal(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth), 0);
      await shot(page, 'round2-topic-m320');

      assert.deepEqual(foreignRequests(requests, d.base), []);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  test('a closed round shows the answers read-only', opt, async (t) => {
    if (gate(t)) return;
    d.cli('round', 'close', '--survey', 'foresight-2050');
    const { context, page, requests, errors } = await openPage(browser);
    try {
      await page.goto(d.link('me'));
      await page.goto(`${d.base}/survey/#/topic/ICT-01`);
      await page.waitForSelector('#q-importance');
      assert.match(await page.textContent('main'), /Round 2 is closed\. Your answers are shown read-only\./);
      assert.equal(await page.isChecked('#importance-4'), true);
      assert.equal(await page.isDisabled('#importance-3'), true);
      assert.equal(await page.isDisabled('#in-tech_year'), true);
      assert.equal(await page.isDisabled('#in-comment'), true);
      assert.equal(await page.textContent('#save-status'), 'Read only');
      assert.deepEqual(await axe(page), [], 'no accessibility violations in a closed round');
      assert.deepEqual(foreignRequests(requests, d.base), []);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });
});
