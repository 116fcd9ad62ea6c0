// store — talking to delphi's expert API, and the outbox that makes answering safe on a bad
// connection.
//
// Every change goes into the outbox (topic -> question key -> value, and the reserved key
// "reasons" -> {question key: text or null}), which lives in localStorage until the server has
// acknowledged it, so a reload, a closed laptop or a dead network loses nothing. The outbox is
// sent after a short pause (debounce), when the browser says it is online again, and
// periodically while something is left in it. One PUT per topic at a time; a value changed while
// its request was in flight stays in the outbox and goes out next.

const API = '/api/v1';
export const DEBOUNCE_MS = 600;
export const RETRY_MS = 4000;

// An API error: status (0 for no connection), code and message from the error body, field.
export class ApiError extends Error {
  constructor(status, code, message, field) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code || '';
    this.field = field || '';
  }
}

// fetch() + the JSON error shape. Resolves to the parsed body; rejects with ApiError.
export async function api(method, path, body, csrf) {
  const init = { method, credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  if (csrf) init.headers['X-CSRF-Token'] = csrf;
  let res;
  try {
    res = await fetch(API + path, init);
  } catch (e) {
    throw new ApiError(0, 'network', e && e.message);
  }
  let data = null;
  try {
    data = await res.json();
  } catch (e) {
    data = null;
  }
  if (!res.ok) {
    const err = (data && data.error) || {};
    throw new ApiError(res.status, err.code, err.message, err.field);
  }
  return data;
}

function readJson(key, fallback) {
  try {
    const v = JSON.parse(localStorage.getItem(key));
    return v && typeof v === 'object' ? v : fallback;
  } catch (e) {
    return fallback;
  }
}

function writeJson(key, v) {
  try {
    if (v === null) localStorage.removeItem(key);
    else localStorage.setItem(key, JSON.stringify(v));
  } catch (e) {
    // Storage full or disabled: the outbox still works for this page's lifetime.
  }
}

export const local = { read: readJson, write: writeJson };

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

// The saver. hooks:
//   state(name)              'saved' | 'saving' | 'pending' | 'offline' | 'retry' | 'session' |
//                            'error' | 'readonly' (shown in the status line)
//   ack(topic, answers)      the server's answers for a topic after a save
//   invalid(topic, field, message)   a 422 (field may be '')
//   stop(code)               saving cannot go on: 'round_not_open', 'not_invited', 'unauthenticated'
//   csrf()                   returns a promise of a fresh CSRF token (after a 403 csrf)
// readOnly: keep the outbox but never send (a round that is not open).
export class Saver {
  constructor(key, csrf, hooks, readOnly) {
    this.key = key;
    this.csrf = csrf;
    this.hooks = hooks;
    this.box = readJson(key, {});
    this.timer = 0;
    this.busy = false;
    this.stopped = !!readOnly;
    this.failed = ''; // '', 'offline', 'retry', 'error', 'session'
    this.csrfRetried = false;
    window.addEventListener('online', () => this.flush());
    window.addEventListener('offline', () => this.report());
    setInterval(() => {
      if (!this.busy && this.pendingCount() && this.failed !== 'error') this.flush();
    }, RETRY_MS);
  }

  // Values not yet acknowledged for one topic ({} when none).
  pending(topic) {
    return this.box[topic] || {};
  }

  pendingCount() {
    return Object.keys(this.box).length;
  }

  // Queues a value (null removes the answer). While saving is stopped the value is still kept
  // in the outbox, so that a session that ended loses nothing.
  set(topic, key, value) {
    if (!this.box[topic]) this.box[topic] = {};
    this.box[topic][key] = value;
    writeJson(this.key, this.box);
    if (this.failed === 'error') this.failed = '';
    this.schedule(DEBOUNCE_MS);
  }

  // Queues one member of an object-valued key — the "reasons" object of round r > 1: question
  // key -> text, null removes it — merged with what is queued for that key already. The object
  // is sent whole; what the server acknowledged of it unchanged leaves the outbox (see send()).
  setIn(topic, key, member, value) {
    if (!this.box[topic]) this.box[topic] = {};
    const obj = this.box[topic][key];
    this.box[topic][key] = { ...(obj && typeof obj === 'object' ? obj : {}), [member]: value };
    writeJson(this.key, this.box);
    if (this.failed === 'error') this.failed = '';
    this.schedule(DEBOUNCE_MS);
  }

  schedule(ms) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), ms);
    this.report();
  }

  stop(code) {
    this.stopped = true;
    clearTimeout(this.timer);
    this.report();
    this.hooks.stop(code);
  }

  report() {
    let st;
    if (this.stopped) st = this.failed === 'session' ? 'session' : 'readonly';
    else if (this.busy) st = 'saving';
    else if (this.failed === 'error') st = 'error';
    else if (this.pendingCount()) {
      if (!navigator.onLine || this.failed === 'offline') st = 'offline';
      else if (this.failed === 'retry') st = 'retry';
      else st = 'pending';
    } else st = 'saved';
    this.hooks.state(st);
  }

  async flush() {
    clearTimeout(this.timer);
    if (this.busy || this.stopped) return;
    this.busy = true;
    this.report();
    let again = false;
    try {
      for (const topic of Object.keys(this.box)) {
        const body = { ...this.box[topic] };
        if (!Object.keys(body).length) continue;
        const outcome = await this.send(topic, body);
        if (outcome === 'halt') break;
        if (outcome === 'again') again = true;
      }
    } finally {
      this.busy = false;
    }
    if (again && !this.stopped) this.schedule(0);
    else this.report();
  }

  // Sends one topic. Returns 'ok', 'again' (send the outbox once more now) or 'halt' (stop this
  // flush: the connection or the session is gone; the periodic retry or a stop takes over).
  async send(topic, body) {
    try {
      const res = await api('PUT', `/answers/${encodeURIComponent(topic)}`, body, this.csrf);
      this.failed = '';
      this.csrfRetried = false;
      const left = this.box[topic] || {};
      for (const k of Object.keys(body)) if (k in left && same(left[k], body[k])) delete left[k];
      if (this.box[topic] && !Object.keys(left).length) delete this.box[topic];
      writeJson(this.key, this.box);
      this.hooks.ack(topic, (res && res.answers) || {});
      return this.box[topic] ? 'again' : 'ok';
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      if (e.status === 0) {
        this.failed = 'offline';
        return 'halt';
      }
      if (e.status >= 500 || e.status === 429 || e.status === 408) {
        this.failed = 'retry';
        return 'halt';
      }
      if (e.status === 401) {
        this.failed = 'session';
        this.stop('unauthenticated');
        return 'halt';
      }
      if (e.status === 403 && e.code === 'csrf' && !this.csrfRetried) {
        this.csrfRetried = true;
        try {
          this.csrf = await this.hooks.csrf();
        } catch (e2) {
          this.failed = 'retry';
          return 'halt';
        }
        return 'again';
      }
      if (e.status === 409 || e.status === 403) {
        this.stop(e.code || 'round_not_open');
        return 'halt';
      }
      // 422 (and 400/404/413/415, which a correct page never causes): the body was rejected as a
      // whole. Drop the named value (or the whole topic when no sent value is named) so that one
      // bad value cannot block the others, and show the message.
      const left = this.box[topic] || {};
      const keys = e.field && e.field in body ? [e.field] : Object.keys(body);
      for (const k of keys) if (k in left && same(left[k], body[k])) delete left[k];
      if (this.box[topic] && !Object.keys(left).length) delete this.box[topic];
      writeJson(this.key, this.box);
      this.failed = 'error';
      this.hooks.invalid(topic, e.field, e.message);
      return this.box[topic] ? 'again' : 'ok';
    }
  }
}
