// Round 2 in the browser against the real delphi: round-1 answers imported with the CLI, round 1
// closed (the aggregator computes its statistics), round 2 opened. The expert sees next to each
// question the round-1 distribution with Q1, median and Q3 and their own answer highlighted and
// filled in, gets a reason box under each answer outside Q1–Q3 (saved with the answers as
// "reasons", kept across a reload, removed when the answer moves back inside), and sees a closed
// round read-only. Variants of the sample survey: reason_outside_iqr "required" (the topic counts
// as answered only once each reason is given) and "off" (no reason box).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Delphi, apiMissing, axe, foreignRequests, launch, openPage, preflight, shot, tabUntil, waitSaved } from './harness.mjs';

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
//   social_year  tech_year + 3: me 2048, then 2033 2035 2038 2038 2043
//                -> sorted 2033 2035 2038 2038 2043 2048: Q1: h = 2.25 -> 2035 + 0.25 (2038 - 2035)
//                = 2035.75; Q3: h = 4.75 -> 2038 + 0.75 (2043 - 2038) = 2041.75.   Mine (2048) is above Q3.
//   competitiveness  all 3 -> Q1 = Q3 = 3.   Mine (3) is inside: no reason asked.
const IMPORTANCE = [1, 4, 4, 4, 3, 3];
const TECH = [2045, 2030, 2032, 2035, 2035, 2040];

// The server with round 1 answered and closed and round 2 open, for the sample survey or a
// variant of it with rounds.reason_outside_iqr = mode (null: the sample as it is, "optional").
async function roundTwo(mode) {
  const d = new Delphi();
  const survey = mode ? d.sampleVariant((def) => { def.rounds.reason_outside_iqr = mode; }) : undefined;
  d.setup(IDS.map((id) => ({ id, name: `Expert ${id}`, sector: 'industry', fields: ['ICT'] })), { survey });
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
  return d;
}

// Records the bodies of the page's PUT /api/v1/answers requests (parsed).
function recordPuts(page) {
  const puts = [];
  page.on('request', (req) => {
    if (req.method() === 'PUT' && req.url().includes('/api/v1/answers/')) puts.push(JSON.parse(req.postData() || '{}'));
  });
  return puts;
}

// Opens the expert's link, then the topic page, and waits for the feedback charts and the save
// of the pre-filled answers.
async function openTopic(page, d) {
  await page.goto(d.link('me'));
  await page.waitForSelector('h1');
  await page.goto(`${d.base}/survey/#/topic/ICT-01`);
  await page.waitForSelector('#fb-importance svg', { timeout: 10000 });
  await waitSaved(page);
}

const REASON_IMP = 'Funding has dried up since 2024 — 資金';
const REASON_TECH = 'Production lines will take longer than the panel thinks.';
const REASON_SOC = 'Regulation follows the technology by a decade.';

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
    d = await roundTwo(null);
    missing = await apiMissing(d, ['/api/v1/me', '/api/v1/feedback/ICT-01']);
    browser = await launch();
  });

  after(async () => {
    if (browser) await browser.close();
    if (d) await d.close();
  });

  test('the round-1 distribution, quartiles and own answer', opt, async (t) => {
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
      const me = await d.me('me');
      assert.equal(me.round.number, 2);
      assert.equal(me.answers['ICT-01'].importance, 1);
      assert.equal(me.answers['ICT-01'].tech_year, 2045);
      assert.equal(me.answers['ICT-01'].reasons, undefined, 'no reason before one is typed');
      assert.equal(me.previous_answers['ICT-01'].importance, 1);
      assert.deepEqual(foreignRequests(requests, d.base), []);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  test('a reason box under each answer outside Q1–Q3: saved with the answers, kept across a reload', opt, async (t) => {
    if (gate(t)) return;
    const { context, page, requests, errors } = await openPage(browser);
    const puts = recordPuts(page);
    try {
      await openTopic(page, d);
      // Outside (importance 1 < Q1 3; tech_year 2045 > Q3 2038.75; social_year 2048 > Q3
      // 2041.75): a labelled, optional box right under the question. Inside (competitiveness
      // 3 = Q1 = Q3): none. Expertise never.
      assert.equal(await page.isVisible('#rbox-importance'), true);
      assert.match(await page.textContent('#reason-importance'), /outside the middle half.*Q1–Q3: 3–4.*You may say briefly why below/);
      assert.equal(await page.textContent('label[for="rin-importance"]'), 'Your reason for this answer (optional)');
      assert.equal(await page.getAttribute('#rin-importance', 'aria-required'), null);
      assert.equal(await page.isVisible('#rbox-tech_year'), true);
      assert.match(await page.textContent('#reason-tech_year'), /Q1–Q3: 2032\.75–2038\.75/);
      assert.equal(await page.isVisible('#rbox-social_year'), true);
      assert.match(await page.textContent('#reason-social_year'), /Q1–Q3: 2035\.75–2041\.75/);
      assert.equal(await page.isVisible('#rbox-competitiveness'), false);
      assert.equal(await page.$('#rbox-expertise'), null);
      assert.equal(await page.$('#rbox-measures'), null);
      assert.equal(await page.$('#rbox-comment'), null);
      // The box follows its question's answers, before the next question.
      assert.equal(await page.evaluate(() => {
        const box = document.querySelector('#rbox-importance');
        return box.parentElement.id === 'q-importance' && box.previousElementSibling.tagName === 'FIELDSET';
      }), true);
      assert.equal(await page.textContent('#rcount-importance'), '0 of 2000 bytes');
      // The topic is answered: in "optional" mode a reason is not needed.
      assert.equal(await page.textContent('#topic-state'), 'Answered');

      // By keyboard: from the chosen radio button, Tab reaches the reason box at once.
      await page.focus('#importance-1');
      assert.equal(await tabUntil(page, '#rin-importance', 1), 1);
      await page.keyboard.type(REASON_IMP);
      // 'Funding has dried up since 2024 ' is 32 bytes, '—' 3, ' ' 1, '資金' 6: 42 bytes.
      assert.equal(await page.textContent('#rcount-importance'), '42 of 2000 bytes');
      await page.fill('#rin-tech_year', REASON_TECH);
      await waitSaved(page);
      let me = await d.me('me');
      assert.deepEqual(me.answers['ICT-01'].reasons, { importance: REASON_IMP, tech_year: REASON_TECH });
      assert.ok(puts.some((b) => b.reasons && b.reasons.importance === REASON_IMP), 'the reason went out in a PUT as "reasons"');

      // Back inside Q1–Q3: the box hides and the reason is removed with the answer's change.
      await page.click('label[for="importance-4"]');
      assert.equal(await page.isVisible('#rbox-importance'), false);
      await waitSaved(page);
      me = await d.me('me');
      assert.equal(me.answers['ICT-01'].importance, 4);
      assert.deepEqual(me.answers['ICT-01'].reasons, { tech_year: REASON_TECH });
      assert.deepEqual(puts.at(-1), { importance: 4, reasons: { importance: null } });

      // Outside again (2 < Q1 3): the text typed before comes back, and is saved again.
      await page.click('label[for="importance-2"]');
      assert.equal(await page.isVisible('#rbox-importance'), true);
      assert.equal(await page.inputValue('#rin-importance'), REASON_IMP);
      await waitSaved(page);
      me = await d.me('me');
      assert.equal(me.answers['ICT-01'].importance, 2);
      assert.deepEqual(me.answers['ICT-01'].reasons, { importance: REASON_IMP, tech_year: REASON_TECH });

      // Too long (2001 bytes): held back with a message at the box; the stored reason stays.
      await page.fill('#rin-tech_year', 'x'.repeat(2001));
      assert.equal(await page.textContent('#rerr-tech_year'), 'This text is too long: 2001 bytes, at most 2000 are allowed.');
      assert.equal(await page.getAttribute('#rin-tech_year', 'aria-invalid'), 'true');
      await page.fill('#rin-tech_year', REASON_TECH);
      assert.equal(await page.isVisible('#rerr-tech_year'), false);
      await page.fill('#in-comment', 'Comments are for the panel, reasons stay with the answers.');
      await waitSaved(page);

      // A reload: the boxes come back filled in from GET /api/v1/me.
      await page.reload();
      await page.waitForSelector('#fb-importance svg', { timeout: 10000 });
      assert.equal(await page.isVisible('#rbox-importance'), true);
      assert.equal(await page.inputValue('#rin-importance'), REASON_IMP);
      assert.equal(await page.inputValue('#rin-tech_year'), REASON_TECH);
      assert.equal(await page.textContent('#rcount-importance'), '42 of 2000 bytes');
      me = await d.me('me');
      assert.deepEqual(me.answers['ICT-01'].reasons, { importance: REASON_IMP, tech_year: REASON_TECH });
      assert.equal(me.answers['ICT-01'].comment, 'Comments are for the panel, reasons stay with the answers.');

      assert.deepEqual(await axe(page), [], 'no accessibility violations with the charts and reason boxes');
      await shot(page, 'round2-topic-desktop');
      await page.setViewportSize({ width: 320, height: 640 });
      assert.equal(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth), 0);
      await shot(page, 'round2-topic-m320');

      assert.deepEqual(foreignRequests(requests, d.base), []);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  test('a closed round shows the answers and reasons read-only', opt, async (t) => {
    if (gate(t)) return;
    d.cli('round', 'close', '--survey', 'foresight-2050');
    const { context, page, requests, errors } = await openPage(browser);
    try {
      await page.goto(d.link('me'));
      await page.goto(`${d.base}/survey/#/topic/ICT-01`);
      await page.waitForSelector('#q-importance');
      assert.match(await page.textContent('main'), /Round 2 is closed\. Your answers are shown read-only\./);
      assert.equal(await page.isChecked('#importance-2'), true);
      assert.equal(await page.isDisabled('#importance-3'), true);
      assert.equal(await page.isDisabled('#in-tech_year'), true);
      assert.equal(await page.isDisabled('#in-comment'), true);
      assert.equal(await page.isDisabled('#rin-importance'), true);
      assert.equal(await page.inputValue('#rin-importance'), REASON_IMP);
      assert.equal(await page.textContent('#save-status'), 'Read only');
      assert.deepEqual(await axe(page), [], 'no accessibility violations in a closed round');
      assert.deepEqual(foreignRequests(requests, d.base), []);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });
});

describe('round 2 with reasons required', () => {
  let d;
  let browser;
  let missing = '';
  const gate = (t) => {
    if (missing) t.skip(missing);
    return !!missing;
  };

  before(async () => {
    if (skip) return;
    d = await roundTwo('required');
    missing = await apiMissing(d, ['/api/v1/me', '/api/v1/feedback/ICT-01']);
    browser = await launch();
  });

  after(async () => {
    if (browser) await browser.close();
    if (d) await d.close();
  });

  test('the topic stays unanswered until each reason is given', opt, async (t) => {
    if (gate(t)) return;
    const { context, page, requests, errors } = await openPage(browser);
    try {
      await openTopic(page, d);
      // Every question answered (pre-filled), but three answers outside Q1–Q3 without a reason.
      assert.equal(await page.textContent('#topic-state'), 'Reason needed');
      assert.match(await page.textContent('#reason-importance'), /Please say briefly why below: the topic counts as answered once you have\./);
      assert.equal(await page.textContent('label[for="rin-importance"]'), 'Your reason for this answer (required)');
      assert.equal(await page.getAttribute('#rin-importance', 'aria-required'), 'true');
      assert.equal(await page.textContent('#nav-count'), ' (0/1)');

      // The progress and finish pages, drawn anew after a reload (the feedback is fetched at
      // start to judge the topic): it is listed as needing a reason.
      await page.goto(`${d.base}/survey/#/progress`);
      await page.reload();
      await page.waitForFunction(() => /Reason needed/.test(document.querySelector('.progress-list')?.textContent || ''), null, { timeout: 10000 });
      assert.match(await page.textContent('#progress-all'), /0 of 1 chosen topics answered/);
      assert.match(await page.textContent('main'), /also needs a short reason/);
      await page.click('a[href="#/done"]');
      await page.waitForSelector('#reasons-missing');
      assert.match(await page.textContent('#reasons-missing'), /Reasons still needed.*ICT-01/s);
      assert.match(await page.textContent('main'), /Some chosen topics are not answered yet \(1\)/);
      assert.deepEqual(await axe(page), [], 'no accessibility violations on the finish page');
      await shot(page, 'round2-required-done');
      await page.click('#reasons-missing a[href="#/topic/ICT-01"]');
      await page.waitForSelector('#fb-importance svg', { timeout: 10000 });

      // One reason, then two of three: still not answered.
      await page.fill('#rin-importance', REASON_IMP);
      assert.equal(await page.textContent('#topic-state'), 'Reason needed');
      await page.fill('#rin-tech_year', REASON_TECH);
      assert.equal(await page.textContent('#topic-state'), 'Reason needed');
      // Blanks are no reason.
      await page.fill('#rin-social_year', '   ');
      assert.equal(await page.textContent('#topic-state'), 'Reason needed');
      await page.fill('#rin-social_year', REASON_SOC);
      assert.equal(await page.textContent('#topic-state'), 'Answered');
      assert.equal(await page.textContent('#nav-count'), ' (1/1)');
      // A reason too long to be saved (2001 bytes) is none.
      await page.fill('#rin-social_year', 'x'.repeat(2001));
      assert.equal(await page.textContent('#topic-state'), 'Reason needed');
      await page.fill('#rin-social_year', REASON_SOC);
      assert.equal(await page.textContent('#topic-state'), 'Answered');
      await waitSaved(page);
      assert.deepEqual((await d.me('me')).answers['ICT-01'].reasons, { importance: REASON_IMP, tech_year: REASON_TECH, social_year: REASON_SOC });
      assert.deepEqual(await axe(page), [], 'no accessibility violations with required reasons');
      await shot(page, 'round2-required-topic');

      // Emptying a required reason makes the topic unanswered again (and removes it on the server).
      await page.fill('#rin-tech_year', '');
      assert.equal(await page.textContent('#topic-state'), 'Reason needed');
      await waitSaved(page);
      assert.deepEqual((await d.me('me')).answers['ICT-01'].reasons, { importance: REASON_IMP, social_year: REASON_SOC });
      // Moving the answer inside Q1–Q3 needs no reason: answered.
      await page.selectOption('#in-tech_year', '2035');
      assert.equal(await page.isVisible('#rbox-tech_year'), false);
      assert.equal(await page.textContent('#topic-state'), 'Answered');
      await page.goto(`${d.base}/survey/#/done`);
      await page.waitForSelector('h1');
      assert.equal(await page.$('#reasons-missing'), null);
      await waitSaved(page);

      assert.deepEqual(foreignRequests(requests, d.base), []);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });
});

describe('round 2 with reasons off', () => {
  let d;
  let browser;
  let missing = '';
  const gate = (t) => {
    if (missing) t.skip(missing);
    return !!missing;
  };

  before(async () => {
    if (skip) return;
    d = await roundTwo('off');
    missing = await apiMissing(d, ['/api/v1/me', '/api/v1/feedback/ICT-01']);
    browser = await launch();
  });

  after(async () => {
    if (browser) await browser.close();
    if (d) await d.close();
  });

  test('no reason prompt, and no "reasons" sent', opt, async (t) => {
    if (gate(t)) return;
    const { context, page, requests, errors } = await openPage(browser);
    const puts = recordPuts(page);
    try {
      await openTopic(page, d);
      assert.equal(await page.$('.reason-box'), null);
      assert.equal(await page.textContent('#topic-state'), 'Answered');
      await page.click('label[for="importance-2"]');
      await waitSaved(page);
      assert.ok(puts.length > 0);
      assert.ok(puts.every((b) => !('reasons' in b)), 'no PUT carries "reasons"');
      assert.equal((await d.me('me')).answers['ICT-01'].importance, 2);
      assert.deepEqual(foreignRequests(requests, d.base), []);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });
});
