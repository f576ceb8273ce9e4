// Putting and listing tables through the gateway's JSON API (docs/http.md, "Arrow over HTTP" and
// "JSON API and live feed").
import { tableToIPC } from 'apache-arrow';
import { gatewayBase, gatewayFetch, gatewayJson, tagPairs } from './http.js';

/** The request body for a put: an apache-arrow Table as an IPC stream, or bytes already in that form. */
function streamBody(table) {
  if (table instanceof Uint8Array) return table;
  if (table instanceof ArrayBuffer) return new Uint8Array(table);
  if (table && Array.isArray(table.batches)) return tableToIPC(table, 'stream');
  throw new TypeError('putTable takes an apache-arrow Table or the bytes of an Arrow IPC stream');
}

/**
 * POST /api/v1/tables: stores the table on the node (content-defined chunks, a manifest), records
 * it as the next version of `name` and tags it. Unchanged content under its name adds no version
 * (`version_added: false`) unless `forceVersion`. Resolves to the node's answer, the put report
 * `arrowcid put --json` prints: `{ table: { cid, rows, bytes, chunks, manifest_bytes }, chunks: [{ cid,
 * rows, bytes }], name?, version?, version_added? }`.
 */
export async function putTable(table, { gateway, token, name, tags, forceVersion, signal, fetch: fetchImpl } = {}) {
  const query = new URLSearchParams();
  if (name !== undefined) query.append('name', name);
  if (forceVersion) query.append('forceVersion', 'true');
  for (const tag of tagPairs(tags)) query.append('tag', tag);
  const search = query.size > 0 ? `?${query}` : '';
  const url = `${gatewayBase(gateway)}/api/v1/tables${search}`;
  const response = await gatewayFetch(url, {
    method: 'POST',
    token,
    signal,
    fetchImpl,
    body: streamBody(table),
    headers: { 'Content-Type': 'application/vnd.apache.arrow.stream', Accept: 'application/json' },
  });
  return response.json();
}

function listingQuery({ tag, tags, name, after, limit, kind, q }) {
  const query = new URLSearchParams();
  for (const pair of [...tagPairs(tag), ...tagPairs(tags)]) query.append('tag', pair);
  for (const k of kind === undefined ? [] : [kind].flat()) query.append('kind', k);
  if (name !== undefined) query.set('name', name);
  if (q !== undefined) query.set('q', q);
  if (after !== undefined && after !== null) query.set('after', after);
  if (limit !== undefined) query.set('limit', String(limit));
  return query.size > 0 ? `?${query}` : '';
}

/**
 * One page of GET /api/v1/tables: `{ items, next }`, oldest first; pass `next` back as `after`
 * for the page after (the last page has none). Filters: tag (`{k: v}`, `'k=v'` or a list), name,
 * kind, q; limit 1–1000.
 */
export async function listTables(options = {}) {
  const { gateway, token, signal, fetch: fetchImpl } = options;
  return gatewayJson(`${gatewayBase(gateway)}/api/v1/tables${listingQuery(options)}`, { token, signal, fetchImpl });
}

/** Every table listTables selects, page after page, as an async iterable of items. */
export async function* allTables(options = {}) {
  let after = options.after;
  do {
    const page = await listTables({ ...options, after });
    yield* page.items;
    after = page.next;
  } while (after);
}

/** GET /api/v1/tables/{cid}: one table's schema, rows, bytes, chunks (a page), tags and versions. */
export async function tableInfo(cid, { gateway, token, signal, chunkOffset, chunkLimit, fetch: fetchImpl } = {}) {
  const query = new URLSearchParams();
  if (chunkOffset !== undefined) query.set('chunkOffset', String(chunkOffset));
  if (chunkLimit !== undefined) query.set('chunkLimit', String(chunkLimit));
  const search = query.size > 0 ? `?${query}` : '';
  return gatewayJson(`${gatewayBase(gateway)}/api/v1/tables/${cid}${search}`, { token, signal, fetchImpl });
}
