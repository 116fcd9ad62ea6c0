// api — the console's side of delphi's console API (docs/api.md, "The console API"): fetch with
// the session cookie, the CSRF token on every request that changes something (fetched again once
// after a 403 csrf), the one error shape, and saving text as a file without a round trip.

const API = '/api/v1';
const CHANGES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

// An API error: HTTP status (0: no connection), the error body's code, message and field, the
// whole body (data: the experts import adds "errors" and "error_count"), and Retry-After in
// seconds (0 when absent).
export class ApiError extends Error {
  constructor(status, code, message, field, data, retryAfter) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code || '';
    this.field = field || '';
    this.data = data || null;
    this.retryAfter = retryAfter || 0;
  }
}

let csrfToken = '';
let onUnauthenticated = null;

export function setCsrf(token) {
  csrfToken = token || '';
}

// fn() is called when a request (other than the login and GET /session) meets 401: the session
// has ended.
export function onSessionEnd(fn) {
  onUnauthenticated = fn;
}

async function send(method, path, body, opts) {
  const init = { method, credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = opts.raw ? body : JSON.stringify(body);
  }
  if (CHANGES.has(method) && csrfToken) init.headers['X-CSRF-Token'] = csrfToken;
  let res;
  try {
    res = await fetch(API + path, init);
  } catch (e) {
    throw new ApiError(0, 'network', 'The server could not be reached. Check the connection and try again.');
  }
  let data = null;
  if (res.status !== 204) {
    try {
      data = await res.json();
    } catch (e) {
      data = null;
    }
  }
  if (!res.ok) {
    const err = (data && data.error) || {};
    const retry = Number.parseInt(res.headers.get('Retry-After') || '', 10);
    throw new ApiError(res.status, err.code, err.message, err.field, data, Number.isFinite(retry) ? retry : 0);
  }
  return data;
}

// A request to /api/v1 + path. body: a value sent as JSON, or with opts.raw a string sent as it is
// (a survey definition keeps its lines and columns). Resolves to the parsed reply (null for 204);
// rejects with ApiError.
export async function api(method, path, body, opts = {}) {
  try {
    return await send(method, path, body, opts);
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    if (e.status === 403 && e.code === 'csrf' && !opts.retried) {
      // The token went stale (a new session in another tab): fetch it again, once.
      const s = await send('GET', '/session', undefined, {}).catch(() => null);
      if (s && s.csrf_token) {
        setCsrf(s.csrf_token);
        return api(method, path, body, { ...opts, retried: true });
      }
    }
    if (e.status === 401 && !opts.quiet && onUnauthenticated) onUnauthenticated();
    throw e;
  }
}

// The URL of an API path, for links the browser follows itself (report downloads).
export function apiUrl(path) {
  return API + path;
}

// Path segment: a slug, code or id percent-encoded.
export const seg = (s) => encodeURIComponent(String(s));

// Saves text as a file named name (a Blob and a temporary link: nothing goes to the server).
export function saveText(name, text, type = 'text/csv;charset=utf-8') {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.hidden = true;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// One CSV record (RFC 4180): fields quoted when they hold a comma, quote or line break.
export function csvLine(fields) {
  return fields.map((f) => {
    const v = f === null || f === undefined ? '' : String(f);
    return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
  }).join(',');
}
