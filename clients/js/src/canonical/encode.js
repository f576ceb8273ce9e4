// The canonical IPC stream of one batch (docs/canonical-form.md §1–§3): the Schema message, one
// DictionaryBatch per dictionary (inner before outer), one RecordBatch, the end-of-stream marker.

import { FlatBufferBuilder } from './flatbuffer-builder.js';
import { takeBuilder } from './scratch.js';
import { Int32Transform, partOf } from './int32-transform.js';
import { T, UnsupportedTypeError, fixedWidth, isBinaryLike, isView, isListLike } from './types.js';

const textEncoder = new TextEncoder();
const MessageHeader = { Schema: 1, DictionaryBatch: 2, RecordBatch: 3 };
const V5 = 4;
const EOS = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);

function compareBytes(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** Custom metadata pairs sorted by key then value, comparing UTF-8 bytes. */
function sortedPairs(metadata) {
  if (!metadata || metadata.size === 0) return [];
  const pairs = [...metadata].map(([k, v]) => [textEncoder.encode(k), textEncoder.encode(v)]);
  pairs.sort((x, y) => compareBytes(x[0], y[0]) || compareBytes(x[1], y[1]));
  return pairs;
}

function metadataVector(b, metadata) {
  const pairs = sortedPairs(metadata);
  if (pairs.length === 0) return 0;
  const tables = pairs.map(([k, v]) => {
    const key = b.string(k);
    const value = b.string(v);
    b.startTable(2);
    b.fieldOffset(0, key);
    b.fieldOffset(1, value);
    return b.endTable();
  });
  return b.offsetVector(tables);
}

/** The type table of a (non-dictionary) type; returns [union tag, handle]. */
function typeTable(b, type) {
  const id = type.typeId;
  switch (id) {
    case T.Null: case T.Bool: case T.Binary: case T.Utf8: case T.LargeBinary: case T.LargeUtf8:
    case T.BinaryView: case T.Utf8View: case T.List: case T.LargeList: case T.Struct:
      b.startTable(0); return [id, b.endTable()];
    case T.Int:
      b.startTable(2); b.fieldInt32(0, type.bitWidth, 0); b.fieldBool(1, type.isSigned); return [id, b.endTable()];
    case T.Float:
      b.startTable(1); b.fieldInt16(0, type.precision, 0); return [id, b.endTable()];
    case T.Decimal:
      b.startTable(3); b.fieldInt32(0, type.precision, 0); b.fieldInt32(1, type.scale, 0);
      b.fieldInt32(2, type.bitWidth ?? 128, 128); return [id, b.endTable()];
    case T.Date:
      b.startTable(1); b.fieldInt16(0, type.unit, 1); return [id, b.endTable()];
    case T.Time:
      b.startTable(2); b.fieldInt16(0, type.unit, 1); b.fieldInt32(1, type.bitWidth, 32); return [id, b.endTable()];
    case T.Timestamp: {
      const tz = type.timezone === null || type.timezone === undefined ? 0 : b.string(type.timezone);
      b.startTable(2); b.fieldInt16(0, type.unit, 0);
      if (tz !== 0) b.fieldOffset(1, tz);
      return [id, b.endTable()];
    }
    case T.Duration:
      b.startTable(1); b.fieldInt16(0, type.unit, 1); return [id, b.endTable()];
    case T.Interval:
      b.startTable(1); b.fieldInt16(0, type.unit, 0); return [id, b.endTable()];
    case T.FixedSizeBinary:
      b.startTable(1); b.fieldInt32(0, type.byteWidth, 0); return [id, b.endTable()];
    case T.FixedSizeList:
      b.startTable(1); b.fieldInt32(0, type.listSize, 0); return [id, b.endTable()];
    case T.Map:
      b.startTable(1); b.fieldBool(0, type.keysSorted); return [id, b.endTable()];
    case T.Union: {
      const ids = new Uint8Array(Int32Array.from(type.typeIds).buffer);
      const vec = b.scalarVector(ids, 4);
      b.startTable(2); b.fieldInt16(0, type.mode, 0); b.fieldOffset(1, vec); return [id, b.endTable()];
    }
    default:
      throw new UnsupportedTypeError(type);
  }
}

function fieldTable(b, field, ids) {
  const dict = field.type.typeId === T.Dictionary ? field.type : null;
  const dictId = dict === null ? 0 : ids.next++;
  const valueType = dict === null ? field.type : dict.dictionary;
  const children = (valueType.children ?? []).map((child) => fieldTable(b, child, ids));
  const name = b.string(field.name ?? '');
  const [tag, type] = typeTable(b, valueType);
  let encoding = 0;
  if (dict !== null) {
    b.startTable(2); b.fieldInt32(0, dict.indices.bitWidth, 0); b.fieldBool(1, dict.indices.isSigned);
    const indexType = b.endTable();
    b.startTable(4); b.fieldInt64(0, dictId, 0); b.fieldOffset(1, indexType); b.fieldBool(2, dict.isOrdered);
    encoding = b.endTable();
  }
  const childVector = b.offsetVector(children);
  const metadata = metadataVector(b, field.metadata);
  b.startTable(7);
  b.fieldOffset(0, name);
  b.fieldBool(1, field.nullable);
  b.fieldUint8(2, tag, 0);
  b.fieldOffset(3, type);
  if (encoding !== 0) b.fieldOffset(4, encoding);
  b.fieldOffset(5, childVector);
  if (metadata !== 0) b.fieldOffset(6, metadata);
  return b.endTable();
}

function message(b, headerType, header, bodyLength) {
  b.startTable(4);
  b.fieldInt16(0, V5, 0, true);
  b.fieldUint8(1, headerType, 0);
  b.fieldOffset(2, header);
  b.fieldInt64(3, bodyLength, 0);
  return b.finish(b.endTable());
}

/** The flatbuffer of the canonical Schema message of an apache-arrow Schema. */
export function schemaFlatbuffer(schema) {
  const b = new FlatBufferBuilder();
  const ids = { next: 0 };
  const fields = schema.fields.map((f) => fieldTable(b, f, ids));
  const vector = b.offsetVector(fields);
  const metadata = metadataVector(b, schema.metadata);
  b.startTable(3);
  b.fieldOffset(1, vector);
  if (metadata !== 0) b.fieldOffset(2, metadata);
  return message(b, MessageHeader.Schema, b.endTable(), 0);
}

/** Field nodes and buffers of a canonical array, depth-first pre-order (§3). */
function collect(a, nodes, buffers, variadicCounts) {
  const id = a.type.typeId;
  const validity = a.nullCount > 0 && a.validity !== null ? a.validity : EMPTY;
  if (id === T.Null) { nodes.push(a.length, a.length); return; }
  if (id === T.Union) {
    nodes.push(a.length, 0);
    buffers.push(new Uint8Array(a.typeIds.buffer, a.typeIds.byteOffset, a.typeIds.byteLength));
    if (a.type.mode === 1) buffers.push(new Uint8Array(a.unionOffsets.buffer, a.unionOffsets.byteOffset, a.unionOffsets.byteLength));
    for (const c of a.children) collect(c, nodes, buffers, variadicCounts);
    return;
  }
  nodes.push(a.length, a.nullCount);
  buffers.push(validity);
  if (id === T.Dictionary || id === T.Bool || fixedWidth(a.type) > 0) buffers.push(a.values);
  else if (isBinaryLike(id)) buffers.push(partOf(a.offsets), a.data);
  else if (isView(id)) { buffers.push(a.views, ...a.variadic); variadicCounts.push(a.variadic.length); }
  else if (isListLike(id)) buffers.push(partOf(a.offsets));
  else if (id !== T.FixedSizeList && id !== T.Struct) throw new UnsupportedTypeError(a.type);
  for (const c of a.children) collect(c, nodes, buffers, variadicCounts);
}

const EMPTY = new Uint8Array(0);
const pad8 = (n) => (n + 7) & ~7;

/** A RecordBatch or DictionaryBatch message: [flatbuffer, buffers, bodyLength]. */
function batchMessage(length, arrays, dictionaryId) {
  const nodes = [];
  const buffers = [];
  const variadicCounts = [];
  for (const a of arrays) collect(a, nodes, buffers, variadicCounts);
  const b = takeBuilder(); // its bytes are a part of the block until the block is hashed
  const anyView = arrays.some(function hasView(a) {
    return isView(a.type.typeId) || a.children.some(hasView);
  });
  let variadic = 0;
  if (anyView) variadic = b.int64Vector(variadicCounts, 1);
  const bufferEntries = new Array(buffers.length * 2);
  let bodyLength = 0;
  for (let i = 0; i < buffers.length; i++) {
    bufferEntries[2 * i] = bodyLength;
    bufferEntries[2 * i + 1] = buffers[i].length;
    bodyLength += pad8(buffers[i].length);
  }
  const bufferVector = b.int64Vector(bufferEntries, 2);
  const nodeVector = b.int64Vector(nodes, 2);
  b.startTable(5);
  b.fieldInt64(0, length, 0);
  b.fieldOffset(1, nodeVector);
  b.fieldOffset(2, bufferVector);
  if (anyView) b.fieldOffset(4, variadic);
  let header = b.endTable();
  let headerType = MessageHeader.RecordBatch;
  if (dictionaryId !== null) {
    b.startTable(3);
    b.fieldInt64(0, dictionaryId, 0);
    b.fieldOffset(1, header);
    header = b.endTable();
    headerType = MessageHeader.DictionaryBatch;
  }
  return [message(b, headerType, header, bodyLength), buffers, bodyLength];
}

/** Dictionaries of the columns in emission order (inner before outer), ids in pre-order. */
function dictionaries(fields, columns) {
  const out = [];
  const ids = { next: 0 };
  const visit = (type, a) => {
    if (type.typeId === T.Dictionary) {
      const id = ids.next++;
      (type.dictionary.children ?? []).forEach((f, k) => visit(f.type, a.dictionary.children[k]));
      out.push([id, a.dictionary]);
    } else {
      (type.children ?? []).forEach((f, k) => visit(f.type, a.children[k]));
    }
  };
  fields.forEach((f, k) => visit(f.type, columns[k]));
  return out;
}

const ZEROS = new Uint8Array(8);

/**
 * The canonical bytes of one batch as the parts that follow each other in it, without copying the
 * buffers (§1–§3): byte arrays, and Int32Transforms (chunks' offsets and dictionary indices) whose
 * bytes joinParts writes; `schemaFb` the schema flatbuffer (schemaFlatbuffer), `fields` the
 * schema's fields, `columns` canonical arrays (normalize.js), `length` the rows.
 * Returns { parts, byteLength }.
 */
export function batchParts(schemaFb, fields, columns, length) {
  const messages = [[schemaFb, [], 0]];
  for (const [id, values] of dictionaries(fields, columns)) messages.push(batchMessage(values.length, [values], id));
  messages.push(batchMessage(length, columns, null));
  const parts = [];
  let byteLength = 0;
  for (const [fb, buffers] of messages) {
    const prefix = new Uint8Array(8);
    const dv = new DataView(prefix.buffer);
    dv.setUint32(0, 0xffffffff, true);
    dv.setInt32(4, fb.length, true);
    parts.push(prefix, fb);
    byteLength += 8 + fb.length;
    for (const buf of buffers) {
      const padded = pad8(buf.length);
      if (buf.length > 0) parts.push(buf);
      if (padded > buf.length) parts.push(ZEROS.subarray(0, padded - buf.length));
      byteLength += padded;
    }
  }
  parts.push(EOS);
  byteLength += EOS.length;
  return { parts, byteLength };
}

/** Writes parts (batchParts) one after the other into `out` (of their total length); returns out. */
export function joinParts(parts, out) {
  let at = 0;
  for (const part of parts) {
    if (part instanceof Int32Transform) part.writeTo(out, at);
    else out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * The canonical bytes of one batch (batchParts's arguments) in one array; with `scratch`
 * ({ bytes }) written into scratch.bytes (grown when short) and returned as a view.
 */
export function encodeBatch(schemaFb, fields, columns, length, scratch = null) {
  const { parts, byteLength } = batchParts(schemaFb, fields, columns, length);
  let out;
  if (scratch === null) {
    out = new Uint8Array(byteLength);
  } else {
    if (scratch.bytes.length < byteLength) scratch.bytes = new Uint8Array(Math.max(byteLength, Math.ceil(scratch.bytes.length * 1.5)));
    out = scratch.bytes.subarray(0, byteLength);
  }
  return joinParts(parts, out);
}
