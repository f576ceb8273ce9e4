// @ts-check
// Requests the table page starts before the explorer's main script has loaded. index.html runs
// early.js (about a kilobyte, built from early.js and this file) before anything else; on a table
// page it asks at once for the table's JSON and its root block and, once the JSON names them, for
// the manifest nodes down to the first chunk and the first chunks, and only then runs the main
// script (index.html preloads it): the node answers while the browser evaluates the main script.
// The page then takes each answer (once) instead of asking again, and verifies every block as
// always: an early answer is only bytes that arrived sooner.

/** Rows the preview grid shows. */
export const previewRows = 50;

/** Chunks the preview fetches at once (fetchTable's concurrency): the early script asks for as many. */
export const previewConcurrency = 2;

/** Chunks the table page lists at first (and asks the node for). */
export const chunkPage = 100;

/** The table's JSON, as the table page asks for it. @param {string} cid */
export const tableJsonPath = (cid) => `/api/v1/tables/${cid}?chunkLimit=${chunkPage}`;

/** A block's raw bytes, as the JavaScript client asks for them. @param {string} cid */
export const rawBlockPath = (cid) => `/ipfs/${cid}?format=raw`;

/** The session key of the reader's token. */
export const tokenKey = 'arrowcid.token';

/** The route of a page address (its hash without '#' and query): '/' for the listing. @param {string} hash */
export const routeOf = (hash) => (hash.replace(/^#/, '') || '/').split('?', 1)[0];

/** The CID of the table a route shows, or undefined. @param {string} route */
export const tableOfRoute = (route) => /^\/table\/([A-Za-z0-9]+)$/.exec(route)?.[1];

/**
 * What early.js and the page share: early.js's answers not yet taken, by absolute URL, and every URL
 * either has asked for (early.js asks for none the page has asked for already).
 * @typedef {{ response: Promise<Response>, token: string | null }} EarlyAnswer
 * @typedef {{ answers: Map<string, EarlyAnswer>, asked: Set<string> }} EarlyRequests
 */

/** Where early.js leaves its answers for the main script. */
const key = '__arrowcidEarly';

/** @returns {EarlyRequests} */
function shared() {
  const global = /** @type {any} */ (globalThis);
  return (global[key] ??= { answers: new Map(), asked: new Set() });
}

/**
 * Starts a GET of `path` now and keeps the answer for the page to take.
 * @param {string} path @param {string} accept @param {string | null} token
 * @returns {Promise<Response> | undefined} undefined when it was asked for already
 */
function ask(path, accept, token) {
  /** @type {Record<string, string>} */
  const headers = { Accept: accept };
  if (token) headers.Authorization = `Bearer ${token}`;
  const url = new URL(path, location.href).href;
  const { answers, asked } = shared();
  if (asked.has(url)) return undefined;
  asked.add(url);
  const response = fetch(url, { headers });
  // Taken and awaited by the page, or dropped: a failure here is the page's to report, not ours.
  response.catch(() => {});
  answers.set(url, { response, token });
  return response;
}

/** The explorer's main script: index.html preloads it (and the modules it imports), early.js runs it. */
export const mainScript = '/explorer/explorer.js';

let mainStarted = false;

/**
 * Runs the main script (once). Its evaluation holds the page's one thread for a while, so on a
 * table page early.js runs it only after asking for the first blocks, not before.
 */
function startMainScript() {
  if (mainStarted) return;
  mainStarted = true;
  // The main script finds the page's elements as it starts: not before the page is parsed.
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', insertMainScript, { once: true });
  else insertMainScript();
}

function insertMainScript() {
  const script = document.createElement('script');
  script.type = 'module';
  script.src = mainScript;
  document.head.append(script);
}

/**
 * early.js: when the address is a table page, asks for what that page will need first, then runs
 * the main script: once the table's JSON has named the first blocks and they are asked for, or
 * once the root block has answered, whichever comes first (the main script walks the tree itself
 * from the root, so it never waits for a slow JSON). Any other page runs the main script at once.
 */
export function startEarlyRequests() {
  const cid = tableOfRoute(routeOf(location.hash));
  if (!cid) {
    startMainScript();
    return;
  }
  const token = sessionStorage.getItem(tokenKey);
  const json = ask(tableJsonPath(cid), 'application/json', token);
  const root = ask(rawBlockPath(cid), 'application/vnd.ipld.raw', token);
  if (!json || !root) {
    startMainScript();
    return;
  }
  root.finally(startMainScript).catch(() => {});
  json.then(async (response) => {
    if (!response.ok) return;
    const table = await response.clone().json();
    // The manifest nodes down to the first chunk, then the chunks the preview fetches first; the
    // page checks every one against the root block above, as it would have fetched them itself.
    const chunks = (table.chunks?.items ?? []).slice(0, previewConcurrency).map((/** @type {any} */ c) => c.cid);
    for (const block of [...(table.first_chunk_path ?? []), ...chunks]) {
      if (block !== cid) ask(rawBlockPath(block), 'application/vnd.ipld.raw', token);
    }
  }).catch(() => {}).finally(startMainScript);
}

/**
 * The early answer for `url`, taken (each is used once), when early.js asked for it with the token
 * the page has now; undefined otherwise.
 * @param {string | URL} url @param {string | null | undefined} token
 * @returns {Promise<Response> | undefined}
 */
export function takeEarly(url, token) {
  const absolute = new URL(url, location.href).href;
  const { answers, asked } = shared();
  const answer = answers.get(absolute);
  answers.delete(absolute);
  asked.add(absolute);
  return answer?.token === (token ?? null) ? answer.response : undefined;
}

/**
 * A fetch() that takes the early answer for a GET when there is one (with the same token) and
 * asks the network otherwise. Like fetch(), it rejects when `init.signal` aborts.
 * @param {string | URL | Request} input @param {RequestInit} [init]
 * @returns {Promise<Response>}
 */
export function fetchTakingEarly(input, init) {
  if (!(input instanceof Request) && (init?.method ?? 'GET') === 'GET') {
    const headers = new Headers(init?.headers);
    const token = headers.get('Authorization')?.replace(/^Bearer /, '') ?? null;
    const early = takeEarly(input, token);
    if (early) {
      const signal = init?.signal;
      if (!signal) return early;
      return new Promise((resolve, reject) => {
        const onAbort = () => reject(signal.reason);
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
        early.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
      });
    }
  }
  return fetch(input, init);
}
