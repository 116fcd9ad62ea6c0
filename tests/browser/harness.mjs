// harness — the real delphi for the browser specs: a temporary directory with a database made by
// the CLI (init, survey load, experts import, round open, answers import), `delphi serve` on a
// free local port with a self-signed certificate, and headless Debian Chromium driven by
// playwright-core, recording every request the page makes.
//
//   DELPHI      the binary (default build/release/delphi from the repository root)
//   WEB_DIR     serve the pages from this directory instead of the copies embedded in the binary
//   KEEP_TMP=1  keep the temporary directories (their paths are printed)

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const DELPHI = path.resolve(ROOT, process.env.DELPHI || 'build/release/delphi');
export const SAMPLE = path.join(ROOT, 'survey-defs/foresight-2050.json');
export const SLUG = 'foresight-2050';
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

// Why the specs cannot run here, or '' when they can. Checked once: a delphi without a working
// `serve` (the server is still being built) makes every spec skip with this reason.
let preflightReason = null;
export function preflight() {
  if (preflightReason !== null) return preflightReason;
  preflightReason = '';
  if (!fs.existsSync(DELPHI)) preflightReason = `no delphi binary at ${DELPHI} (build it, or set DELPHI)`;
  else if (!fs.existsSync(CHROMIUM)) preflightReason = `no Chromium at ${CHROMIUM} (run tools/install-browser-deps.sh)`;
  else {
    // The placeholder command says "not available yet"; a real server fails at once on a
    // database in a directory that does not exist (and is killed after 5 s if it does not).
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'delphi-preflight-'));
    const r = spawnSync(DELPHI, ['--db', path.join(dir, 'none', 'x.db'), 'serve', '--listen', '127.0.0.1:0'],
      { encoding: 'utf8', timeout: 5000, killSignal: 'SIGKILL' });
    fs.rmSync(dir, { recursive: true, force: true });
    if (/not available yet/i.test(`${r.stdout}${r.stderr}`)) preflightReason = `'delphi serve' is not available in ${DELPHI}`;
  }
  return preflightReason;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A request to the server from Node (not the browser). Returns {status, headers, body, json}.
export function request(base, method, p, { token, body, headers } = {}) {
  return new Promise((resolve, reject) => {
    const u = new URL(p, base);
    const h = { ...(headers || {}) };
    if (token) h.Authorization = `Bearer ${token}`;
    let data;
    if (body !== undefined) {
      data = Buffer.from(JSON.stringify(body));
      h['Content-Type'] = 'application/json';
      h['Content-Length'] = data.length;
    }
    const req = https.request(u, { method, headers: h, rejectUnauthorized: false, timeout: 10000 }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json = null;
        try { json = JSON.parse(text); } catch (e) { json = null; }
        resolve({ status: res.statusCode, headers: res.headers, body: text, json });
      });
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    if (data) req.write(data);
    req.end();
  });
}

// One delphi: a database in a temporary directory, and the server when started.
export class Delphi {
  constructor() {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'delphi-browser-'));
    this.db = path.join(this.dir, 'delphi.db');
    this.tokens = {};
    this.proc = null;
    this.port = 0;
    this.log = path.join(this.dir, 'serve.log');
  }

  get base() {
    return `https://127.0.0.1:${this.port}`;
  }

  // Runs `delphi --db DB args...`; throws with its output unless it exits 0. Returns stdout.
  cli(...args) {
    const r = spawnSync(DELPHI, ['--db', this.db, ...args], { encoding: 'utf8', cwd: this.dir });
    if (r.status !== 0) {
      throw new Error(`delphi ${args.join(' ')}: exit ${r.status}\n${r.stdout}${r.stderr}`);
    }
    return r.stdout;
  }

  write(name, text) {
    const p = path.join(this.dir, name);
    fs.writeFileSync(p, text);
    return p;
  }

  // A copy of the sample survey in the temporary directory, changed by edit(definition) (which
  // changes the parsed object in place); returns the copy's path, for setup's survey.
  sampleVariant(edit, name = 'survey-variant.json') {
    const def = JSON.parse(fs.readFileSync(SAMPLE, 'utf8'));
    edit(def);
    return this.write(name, `${JSON.stringify(def, null, 1)}\n`);
  }

  // init, load the sample survey (or the definition at survey), import experts [{id, name,
  // sector, fields: [..]}] and keep their tokens; opens round 1 unless open is false.
  setup(experts, { open = true, survey = SAMPLE } = {}) {
    this.cli('init');
    this.cli('survey', 'load', survey);
    const csv = ['id,name,email,sector,fields',
      ...experts.map((e) => `${e.id},${e.name},${e.id}@example.org,${e.sector || 'academia'},${e.fields.join(';')}`)].join('\n');
    const out = this.cli('experts', 'import', '--survey', SLUG, '--public-url', 'https://127.0.0.1:1', this.write('experts.csv', `${csv}\n`));
    for (const line of out.trim().split('\n').slice(1)) {
      const [id, token] = line.split(',');
      this.tokens[id] = token;
    }
    if (open) this.cli('round', 'open', '--survey', SLUG);
  }

  // Imports answers [[expert, topic, question, value], ...] into round n.
  importAnswers(n, rows) {
    const csv = ['expert,topic,question,value', ...rows.map((r) => r.join(','))].join('\n');
    this.cli('answers', 'import', '--survey', SLUG, '--round', String(n), this.write(`answers-${n}.csv`, `${csv}\n`));
  }

  link(id) {
    return `${this.base}/e/${this.tokens[id]}`;
  }

  async start() {
    if (!this.port) this.port = await freePort();
    const cert = path.join(this.dir, 'delphi.crt');
    const key = path.join(this.dir, 'delphi.key');
    if (!fs.existsSync(cert)) {
      const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
        '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=127.0.0.1'], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`openssl: ${r.stderr}`);
    }
    const args = ['--db', this.db, 'serve', '--listen', `127.0.0.1:${this.port}`, '--cert', cert, '--key', key,
      '--public-url', this.base];
    if (process.env.WEB_DIR) args.push('--web-dir', path.resolve(ROOT, process.env.WEB_DIR));
    const out = fs.openSync(this.log, 'a');
    this.proc = spawn(DELPHI, args, { stdio: ['ignore', out, out], cwd: this.dir });
    fs.closeSync(out);
    const exited = new Promise((resolve) => this.proc.once('exit', (code) => resolve(code)));
    const deadline = Date.now() + 15000;
    for (;;) {
      const code = await Promise.race([exited, sleep(100).then(() => undefined)]);
      if (code !== undefined) throw new Error(`delphi serve exited with ${code}:\n${fs.readFileSync(this.log, 'utf8')}`);
      try {
        const r = await request(this.base, 'GET', '/healthz');
        if (r.status === 200) return;
      } catch (e) {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`delphi serve did not answer /healthz:\n${fs.readFileSync(this.log, 'utf8')}`);
    }
  }

  async stop() {
    const p = this.proc;
    this.proc = null;
    if (!p || p.exitCode !== null) return;
    const done = new Promise((resolve) => p.once('exit', resolve));
    p.kill('SIGTERM');
    const t = setTimeout(() => p.kill('SIGKILL'), 8000);
    await done;
    clearTimeout(t);
  }

  async close() {
    await this.stop();
    if (process.env.KEEP_TMP) console.log(`# kept ${this.dir}`);
    else fs.rmSync(this.dir, { recursive: true, force: true });
  }

  // The expert's view through the API (Bearer token): GET /api/v1/me.
  async me(id) {
    const r = await request(this.base, 'GET', '/api/v1/me', { token: this.tokens[id] });
    if (r.status !== 200) throw new Error(`GET /api/v1/me: ${r.status} ${r.body}`);
    return r.json;
  }

  async put(id, topic, body) {
    return request(this.base, 'PUT', `/api/v1/answers/${topic}`, { token: this.tokens[id], body });
  }
}

export function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
}

// A browser context for the server at base, recording every request. opts go to newContext
// (viewport, locale). Returns {context, page, requests, errors, transfer}: errors collects page
// errors, console errors and CSP violations; transfer() the bytes moved so far (headers and
// bodies, both ways) by finished requests.
export async function openPage(browser, opts = {}) {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 900 }, locale: 'en-US', ...opts });
  const requests = [];
  const errors = [];
  let bytes = 0;
  context.on('request', (req) => requests.push(req.url()));
  context.on('requestfinished', async (req) => {
    const sz = await req.sizes().catch(() => null);
    if (sz) bytes += sz.requestHeadersSize + sz.requestBodySize + sz.responseHeadersSize + sz.responseBodySize;
  });
  const page = await context.newPage();
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of (401|404|409|422)/.test(m.text()) && !/ERR_CONNECTION_REFUSED/.test(m.text())) {
      errors.push(`console: ${m.text()}`);
    }
  });
  return { context, page, requests, errors, transfer: () => bytes };
}

// The requests that went anywhere but base (data: and about: included: there should be none).
export function foreignRequests(requests, base) {
  return requests.filter((u) => !u.startsWith(`${base}/`));
}

// Waits until the save status says every answer is saved.
export async function waitSaved(page, timeout = 15000) {
  await page.waitForSelector('#save-status.status-saved', { timeout });
}

// The horizontal overflow of the page: scrollWidth - clientWidth (0 when nothing scrolls).
export function overflowX(page) {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

export { sleep };

// Presses Tab (Shift+Tab when back) until the focused element matches selector, at most max
// times. Returns the number of presses; throws when it never gets there.
export async function tabUntil(page, selector, max = 80, back = false) {
  for (let i = 1; i <= max; i++) {
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
    if (await page.evaluate((sel) => !!document.activeElement && document.activeElement.matches(sel), selector)) return i;
  }
  throw new Error(`Tab never reached ${selector}`);
}

// The focused element's id (or tag name) and whether it shows a focus indicator.
export function focused(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    return { id: el.id || el.tagName.toLowerCase(), visible: el.matches(':focus-visible') };
  });
}

// Saves a screenshot into $SCREENSHOTS (when set) as NAME.png.
export async function shot(page, name, fullPage = true) {
  if (!process.env.SCREENSHOTS) return;
  fs.mkdirSync(process.env.SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(process.env.SCREENSHOTS, `${name}.png`), fullPage });
}

// Why the expert API cannot be exercised on the running server d, or '' when it can: an
// unauthenticated request to each path must be refused with 401, not answered 404 not_found
// (a route the server does not have yet).
export async function apiMissing(d, paths = ['/api/v1/me']) {
  for (const p of paths) {
    const r = await request(d.base, 'GET', p);
    if (r.status === 404) return `the server does not serve ${p} yet`;
  }
  return '';
}

let axeSource = null;
// Runs axe-core (WCAG 2.0/2.1 A and AA rules) on the page. page.evaluate is not subject to the
// page's Content-Security-Policy, so nothing is added to the page itself. Returns the violations
// as strings "rule: target (summary)".
export async function axe(page) {
  if (!axeSource) axeSource = fs.readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'node_modules/axe-core/axe.min.js'), 'utf8');
  return page.evaluate(async (src) => {
    if (!window.axe) (0, eval)(src); // eslint-disable-line no-eval
    const res = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return res.violations.flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(' ')} (${n.failureSummary.split('\n').slice(1).join(' ').trim()})`));
  }, axeSource);
}
