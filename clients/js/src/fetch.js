// Verified fetch of a table through a node's HTTP gateway (docs/js.md, docs/http.md): blocks by
// CID, each hashed against its CID, the manifest tree checked, chunks decoded with apache-arrow.
import { RecordBatchReader, Table } from 'apache-arrow';
import { gatewayBase, gatewayFetch, gatewayJson, linkedAbort, namePath } from './http.js';
import { openTable, toCid, verifyChunk } from './manifest.js';
import { ArrowCidError, BlockVerificationError } from './errors.js';

const DEFAULT_CONCURRENCY = 8;

/** Splits `NAME@N` into the name and version N (undefined for the latest). */
export function parseNameRef(ref) {
  const match = /^(.*)@(\d+)$/.exec(ref);
  return match ? { name: match[1], version: Number(match[2]) } : { name: ref, version: undefined };
}

/**
 * The versions of a dataset name: `{ name, latest, versions: [{ version, cid, created }] }`
 * (oldest first, as GET /names/{name}/versions answers).
 */
export async function versions(name, { gateway, token, signal, fetch: fetchImpl } = {}) {
  const url = `${gatewayBase(gateway)}/names/${namePath(name)}/versions`;
  return gatewayJson(url, { token, signal, fetchImpl });
}

/**
 * The CID of version `version` (the newest when undefined) among a name's versions
 * `[{ version, cid }]`, in any order; shared by the gateway and Flight resolutions.
 */
export function chooseVersion(name, version, listed) {
  const newest = listed.reduce((a, b) => (a === undefined || b.version > a.version ? b : a), undefined);
  const found = version === undefined ? newest : listed.find((v) => v.version === version);
  if (!found) throw new ArrowCidError(`${name} has no version ${version ?? '(none listed)'}`);
  const cid = toCid(found.cid);
  if (!cid) throw new ArrowCidError(`${name}@${found.version} names ${found.cid}, which is not a CID`);
  return cid;
}

/** The CID a table reference names: a CID (text or object) as is, `NAME` or `NAME@N` through the gateway. */
export async function resolveTable(cidOrName, options = {}) {
  const cid = toCid(cidOrName);
  if (cid) return cid;
  if (typeof cidOrName !== 'string' || cidOrName === '') throw new TypeError('a table is named by a CID or a dataset name');
  const { name, version } = parseNameRef(cidOrName);
  const listing = await versions(name, options);
  return chooseVersion(name, version, listing.versions ?? []);
}

/** Fetches one block's bytes from the gateway (unverified: the caller checks them against the CID). */
export async function getRawBlock(cid, { gateway, token, signal, fetchImpl }) {
  const url = `${gatewayBase(gateway)}/ipfs/${cid}?format=raw`;
  const response = await gatewayFetch(url, { token, signal, fetchImpl, cid, headers: { Accept: 'application/vnd.ipld.raw' } });
  return new Uint8Array(await response.arrayBuffer());
}

/**
 * Decodes a verified chunk (a canonical Arrow IPC stream) into its record batches and checks its
 * row count against the manifest's entry.
 */
export function decodeChunk(entry, bytes) {
  let batches;
  try {
    batches = RecordBatchReader.from(bytes).readAll();
  } catch (error) {
    throw new BlockVerificationError(entry.cid, `not an Arrow IPC stream (${error.message})`, { cause: error });
  }
  const rows = batches.reduce((sum, b) => sum + b.numRows, 0);
  if (entry.rows !== undefined && rows !== entry.rows) {
    throw new BlockVerificationError(entry.cid, `${rows} rows where the manifest says ${entry.rows}`);
  }
  return batches;
}

/**
 * Yields the table's chunks in row order, fetching up to `concurrency` ahead with `fetchChunk`,
 * and aborts what is still in flight when the consumer stops (break, throw, or an error here).
 * Shared by the gateway and Flight transports.
 */
export async function* orderedPrefetch(entries, concurrency, fetchChunk, controller) {
  const window = [];
  let exhausted = false;
  try {
    for (;;) {
      while (!exhausted && window.length < concurrency) {
        const next = await entries.next();
        if (next.done) {
          exhausted = true;
          break;
        }
        const pending = fetchChunk(next.value);
        // Awaited in order below; the no-op handler keeps a failure that comes before its turn
        // from being an unhandled rejection.
        pending.catch(() => {});
        window.push(pending);
      }
      if (window.length === 0) return;
      yield await window.shift();
    }
  } finally {
    controller.abort();
    await entries.return?.();
  }
}

/**
 * An async iterable of the table's apache-arrow RecordBatches, in row order, each yielded once
 * its chunk has arrived and verified. Options: gateway (base URL), token, signal, concurrency
 * (chunks fetched at once, default 8), fetch (a fetch implementation).
 */
export async function* fetchTable(cidOrName, options = {}) {
  const { gateway, token, signal, fetch: fetchImpl } = options;
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? DEFAULT_CONCURRENCY));
  const { controller, dispose } = linkedAbort(signal);
  try {
    const transport = { gateway, token, signal: controller.signal, fetchImpl };
    const cid = await resolveTable(cidOrName, { gateway, token, signal: controller.signal, fetch: fetchImpl });
    const table = await openTable(cid, (c) => getRawBlock(c, transport));
    const fetchChunk = async (entry) => {
      const bytes = await getRawBlock(entry.cid, transport);
      await verifyChunk(entry, bytes, table.schema);
      return decodeChunk(entry, bytes);
    };
    for await (const batches of orderedPrefetch(table.chunks(), concurrency, fetchChunk, controller)) {
      yield* batches;
    }
  } finally {
    controller.abort();
    dispose();
  }
}

/** Collects record batches into one apache-arrow Table. */
export async function collectTable(batches) {
  const all = [];
  for await (const batch of batches) all.push(batch);
  return new Table(all);
}

/** The whole table, verified, as one apache-arrow Table (fetchTable's options). */
export async function readTable(cidOrName, options = {}) {
  return collectTable(fetchTable(cidOrName, options));
}
