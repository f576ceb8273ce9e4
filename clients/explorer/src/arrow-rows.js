// @ts-check
// The first rows of a verified chunk decoded by apache-arrow: the preview's reader for the types
// ipc-rows.js leaves to it (nested, dictionary, dates, decimals…). A chunk of its own in the bundle,
// loaded (with apache-arrow) only when a table has such a type, so a cold table page of flat
// columns never waits for it.
import { DataType } from 'apache-arrow';
import { decodeChunk } from '../../js/src/fetch.js';
import { hex, shorten } from './ipc-rows.js';

/**
 * The first `limit` rows of a verified chunk as cells (ipc-rows.js's ChunkRows), decoded with
 * apache-arrow, its row count checked against the entry.
 * @param {{ cid: any, rows?: number }} entry @param {Uint8Array} bytes @param {number} limit
 * @returns {import('./ipc-rows.js').ChunkRows}
 */
export function readArrowRows(entry, bytes, limit) {
  const batches = decodeChunk(entry, bytes);
  const fields = batches[0]?.schema.fields ?? [];
  /** @type {(import('./ipc-rows.js').Cell | null)[][]} */
  const cells = [];
  let rows = 0;
  for (const batch of batches) {
    for (let i = 0; i < batch.numRows && cells.length < limit; i++) {
      cells.push(fields.map((field, column) => cell(batch.getChildAt(column)?.get(i), field.type)));
    }
    rows += batch.numRows;
  }
  return { fields: fields.map((f) => ({ name: f.name, type: String(f.type) })), rows, cells };
}

/** @param {any} value @param {DataType} type @returns {import('./ipc-rows.js').Cell | null} */
function cell(value, type) {
  if (value === null || value === undefined) return null;
  const numeric = typeof value === 'number' || typeof value === 'bigint';
  return { text: formatValue(value, type), numeric: numeric && !DataType.isTimestamp(type) && !DataType.isDate(type) };
}

/** A value as text: dates in ISO form, bytes in hex, nested values as JSON; long text shortened. @param {any} value @param {DataType} [type] */
export function formatValue(value, type) {
  let text;
  if (type && (DataType.isTimestamp(type) || DataType.isDate(type)) && typeof value === 'number') text = new Date(value).toISOString();
  else if (typeof value === 'string') text = value;
  else if (typeof value === 'bigint' || typeof value === 'number' || typeof value === 'boolean') text = String(value);
  else if (value instanceof Uint8Array) text = hex(value);
  else if (value instanceof Date) text = value.toISOString();
  else text = JSON.stringify(typeof value.toJSON === 'function' ? value.toJSON() : value, (_, v) => (typeof v === 'bigint' ? v.toString() : v));
  return shorten(text);
}
