// Test tables: built with apache-arrow, written as Arrow IPC streams for the CLI to put.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromArrays, tableToIPC } from 'apache-arrow';

/** A deterministic table of `rows` rows: id (int32), value (float64), label (utf8). */
export function makeTable(rows, seed = 1) {
  const id = new Int32Array(rows);
  const value = new Float64Array(rows);
  const label = new Array(rows);
  let state = seed >>> 0;
  for (let i = 0; i < rows; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    id[i] = i;
    value[i] = state / 2 ** 32;
    label[i] = `row-${i}-${(state % 100000).toString(36)}`;
  }
  return tableFromArrays({ id, value, label });
}

/** Writes a table as an Arrow IPC stream file in `dir` and returns its path. */
export function writeStream(dir, fileName, table) {
  const path = join(dir, fileName);
  writeFileSync(path, tableToIPC(table, 'stream'));
  return path;
}

/** The rows of a table (or record batches) as plain arrays, for comparing contents. */
export function rowsOf(tableOrBatches) {
  const out = [];
  const parts = Array.isArray(tableOrBatches) ? tableOrBatches : [tableOrBatches];
  for (const part of parts) {
    for (const row of part) out.push(row.toArray().map((v) => (typeof v === 'bigint' ? Number(v) : v)));
  }
  return out;
}
