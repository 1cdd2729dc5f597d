// The public API as the page uses it: the session (the token in memory and in this tab's sessionStorage, never in
// a URL or a cookie), requests with the token, RFC 9457 problems as errors in the API's own words, and server-sent
// events read with fetch (EventSource cannot send the token in a header).

const SESSION_KEY = 'mp3converter.session';
let session = null;
let sessionEnded = () => {};

/** An answer that was not a success: `status` 0 when the server could not be reached. */
export class ApiError extends Error {
  constructor(status, message, problem = null) {
    super(message);
    this.status = status;
    this.problem = problem;
  }
}

export function currentSession() {
  if (session === null) {
    try {
      const stored = JSON.parse(sessionStorage.getItem(SESSION_KEY));
      if (stored && stored.token && stored.expiresAt > Date.now()) {
        session = stored;
      }
    } catch {
      sessionStorage.removeItem(SESSION_KEY);
    }
  }
  return session;
}

export function endSession() {
  session = null;
  sessionStorage.removeItem(SESSION_KEY);
}

/** Called with the reason when the server stops accepting the token (expired, revoked). */
export function onSessionEnded(listener) {
  sessionEnded = listener;
}

export function authorization() {
  return session ? `Bearer ${session.token}` : '';
}

/** The problem in an answer as an error a person can read. */
export async function problemOf(status, text) {
  let problem = null;
  try {
    problem = JSON.parse(text);
  } catch {
    // not a problem document
  }
  const words = problem && (problem.detail || problem.title);
  // a proxy in front (the mesh's edge checks tokens too) answers in its own words, or none
  const fallback = status === 401 ? 'your session has ended; sign in again'
    : `The server answered with status ${status}. Try again in a moment.`;
  return new ApiError(status, words || fallback, problem);
}

const UNREACHABLE = 'The server cannot be reached. Check your connection and try again.';

/** A request with the session's token; throws an ApiError for anything but a 2xx. */
export async function request(path, { method = 'GET', headers = {}, body, signal, authenticated = true } = {}) {
  const all = { ...headers };
  if (authenticated && session) {
    all.Authorization = authorization();
  }
  let response;
  try {
    // no credentials: no cookie is sent, and a 401 never opens the browser's own password prompt
    response = await fetch(path, { method, headers: all, body, signal, credentials: 'omit', cache: 'no-store' });
  } catch (error) {
    if (signal && signal.aborted) {
      throw error;
    }
    throw new ApiError(0, UNREACHABLE);
  }
  if (!response.ok) {
    const error = await problemOf(response.status, await response.text());
    if (response.status === 401 && authenticated && session) {
      endSession();
      sessionEnded(error.message);
    }
    throw error;
  }
  return response;
}

export async function json(path, options) {
  const response = await request(path, options);
  return response.status === 204 ? null : response.json();
}

function basic(email, password) {
  const utf8 = new TextEncoder().encode(`${email}:${password}`);
  return `Basic ${btoa(String.fromCharCode(...utf8))}`;
}

export async function signIn(email, password) {
  const token = await json('/login', {
    method: 'POST', authenticated: false, headers: { Authorization: basic(email, password), Accept: 'application/json' },
  });
  return startSession(email, token);
}

/** A session from a token answer ({access_token, expires_in}); `verified` as the token's own claim says. */
export function startSession(email, token) {
  const claims = JSON.parse(atob(token.access_token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
  session = {
    token: token.access_token, email, verified: claims.email_verified !== false,
    expiresAt: Date.now() + token.expires_in * 1000,
  };
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  return session;
}

export function signUp(email, password) {
  return json('/signup', {
    method: 'POST', authenticated: false, headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
}

const sleep = (ms, signal) => new Promise((resolve) => {
  const timer = window.setTimeout(resolve, ms);
  signal.addEventListener('abort', () => { window.clearTimeout(timer); resolve(); }, { once: true });
});

/**
 * Follows a server-sent event stream: `onEvent(type, data)` for each event with JSON data, until it returns false,
 * the server says the stream is over (204), `signal` aborts, or a client error. Reconnects as EventSource would,
 * after the server's `retry`, with Last-Event-ID so nothing is seen twice.
 */
export async function follow(path, onEvent, signal) {
  let lastId = null;
  let retry = 3000;
  while (!signal.aborted) {
    try {
      const headers = { Accept: 'text/event-stream' };
      if (lastId !== null) {
        headers['Last-Event-ID'] = lastId;
      }
      const response = await request(path, { headers, signal });
      if (response.status === 204) {
        return;
      }
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) {
          break;
        }
        buffer += value.replace(/\r\n?/g, '\n');
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const event = parseEvent(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          retry = event.retry ?? retry;
          lastId = event.id ?? lastId;
          if (event.data !== null && onEvent(event.type, JSON.parse(event.data)) === false) {
            await reader.cancel();
            return;
          }
          end = buffer.indexOf('\n\n');
        }
      }
    } catch (error) {
      if (signal.aborted) {
        return;
      }
      if (error instanceof ApiError && error.status >= 400 && error.status < 500 && error.status !== 429) {
        throw error;
      }
    }
    await sleep(retry, signal);
  }
}

function parseEvent(block) {
  const event = { type: 'message', data: null, id: null, retry: null };
  for (const line of block.split('\n')) {
    const colon = line.indexOf(':');
    if (colon === 0) {
      continue; // a comment: the server's keep-alive
    }
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'data') {
      event.data = event.data === null ? value : `${event.data}\n${value}`;
    } else if (field === 'event') {
      event.type = value;
    } else if (field === 'id') {
      event.id = value;
    } else if (field === 'retry' && /^\d+$/.test(value)) {
      event.retry = Number(value);
    }
  }
  return event;
}
