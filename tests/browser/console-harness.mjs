// console-harness — what the console spec adds to harness.mjs: users made with the CLI (the
// password on standard input, as an operator would pipe it), signing in through the page, the
// console's routes being there at all, downloads read back as text, hostile strings and the
// checks that they stayed text, and a plain SMTP relay on loopback that keeps what it is sent.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { DELPHI, request } from './harness.mjs';

// Strings that would run script or add elements if any page inserted them as markup. Each one
// sets window.__pwned or opens a dialog when it escapes.
export const HOSTILE = {
  title: '<img src=x onerror="window.__pwned=\'title\'"><script>window.__pwned="title2"</script> Chips "beyond" & <b>1 nm</b>',
  name: '<svg onload="window.__pwned=\'name\'"></svg><iframe src="javascript:alert(1)"></iframe>Mallory',
  comment: '<img src=x onerror=alert(document.cookie)>Cheaper <a href="javascript:alert(2)">fabs</a> & </blockquote><script>window.__pwned="comment"</script>',
};

// `delphi user add NAME --role ROLE` with the password on standard input.
export function addUser(d, name, role, password) {
  const r = spawnSync(DELPHI, ['--db', d.db, 'user', 'add', name, '--role', role], { input: `${password}\n`, encoding: 'utf8', cwd: d.dir });
  if (r.status !== 0) throw new Error(`delphi user add ${name}: exit ${r.status}\n${r.stdout}${r.stderr}`);
}

// Why the console cannot be exercised on the running server d, or '' when it can: the console's
// API answers an unauthenticated GET /api/v1/session with 401 (404 while the route is missing),
// and /console/ is served.
export async function consoleMissing(d) {
  const s = await request(d.base, 'GET', '/api/v1/session');
  if (s.status === 404) return 'the server does not serve /api/v1/session yet';
  const p = await request(d.base, 'GET', '/console/');
  if (p.status !== 200) return `the server answers ${p.status} for /console/`;
  return '';
}

// Signs in through the console's form and waits for the signed-in navigation.
export async function login(page, base, name, password) {
  await page.goto(`${base}/console/`);
  await page.waitForSelector('#login-name');
  await page.fill('#login-name', name);
  await page.fill('#login-password', password);
  await page.click('#login-submit');
  await page.waitForSelector('#logout', { timeout: 15000 });
}

// Runs click() and returns the download it starts: {name, text}.
export async function download(page, click) {
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 15000 }), click()]);
  const p = await dl.path();
  return { name: dl.suggestedFilename(), text: fs.readFileSync(p, 'utf8') };
}

// A minimal RFC 4180 reader for what the tests read back (quoted fields, doubled quotes).
export function parseCsv(text) {
  const rows = [];
  let row = [];
  let f = '';
  let q = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (q) {
      if (c === '"' && text[i + 1] === '"') {
        f += '"';
        i += 1;
      } else if (c === '"') q = false;
      else f += c;
    } else if (c === '"') q = true;
    else if (c === ',') {
      row.push(f);
      f = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i += 1;
      row.push(f);
      rows.push(row);
      row = [];
      f = '';
    } else f += c;
  }
  if (f || row.length) {
    row.push(f);
    rows.push(row);
  }
  return rows;
}

export function csvLine(fields) {
  return fields.map((v) => (/[",\r\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v))).join(',');
}

// Watches a page for anything hostile text could do once it escaped: dialogs (dismissed and
// recorded), window.__pwned, and elements that no console page makes (script without src, iframe,
// img, object, embed) or event-handler attributes anywhere in the document.
export function guard(page) {
  const dialogs = [];
  page.on('dialog', (dlg) => {
    dialogs.push(`${dlg.type()}: ${dlg.message()}`);
    dlg.dismiss().catch(() => {});
  });
  return {
    dialogs,
    async check() {
      return page.evaluate(() => {
        const bad = [];
        if (window.__pwned !== undefined) bad.push(`window.__pwned = ${window.__pwned}`);
        for (const el of document.querySelectorAll('script:not([src]), iframe, img, object, embed, main script')) bad.push(`<${el.localName}> in the page`);
        for (const el of document.querySelectorAll('*')) {
          for (const a of el.attributes) if (/^on/i.test(a.name)) bad.push(`${a.name} on <${el.localName}>`);
          if (el.localName === 'a' && /^\s*javascript:/i.test(el.getAttribute('href') || '')) bad.push('javascript: link');
        }
        return bad;
      });
    },
  };
}

// The sample survey with a hostile title on its first topic, written to dir; returns the path.
export function hostileSample(sample, dir) {
  const def = JSON.parse(fs.readFileSync(sample, 'utf8'));
  def.topics[0].title.en = HOSTILE.title;
  const p = path.join(dir, 'hostile-sample.json');
  fs.writeFileSync(p, `${JSON.stringify(def, null, 2)}\n`);
  return p;
}

// A minimal SMTP relay on 127.0.0.1 (no TLS, no AUTH: delphi's DELPHI_SMTP_TLS=none) that keeps
// every message: {port, messages: [{from, to: [..], data}], env(), close()}. Recipients in refuse
// get 550 at RCPT TO. env() is the environment that points delphi at it.
export function smtpSink({ refuse = [] } = {}) {
  const messages = [];
  const refused = new Set(refuse.map((a) => a.toLowerCase()));
  const server = net.createServer((sock) => {
    let buf = '';
    let data = null;
    let env = { from: '', to: [] };
    const say = (line) => sock.write(`${line}\r\n`);
    say('220 sink ESMTP');
    sock.on('data', (chunk) => {
      buf += chunk.toString('utf8');
      let i;
      while ((i = buf.indexOf('\r\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (data !== null) {
          if (line === '.') {
            messages.push({ ...env, data: data.join('\n') });
            data = null;
            env = { from: '', to: [] };
            say(`250 2.0.0 Ok: queued as ${messages.length}`);
          } else data.push(line.startsWith('..') ? line.slice(1) : line);
          continue;
        }
        const cmd = line.slice(0, 4).toUpperCase();
        const arg = (/<([^>]*)>/.exec(line) || [])[1] || '';
        if (cmd === 'EHLO') sock.write('250-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n');
        else if (cmd === 'HELO') say('250 sink');
        else if (cmd === 'MAIL') {
          env = { from: arg, to: [] };
          say('250 2.1.0 Ok');
        } else if (cmd === 'RCPT') {
          if (refused.has(arg.toLowerCase())) say(`550 5.1.1 <${arg}>: Recipient address rejected`);
          else {
            env.to.push(arg);
            say('250 2.1.5 Ok');
          }
        } else if (cmd === 'DATA') {
          data = [];
          say('354 End data with <CR><LF>.<CR><LF>');
        } else if (cmd === 'RSET') {
          env = { from: '', to: [] };
          say('250 2.0.0 Ok');
        } else if (cmd === 'NOOP') say('250 2.0.0 Ok');
        else if (cmd === 'QUIT') {
          say('221 2.0.0 Bye');
          sock.end();
        } else say('502 5.5.2 Error: command not recognized');
      }
    });
    sock.on('error', () => {});
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      resolve({
        port,
        messages,
        env: () => ({ DELPHI_SMTP_HOST: 'localhost', DELPHI_SMTP_PORT: String(port), DELPHI_SMTP_TLS: 'none',
          DELPHI_SMTP_FROM: 'Foresight Delphi <delphi@example.org>' }),
        close: () => new Promise((r) => server.close(() => r())),
      });
    });
  });
}

// The invitation link in a message the sink kept (7bit or base64 body): its token, or ''.
export function tokenInMail(msg) {
  const [head, ...rest] = msg.data.split('\n\n');
  let body = rest.join('\n\n');
  if (/^content-transfer-encoding:\s*base64/im.test(head)) body = Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  const m = /\/e\/([0-9a-f]{32})\b/.exec(body);
  return m ? m[1] : '';
}
