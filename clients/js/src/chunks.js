// A table's verified chunk blocks through a node's HTTP gateway (docs/js.md, docs/http.md): names
// resolved, blocks by CID, each hashed against its CID, the manifest tree checked, chunks yielded
// as bytes, not decoded. No apache-arrow here: fetch.js decodes (fetchTable), and a page that reads
// the bytes itself (the explorer's first rows) loads none of it.
import { gatewayBase, gatewayJson, getRawBlock, linkedAbort, namePath } from './http.js';
import { resolveName } from './names.js';
import { openTable, toCid, verifyChunk } from './manifest.js';
import { ArrowCidError } from './errors.js';

const DEFAULT_CONCURRENCY = 8;

/** Splits `NAME@N` into the name and version N (undefined for the latest). */
export function parseNameRef(ref) {
  const match = /^(.*)@(\d+)$/.exec(ref);
  return match ? { name: match[1], version: Number(match[2]) } : { name: ref, version: undefined };
}

/**
 * The versions of a table name: `{ name, latest, versions: [{ name, version, cid, created, rows }] }`
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

/**
 * The CID a table reference names: a CID (text or object) as is, `NAME` or `NAME@N` through the
 * gateway, or `/ipns/k51…`: the table its signed record names, once the record and its chain verify.
 */
export async function resolveTable(cidOrName, options = {}) {
  const cid = toCid(cidOrName);
  if (cid) return cid;
  if (typeof cidOrName !== 'string' || cidOrName === '') throw new TypeError('a table is named by a CID or a dataset name');
  if (cidOrName.startsWith('/ipns/')) return (await resolveName(cidOrName, options)).table;
  const { name, version } = parseNameRef(cidOrName);
  const listing = await versions(name, options);
  return chooseVersion(name, version, listing.versions ?? []);
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
 * An async iterable of the table's chunk blocks, in row order, as `{ entry, bytes }` (`entry` the
 * manifest's `{ cid, rows, bytes }`), each yielded once it has arrived and its hash, length and
 * schema message are verified; not yet decoded, so it needs no apache-arrow (decodeChunk decodes
 * one and checks its row count). fetchTable's options.
 */
export async function* fetchChunks(cidOrName, options = {}) {
  const { gateway, token, signal, fetch: fetchImpl } = options;
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? DEFAULT_CONCURRENCY));
  const { controller, dispose } = linkedAbort(signal);
  try {
    const transport = { gateway, token, signal: controller.signal, fetchImpl };
    const cid = await resolveTable(cidOrName, { gateway, token, signal: controller.signal, fetch: fetchImpl });
    const table = await openTable(cid, (c) => getRawBlock(c, transport), { maxChunks: options.maxChunks });
    const fetchChunk = async (entry) => {
      const bytes = await getRawBlock(entry.cid, transport);
      await verifyChunk(entry, bytes, table.schema);
      return { entry, bytes };
    };
    yield* orderedPrefetch(table.chunks(), concurrency, fetchChunk, controller);
  } finally {
    controller.abort();
    dispose();
  }
}
