// @ts-check
// The node's JSON API and live feed, with the token the reader gave (sessionStorage, sent as a header).

const tokenKey = 'arrowcid.token';

/** The token kept for this tab, or undefined. */
export const token = () => sessionStorage.getItem(tokenKey) ?? undefined;

/** Keeps (or with an empty value forgets) the token. @param {string | undefined} value */
export function setToken(value) {
  if (value) sessionStorage.setItem(tokenKey, value);
  else sessionStorage.removeItem(tokenKey);
}

/** Request headers carrying the token, when there is one. @param {Record<string, string>} [extra] */
export function headers(extra = {}) {
  const value = token();
  return value ? { ...extra, Authorization: `Bearer ${value}` } : extra;
}

/** A problem answer of the node (RFC 9457) or a failed request. */
export class ApiError extends Error {
  /** @param {number} status @param {string} message */
  constructor(status, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

/** @type {((why: string) => Promise<void>) | undefined} */
let askForToken;

/** Sets what asks the reader for a token on a 401 (resolves once a new one is kept). @param {(why: string) => Promise<void>} ask */
export function onUnauthorized(ask) {
  askForToken = ask;
}

/**
 * GETs `path` as JSON. A 401 asks the reader for a token and tries again with it.
 * @param {string} path
 * @param {AbortSignal} [signal]
 * @returns {Promise<any>}
 */
export async function getJson(path, signal) {
  for (;;) {
    const response = await fetch(path, { headers: headers({ Accept: 'application/json' }), signal });
    if (response.status === 401 && askForToken) {
      await askForToken(await problemText(response));
      continue;
    }
    if (!response.ok) throw new ApiError(response.status, await problemText(response));
    return response.json();
  }
}

/** The detail of a problem answer, or the status line. @param {Response} response */
async function problemText(response) {
  try {
    const body = await response.json();
    if (body && typeof body.detail === 'string') return body.detail;
  } catch {
    // Not a problem answer: the status says it.
  }
  return `${response.status} ${response.statusText}`;
}

/**
 * Follows the node's change feed (GET /api/v1/events, Server-Sent Events) with fetch streaming, so the
 * token goes as a header (EventSource cannot send one). Reconnects after a failure with Last-Event-ID,
 * so no change is missed. `onState` hears "live", "connecting" and "offline".
 * @param {(event: { id: string, type: string, data: any }) => void} onEvent
 * @param {(state: string) => void} onState
 * @param {AbortSignal} signal
 */
export async function followEvents(onEvent, onState, signal) {
  /** @type {string | undefined} */
  let lastId;
  let delay = 500;
  while (!signal.aborted) {
    onState('connecting');
    try {
      const response = await fetch('/api/v1/events', {
        headers: headers(lastId ? { Accept: 'text/event-stream', 'Last-Event-ID': lastId } : { Accept: 'text/event-stream' }),
        signal,
      });
      if (response.status === 401 && askForToken) {
        await askForToken(await problemText(response));
        continue;
      }
      if (!response.ok || !response.body) throw new ApiError(response.status, await problemText(response));
      onState('live');
      delay = 500;
      for await (const event of serverSentEvents(response.body)) {
        if (event.id) lastId = event.id;
        if (event.data) onEvent({ id: event.id, type: event.type, data: JSON.parse(event.data) });
      }
    } catch (error) {
      if (signal.aborted) return;
      console.warn('the live feed stopped; reconnecting', error);
    }
    if (signal.aborted) return;
    onState('offline');
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 15000);
  }
}

/**
 * The events of an event stream body (the WHATWG event stream format: fields, blank-line separated).
 * @param {ReadableStream<Uint8Array>} body
 */
async function* serverSentEvents(body) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let event = { id: '', type: 'message', data: '' };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + (buffer.startsWith('\r\n', end) ? 2 : 1));
      if (line === '') {
        if (event.data) yield { ...event, data: event.data.replace(/\n$/, '') };
        event = { id: event.id, type: 'message', data: '' };
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const text = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'data') event.data += `${text}\n`;
      else if (field === 'event') event.type = text;
      else if (field === 'id') event.id = text;
    }
  }
}
