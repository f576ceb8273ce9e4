// cidOf: the CID of an apache-arrow Table by docs/canonical-form.md — one chunk: the raw CID of
// its canonical batch; more: the root of the version-2 manifest tree over the chunks.

import { RecordBatchReader } from 'apache-arrow';
import { CID } from 'multiformats/cid';
import { sha256 } from 'multiformats/hashes/sha2';
import { digestsInFlight, startDigest } from './canonical/block-digest.js';
import { chunkTable, fieldsOf, schemaMessage } from './chunking/table-chunker.js';
import { buildManifestTree } from './chunking/manifest-tree.js';
import { canonicalize } from './canonical/normalize.js';
import { encodeBatch, schemaFlatbuffer } from './canonical/encode.js';

const RAW = 0x55;

/**
 * Reads Arrow IPC bytes (file or stream) as { schema, batches, numRows }, which cidOf and
 * describeTable take like a Table. Prefer it to apache-arrow's tableFromIPC: a Table merges
 * fields of the same name (their types and nullability), a reader's schema keeps them.
 */
export function readArrowIpc(bytes) {
  const reader = RecordBatchReader.from(bytes).open();
  const schema = reader.schema; // read before iterating: a finished reader forgets it
  const batches = [...reader];
  return { schema, batches, numRows: batches.reduce((s, b) => s + b.numRows, 0) };
}

/** The raw CID (CIDv1, raw, sha2-256) of bytes. */
export async function rawCid(bytes) {
  return CID.createV1(RAW, await sha256.digest(bytes));
}

/**
 * Chunks, names and (with `{ blocks: true }`) keeps the blocks of a table (an apache-arrow Table,
 * or { schema, batches, numRows } as readArrowIpc gives):
 * { cid, rows, bytes, chunks: [{ cid, firstRow, rows, bytes }], manifestBytes, blocks? }.
 * Each chunk's block is hashed off this thread (block-digest.js) while the next one is encoded.
 */
export async function describeTable(table, options = {}) {
  const chunks = [];
  const kept = options.blocks ? [] : null;
  const inFlight = [];
  let inFlightBytes = 0; // of the blocks whose digests are in inFlight
  const context = await chunkTable(table, async (block, firstRow, rows) => {
    const chunk = { cid: undefined, firstRow, rows, bytes: block.byteLength };
    chunks.push(chunk);
    let digest;
    if (kept === null) {
      digest = block.digest();
    } else {
      const bytes = block.bytes();
      kept.push(bytes);
      digest = startDigest(bytes);
    }
    const named = digest.then((d) => { chunk.cid = CID.createV1(RAW, d); });
    // Awaited in order below (or not, when chunking fails); the no-op keeps a failure that comes
    // before its turn from being an unhandled rejection.
    named.catch(() => {});
    inFlight.push(named);
    inFlightBytes += chunk.bytes;
    const limit = digestsInFlight(kept === null);
    while (inFlight.length > limit.count || (inFlight.length > 1 && inFlightBytes > limit.bytes)) {
      await inFlight.shift();
      inFlightBytes -= chunks[chunks.length - 1 - inFlight.length].bytes;
    }
  });
  for (const named of inFlight) await named;
  const blocks = kept === null ? null : new Map(chunks.map((c, i) => [c.cid.toString(), kept[i]]));
  const rows = table.numRows;
  const bytes = chunks.reduce((s, c) => s + c.bytes, 0);
  if (chunks.length === 1) return { cid: chunks[0].cid, rows, bytes, chunks, manifestBytes: 0, ...(blocks ? { blocks } : {}) };
  const { root, nodes } = await buildManifestTree(chunks, schemaMessage(context.schemaFb));
  if (blocks !== null) for (const node of nodes) blocks.set(node.cid.toString(), node.bytes);
  return { cid: root.cid, rows, bytes, chunks, manifestBytes: root.bytes.length, ...(blocks ? { blocks } : {}) };
}

/** The table CID of an apache-arrow Table (the same as `arrowcid cid` of the same rows). */
export async function cidOf(table) {
  return (await describeTable(table)).cid;
}

/** The canonical bytes of all rows of a Table (or RecordBatch) as one batch, unchunked (§1–§4). */
export function canonicalBatchBytes(tableOrBatch) {
  const batches = 'batches' in tableOrBatch ? tableOrBatch.batches : [tableOrBatch];
  const fields = fieldsOf({ schema: tableOrBatch.schema, batches });
  const columns = fields.map((field, k) => canonicalize(field.type,
    batches.filter((b) => b.numRows > 0).map((b) => ({ data: b.data.children[k], start: 0, len: b.numRows }))));
  const rows = batches.reduce((s, b) => s + b.numRows, 0);
  return encodeBatch(schemaFlatbuffer({ fields, metadata: tableOrBatch.schema.metadata }), fields, columns, rows);
}
