// Test tables: built with apache-arrow, written as Arrow IPC streams for the CLI to put.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Table, tableFromArrays, tableToIPC } from 'apache-arrow';

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

/** A table's (or record batches') contents as one array per column, for comparing contents quickly. */
export function rowsOf(tableOrBatches) {
  const table = Array.isArray(tableOrBatches) ? new Table(tableOrBatches) : tableOrBatches;
  const columns = {};
  for (const field of table.schema.fields) {
    const values = table.getChild(field.name).toArray();
    columns[field.name] = ArrayBuffer.isView(values) ? Array.from(values) : values;
  }
  return { rows: table.numRows, columns };
}
