// @ts-check
// The node's JSON API and live feed, with the token the reader gave (sessionStorage, sent as a header).
import { GatewayError } from '../../js/src/errors.js';
import { subscribe } from '../../js/src/subscribe.js';
import { fetchTakingEarly, tokenKey } from './early-requests.js';

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
 * GETs `path` as JSON (the early script's answer when it asked already). A 401 asks the reader for
 * a token and tries again with it.
 * @param {string} path
 * @param {AbortSignal} [signal]
 * @returns {Promise<any>}
 */
export async function getJson(path, signal) {
  for (;;) {
    const response = await fetchTakingEarly(path, { headers: headers({ Accept: 'application/json' }), signal });
    if (response.status === 401 && askForToken) {
      await askForToken(await problemText(response));
      continue;
    }
    if (!response.ok) throw new ApiError(response.status, await problemText(response));
    return response.json();
  }
}

/**
 * Runs a SQL query on the node (POST /api/v1/sql), a 401 asking for a token as getJson does.
 * Resolves to its JSON answer (the first `limit` rows, the result's CID, its inputs) and the
 * result's whole row count.
 * @param {string} query
 * @param {number} limit
 * @param {AbortSignal} [signal]
 * @returns {Promise<{ body: any, rows: number }>}
 */
export async function postSql(query, limit, signal) {
  for (;;) {
    const response = await fetch(`/api/v1/sql?format=json&limit=${limit}`, {
      method: 'POST',
      headers: headers({ 'Content-Type': 'text/plain; charset=utf-8', Accept: 'application/json' }),
      body: query,
      signal,
    });
    if (response.status === 401 && askForToken) {
      await askForToken(await problemText(response));
      continue;
    }
    if (!response.ok) throw new ApiError(response.status, await problemText(response));
    return { body: await response.json(), rows: Number(response.headers.get('X-Sql-Rows')) };
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
 * Follows the node's change feed with the client's subscribe (Server-Sent Events over fetch, so the
 * token goes as a header; reconnecting with Last-Event-ID, so no change is missed). A 401 asks for a
 * token and subscribes again from the last event seen. `onState` hears "live" and "offline".
 * @param {(change: any) => void} onChange
 * @param {(state: string) => void} onState
 * @param {AbortSignal} signal
 */
export async function followEvents(onChange, onState, signal) {
  /** @type {string | undefined} */
  let lastEventId;
  while (!signal.aborted) {
    onState('live');
    const subscription = subscribe({
      gateway: location.origin, token: token(), signal, lastEventId,
      onError: (error) => {
        console.warn('the live feed dropped; reconnecting', error);
        onState('offline');
      },
    }, (change) => {
      onState('live');
      onChange(change);
    });
    try {
      await subscription.closed;
      return;
    } catch (error) {
      lastEventId = subscription.lastEventId;
      if (signal.aborted) return;
      if (error instanceof GatewayError && error.status === 401 && askForToken) {
        await askForToken(error.problem?.detail ?? error.message);
        continue;
      }
      onState('offline');
      console.warn('the live feed was refused', error);
      return;
    }
  }
}
