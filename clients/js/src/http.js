// What every gateway call shares: the URL, the token header, abort signals and problem answers.
import { GatewayError } from './errors.js';

/** The gateway's base URL without a trailing slash ('' means the page's own origin in a browser). */
export function gatewayBase(gateway) {
  if (gateway === undefined || gateway === null) return '';
  return String(gateway).replace(/\/+$/, '');
}

/** Headers for a request: the bearer token when one is given, and any extra ones. */
export function authHeaders(token, extra = {}) {
  const headers = { ...extra };
  if (token) headers.Authorization = `Bearer ${token}`;
  return headers;
}

/** Tags as `KEY=VALUE` strings, from an object `{ key: value }`, one string or a list of them. */
export function tagPairs(tags) {
  if (tags === undefined || tags === null) return [];
  if (typeof tags === 'string') return [tags];
  if (Array.isArray(tags)) return tags.map(String);
  return Object.entries(tags).map(([key, value]) => `${key}=${value}`);
}

/** A name's path under /names/: each segment escaped, its slashes kept. */
export function namePath(name) {
  return String(name).split('/').map(encodeURIComponent).join('/');
}

/**
 * fetch() that turns an error status into a GatewayError (with the problem JSON when the gateway
 * sent one), so every caller sees one kind of failure.
 */
export async function gatewayFetch(url, { token, headers, signal, method, body, fetchImpl, duplex, cid } = {}) {
  const doFetch = fetchImpl ?? globalThis.fetch;
  const init = { method: method ?? 'GET', headers: authHeaders(token, headers), signal };
  if (body !== undefined) init.body = body;
  if (duplex) init.duplex = duplex;
  const response = await doFetch(url, init);
  if (!response.ok) {
    let problem;
    try {
      const text = await response.text();
      problem = text ? JSON.parse(text) : undefined;
    } catch {
      problem = undefined;
    }
    throw new GatewayError(url, response.status, problem, { cid });
  }
  return response;
}

/** Fetches one block's bytes from the gateway (unverified: the caller checks them against the CID). */
export async function getRawBlock(cid, { gateway, token, signal, fetchImpl }) {
  const url = `${gatewayBase(gateway)}/ipfs/${cid}?format=raw`;
  const response = await gatewayFetch(url, { token, signal, fetchImpl, cid, headers: { Accept: 'application/vnd.ipld.raw' } });
  return new Uint8Array(await response.arrayBuffer());
}

/** GET a JSON document from the gateway. */
export async function gatewayJson(url, options) {
  const response = await gatewayFetch(url, { ...options, headers: { Accept: 'application/json', ...options?.headers } });
  return response.json();
}

/** An AbortController that also aborts when `outer` does; `dispose` detaches it from `outer`. */
export function linkedAbort(outer) {
  const controller = new AbortController();
  if (!outer) return { controller, dispose() {} };
  const onAbort = () => controller.abort(outer.reason);
  if (outer.aborted) onAbort();
  else outer.addEventListener('abort', onAbort, { once: true });
  return { controller, dispose: () => outer.removeEventListener('abort', onAbort) };
}
