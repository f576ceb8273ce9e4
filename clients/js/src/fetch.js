// Verified fetch of a table through a node's HTTP gateway (docs/js.md, docs/http.md): the verified
// chunk blocks of chunks.js, decoded with apache-arrow.
import { RecordBatchReader, Table } from 'apache-arrow';
import { BlockVerificationError } from './errors.js';
import { fetchChunks } from './chunks.js';

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
 * An async iterable of the table's apache-arrow RecordBatches, in row order, each yielded once
 * its chunk has arrived and verified. Options: gateway (base URL), token, signal, concurrency
 * (chunks fetched at once, default 8), fetch (a fetch implementation).
 */
export async function* fetchTable(cidOrName, options = {}) {
  for await (const { entry, bytes } of fetchChunks(cidOrName, options)) {
    yield* decodeChunk(entry, bytes);
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
