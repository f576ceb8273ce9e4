// @ts-check
// The first rows of a verified chunk read straight from its Arrow IPC stream bytes, for the preview
// of a cold table page: apache-arrow's own flatbuffer tables (a few KB of its code) read the
// messages, and only the cells shown are read from the body. Flat columns of the common types are
// read here; for any other type (nested, dictionary, dates, decimals…) readIpcRows answers
// undefined and the page loads apache-arrow's full reader (arrow-rows.js) instead, which a cold page
// then waits for.
import { ByteBuffer } from 'flatbuffers';
import { Message } from 'apache-arrow/fb/message';
import { Schema } from 'apache-arrow/fb/schema';
import { RecordBatch } from 'apache-arrow/fb/record-batch';
import { Field } from 'apache-arrow/fb/field';
import { Int } from 'apache-arrow/fb/int';
import { FloatingPoint } from 'apache-arrow/fb/floating-point';
import { BlockVerificationError } from '../../js/src/errors.js';

/**
 * What the preview grid shows of a chunk: its fields (name and type as apache-arrow writes it), the
 * rows the chunk holds, and the first rows as cells (null for a null value).
 * @typedef {{ text: string, numeric: boolean }} Cell
 * @typedef {{ fields: { name: string, type: string }[], rows: number, cells: (Cell | null)[][] }} ChunkRows
 */

// Schema.fbs's Type and MessageHeader values, and FloatingPoint's Precision.
const TYPE_NULL = 1;
const TYPE_INT = 2;
const TYPE_FLOAT = 3;
const TYPE_BINARY = 4;
const TYPE_UTF8 = 5;
const TYPE_BOOL = 6;
const TYPE_LARGE_BINARY = 19;
const TYPE_LARGE_UTF8 = 20;
const HEADER_SCHEMA = 1;
const HEADER_RECORD_BATCH = 3;
const PRECISION_SINGLE = 1;
const PRECISION_DOUBLE = 2;

/** The longest text a cell shows. */
const cellChars = 200;

/** A cell's text, shortened past 200 characters (as the grid shows every value). @param {string} text */
export const shorten = (text) => (text.length > cellChars ? `${text.slice(0, cellChars)}…` : text);

/** Bytes as hex: the first 32, then an ellipsis. @param {Uint8Array} value */
export const hex = (value) => `0x${Array.from(value.subarray(0, 32), (b) => b.toString(16).padStart(2, '0')).join('')}${value.length > 32 ? '…' : ''}`;

/**
 * A column this reader reads: its type's name (as apache-arrow's DataType.toString() writes it) and
 * how one value is read from the body: `value(column, index)` → a cell or null.
 * @typedef {{ type: string, buffers: number, read: (body: DataView, buffers: { offset: number, length: number }[], index: number) => Cell }} ColumnReader
 */

const utf8 = new TextDecoder();

/**
 * A reader for `field`'s type, or undefined when it is not one of the flat types read here.
 * @param {Field} field
 * @returns {ColumnReader | undefined}
 */
function columnReader(field) {
  if (field.dictionary() || field.childrenLength() > 0) return undefined;
  switch (field.typeType()) {
    case TYPE_NULL:
      // No buffers at all: every value is null (handled by the caller).
      return { type: 'Null', buffers: 0, read: () => ({ text: 'null', numeric: false }) };
    case TYPE_BOOL:
      return { type: 'Bool', buffers: 2, read: (body, b, i) => ({ text: String(bit(body, b[1], i)), numeric: false }) };
    case TYPE_INT: {
      const int = /** @type {Int} */ (field.type(new Int()));
      const width = int.bitWidth();
      const signed = int.isSigned();
      const type = `${signed ? 'I' : 'Ui'}nt${width}`;
      /** @type {(v: DataView, at: number) => number | bigint} */
      const get = {
        8: signed ? (v, at) => v.getInt8(at) : (v, at) => v.getUint8(at),
        16: signed ? (v, at) => v.getInt16(at, true) : (v, at) => v.getUint16(at, true),
        32: signed ? (v, at) => v.getInt32(at, true) : (v, at) => v.getUint32(at, true),
        64: signed ? (v, at) => v.getBigInt64(at, true) : (v, at) => v.getBigUint64(at, true),
      }[width];
      if (!get) return undefined;
      const size = width / 8;
      return { type, buffers: 2, read: (body, b, i) => ({ text: String(get(body, fixed(b[1], i, size))), numeric: true }) };
    }
    case TYPE_FLOAT: {
      const precision = /** @type {FloatingPoint} */ (field.type(new FloatingPoint())).precision();
      if (precision === PRECISION_SINGLE) return { type: 'Float32', buffers: 2, read: (body, b, i) => ({ text: String(body.getFloat32(fixed(b[1], i, 4), true)), numeric: true }) };
      if (precision === PRECISION_DOUBLE) return { type: 'Float64', buffers: 2, read: (body, b, i) => ({ text: String(body.getFloat64(fixed(b[1], i, 8), true)), numeric: true }) };
      return undefined;
    }
    case TYPE_UTF8:
    case TYPE_LARGE_UTF8:
    case TYPE_BINARY:
    case TYPE_LARGE_BINARY: {
      const id = field.typeType();
      const large = id === TYPE_LARGE_UTF8 || id === TYPE_LARGE_BINARY;
      const text = id === TYPE_UTF8 || id === TYPE_LARGE_UTF8;
      const type = `${large ? 'Large' : ''}${text ? 'Utf8' : 'Binary'}`;
      return {
        type,
        buffers: 3,
        read: (body, b, i) => {
          const start = offset(body, b[1], i, large);
          const end = offset(body, b[1], i + 1, large);
          if (end < start || end > b[2].length) throw new Error(`value ${i} runs past its data buffer`);
          const value = new Uint8Array(body.buffer, body.byteOffset + b[2].offset + start, end - start);
          return { text: shorten(text ? utf8.decode(value) : hex(value)), numeric: false };
        },
      };
    }
    default:
      return undefined;
  }
}

/** @param {DataView} body @param {{ offset: number, length: number }} buffer @param {number} i */
function bit(body, buffer, i) {
  if ((i >> 3) >= buffer.length) throw new Error(`bit ${i} is past its buffer`);
  return ((body.getUint8(buffer.offset + (i >> 3)) >> (i & 7)) & 1) === 1;
}

/** The body position of value `i` of `size` bytes. @param {{ offset: number, length: number }} buffer @param {number} i @param {number} size */
function fixed(buffer, i, size) {
  if ((i + 1) * size > buffer.length) throw new Error(`value ${i} is past its buffer`);
  return buffer.offset + i * size;
}

/** Offset `i` of an offsets buffer (32- or 64-bit). @param {DataView} body @param {{ offset: number, length: number }} buffer @param {number} i @param {boolean} large */
function offset(body, buffer, i, large) {
  const at = fixed(buffer, i, large ? 8 : 4);
  return large ? Number(body.getBigInt64(at, true)) : body.getInt32(at, true);
}

/**
 * The messages of an Arrow IPC stream: each one's flatbuffer and body, up to the end-of-stream
 * marker or the end of the bytes.
 * @param {Uint8Array} bytes
 * @returns {Generator<{ message: Message, body: DataView }>}
 */
function* messages(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  while (at + 4 <= bytes.length) {
    let length = view.getInt32(at, true);
    at += 4;
    // The continuation marker, then the length (a stream written before it has the length alone).
    if (length === -1) {
      if (at + 4 > bytes.length) throw new Error('the stream ends inside a message length');
      length = view.getInt32(at, true);
      at += 4;
    }
    if (length === 0) return;
    if (length < 0 || at + length > bytes.length) throw new Error(`a message of ${length} bytes runs past the stream`);
    const message = Message.getRootAsMessage(new ByteBuffer(bytes.subarray(at, at + length)));
    at += length;
    const bodyLength = Number(message.bodyLength());
    if (bodyLength < 0 || at + bodyLength > bytes.length) throw new Error(`a body of ${bodyLength} bytes runs past the stream`);
    yield { message, body: new DataView(bytes.buffer, bytes.byteOffset + at, bodyLength) };
    at += bodyLength;
  }
}

/**
 * The first `limit` rows of a verified chunk `bytes` (manifest entry `entry`) as cells, read without
 * apache-arrow's reader, and the rows it holds (checked against the entry, as decodeChunk does:
 * a BlockVerificationError when they differ or the bytes are no Arrow IPC stream). Undefined when
 * the chunk has a type, a dictionary or compression this reader leaves to apache-arrow.
 * @param {{ cid: any, rows?: number }} entry @param {Uint8Array} bytes @param {number} limit
 * @returns {ChunkRows | undefined}
 */
export function readIpcRows(entry, bytes, limit) {
  try {
    return readRows(entry, bytes, limit);
  } catch (error) {
    if (error instanceof BlockVerificationError) throw error;
    throw new BlockVerificationError(entry.cid, `not an Arrow IPC stream (${error instanceof Error ? error.message : error})`, { cause: error });
  }
}

/** @param {{ cid: any, rows?: number }} entry @param {Uint8Array} bytes @param {number} limit @returns {ChunkRows | undefined} */
function readRows(entry, bytes, limit) {
  /** @type {{ name: string, reader: ColumnReader }[] | undefined} */
  let columns;
  /** @type {(Cell | null)[][]} */
  const cells = [];
  let rows = 0;
  for (const { message, body } of messages(bytes)) {
    const header = message.headerType();
    if (header === HEADER_SCHEMA) {
      if (columns) throw new Error('a second schema message');
      const schema = /** @type {Schema} */ (message.header(new Schema()));
      columns = [];
      for (let i = 0; i < schema.fieldsLength(); i++) {
        const field = /** @type {Field} */ (schema.fields(i, new Field()));
        const reader = columnReader(field);
        if (!reader) return undefined;
        columns.push({ name: field.name() ?? '', reader });
      }
    } else if (header === HEADER_RECORD_BATCH) {
      if (!columns) throw new Error('a record batch before the schema');
      const batch = /** @type {RecordBatch} */ (message.header(new RecordBatch()));
      if (batch.compression()) return undefined;
      const length = Number(batch.length());
      if (!Number.isSafeInteger(length) || length < 0) throw new Error(`a batch of ${length} rows`);
      if (cells.length < limit) readBatch(batch, body, columns, Math.min(length, limit - cells.length), cells);
      rows += length;
    } else {
      // Dictionary batches (and anything else) are apache-arrow's to read.
      return undefined;
    }
  }
  if (!columns) throw new Error('no schema message');
  if (entry.rows !== undefined && rows !== entry.rows) throw new BlockVerificationError(entry.cid, `${rows} rows where the manifest says ${entry.rows}`);
  return { fields: columns.map((c) => ({ name: c.name, type: c.reader.type })), rows, cells };
}

/**
 * Appends the first `count` rows of one record batch to `cells`.
 * @param {RecordBatch} batch @param {DataView} body @param {{ reader: ColumnReader }[]} columns @param {number} count @param {(Cell | null)[][]} cells
 */
function readBatch(batch, body, columns, count, cells) {
  if (batch.nodesLength() !== columns.length) throw new Error(`${batch.nodesLength()} field nodes for ${columns.length} fields`);
  /** @type {{ offset: number, length: number }[]} */
  const buffers = [];
  for (let i = 0; i < batch.buffersLength(); i++) {
    const b = /** @type {import('apache-arrow/fb/buffer').Buffer} */ (batch.buffers(i));
    const bufferOffset = Number(b.offset());
    const bufferLength = Number(b.length());
    if (bufferOffset < 0 || bufferLength < 0 || bufferOffset + bufferLength > body.byteLength) throw new Error(`buffer ${i} runs past the body`);
    buffers.push({ offset: bufferOffset, length: bufferLength });
  }
  /** @type {{ reader: ColumnReader, buffers: { offset: number, length: number }[], nulls: number }[]} */
  const laid = [];
  let next = 0;
  columns.forEach(({ reader }, k) => {
    const node = /** @type {import('apache-arrow/fb/field-node').FieldNode} */ (batch.nodes(k));
    if (Number(node.length()) !== Number(batch.length())) throw new Error(`field ${k} has ${node.length()} rows in a batch of ${batch.length()}`);
    if (next + reader.buffers > buffers.length) throw new Error(`field ${k} has no buffers left`);
    laid.push({ reader, buffers: buffers.slice(next, next + reader.buffers), nulls: Number(node.nullCount()) });
    next += reader.buffers;
  });
  if (next !== buffers.length) throw new Error(`${buffers.length} buffers for ${next}`);
  for (let i = 0; i < count; i++) {
    cells.push(laid.map(({ reader, buffers: b, nulls }) => {
      if (reader.type === 'Null') return null;
      // The validity bitmap may be left out (length 0) when the column has no nulls.
      if (nulls > 0 && b[0].length > 0 && !bit(body, b[0], i)) return null;
      return reader.read(body, b, i);
    }));
  }
}
