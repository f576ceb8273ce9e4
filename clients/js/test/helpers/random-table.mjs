// Random apache-arrow tables over every type apache-arrow builds, from a seed: nulls everywhere,
// NaNs and -0.0, strings on both sides of 12 bytes, repeats for dictionaries, several batches and
// slices (so buffers have offsets).
import * as arrow from 'apache-arrow';

/** mulberry32: a small seeded PRNG giving floats in [0, 1). */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ['', 'a', 'bb', 'héllo', '中文字', 'twelve bytes', 'thirteen byte', 'a considerably longer string value'];
const f = (name, type, nullable = true) => new arrow.Field(name, type, nullable);

export const KINDS = [
  ['int8', () => new arrow.Int8(), (r) => Math.floor(r() * 256) - 128],
  ['int16', () => new arrow.Int16(), (r) => Math.floor(r() * 65536) - 32768],
  ['int32', () => new arrow.Int32(), (r) => Math.floor(r() * 2 ** 32) - 2 ** 31],
  ['int64', () => new arrow.Int64(), (r) => BigInt(Math.floor(r() * 2 ** 53)) - 2n ** 52n],
  ['uint8', () => new arrow.Uint8(), (r) => Math.floor(r() * 256)],
  ['uint16', () => new arrow.Uint16(), (r) => Math.floor(r() * 65536)],
  ['uint32', () => new arrow.Uint32(), (r) => Math.floor(r() * 2 ** 32)],
  ['uint64', () => new arrow.Uint64(), (r) => BigInt(Math.floor(r() * 2 ** 53)) * 2048n],
  ['float16', () => new arrow.Float16(), (r) => [NaN, -0, 0, 1.5, -2.25, Infinity][Math.floor(r() * 6)]],
  ['float32', () => new arrow.Float32(), (r) => (r() < 0.2 ? [NaN, -0, Infinity][Math.floor(r() * 3)] : Math.fround(r() * 1000 - 500))],
  ['float64', () => new arrow.Float64(), (r) => (r() < 0.2 ? [NaN, -0, -Infinity][Math.floor(r() * 3)] : r() * 1e6 - 5e5)],
  ['bool', () => new arrow.Bool(), (r) => r() < 0.5],
  ['utf8', () => new arrow.Utf8(), (r) => WORDS[Math.floor(r() * WORDS.length)]],
  ['large_utf8', () => new arrow.LargeUtf8(), (r) => WORDS[Math.floor(r() * WORDS.length)]],
  ['binary', () => new arrow.Binary(), (r) => Uint8Array.from({ length: Math.floor(r() * 20) }, () => Math.floor(r() * 256))],
  ['large_binary', () => new arrow.LargeBinary(), (r) => Uint8Array.from({ length: Math.floor(r() * 20) }, () => Math.floor(r() * 256))],
  ['utf8_view', () => new arrow.Utf8View(), (r) => WORDS[Math.floor(r() * WORDS.length)]],
  ['binary_view', () => new arrow.BinaryView(), (r) => Uint8Array.from({ length: Math.floor(r() * 30) }, () => Math.floor(r() * 256))],
  ['fixed_size_binary', () => new arrow.FixedSizeBinary(3), (r) => Uint8Array.from({ length: 3 }, () => Math.floor(r() * 256))],
  ['date_day', () => new arrow.DateDay(), (r) => new Date(Math.floor(r() * 2e4 - 1e4) * 86400000)],
  ['date_ms', () => new arrow.DateMillisecond(), (r) => new Date(Math.floor(r() * 2e12))],
  ['timestamp_ms_utc', () => new arrow.TimestampMillisecond('UTC'), (r) => Math.floor(r() * 2e12)],
  ['timestamp_s', () => new arrow.TimestampSecond(), (r) => Math.floor(r() * 2e9) * 1000],
  ['time_ms', () => new arrow.TimeMillisecond(), (r) => Math.floor(r() * 86400000)],
  ['time_ns', () => new arrow.TimeNanosecond(), (r) => BigInt(Math.floor(r() * 86400)) * 1000000000n],
  ['duration_us', () => new arrow.DurationMicrosecond(), (r) => BigInt(Math.floor(r() * 2 ** 40))],
  ['interval_ym', () => new arrow.IntervalYearMonth(), (r) => Int32Array.of(Math.floor(r() * 1000))],
  ['decimal', () => new arrow.Decimal(2, 10, 128), (r) => Uint32Array.of(Math.floor(r() * 2 ** 32), 0, 0, 0)],
  ['null', () => new arrow.Null(), () => null],
  ['list_int32', () => new arrow.List(f('item', new arrow.Int32())), (r) => Array.from({ length: Math.floor(r() * 4) }, () => (r() < 0.2 ? null : Math.floor(r() * 100 - 50)))],
  ['large_list_utf8', () => new arrow.LargeList(f('item', new arrow.Utf8())), (r) => Array.from({ length: Math.floor(r() * 3) }, () => WORDS[Math.floor(r() * WORDS.length)])],
  ['fixed_size_list', () => new arrow.FixedSizeList(2, f('item', new arrow.Int16())), (r) => [Math.floor(r() * 18 - 9), r() < 0.2 ? null : Math.floor(r() * 18 - 9)]],
  ['struct', () => new arrow.Struct([f('a', new arrow.Int32()), f('b', new arrow.Utf8())]), (r) => ({ a: r() < 0.2 ? null : Math.floor(r() * 100), b: r() < 0.2 ? null : WORDS[Math.floor(r() * WORDS.length)] })],
  ['map', () => new arrow.Map_(f('entries', new arrow.Struct([f('key', new arrow.Utf8(), false), f('value', new arrow.Int32())]), false)),
    (r) => new Map(Array.from({ length: Math.floor(r() * 3) }, (_, i) => [`k${i}${WORDS[Math.floor(r() * 4)]}`, r() < 0.2 ? null : Math.floor(r() * 50)]))],
  ['dictionary_int8', () => new arrow.Dictionary(new arrow.Utf8(), new arrow.Int8()), (r) => WORDS[Math.floor(r() * 4)]],
  ['dictionary_int32', () => new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32()), (r) => WORDS[Math.floor(r() * WORDS.length)]],
  ['dictionary_int64_values', () => new arrow.Dictionary(new arrow.Int64(), new arrow.Uint16()), (r) => BigInt(Math.floor(r() * 5))],
  ['list_of_struct', () => new arrow.List(f('item', new arrow.Struct([f('x', new arrow.Float64()), f('y', new arrow.Utf8())]))),
    (r) => Array.from({ length: Math.floor(r() * 3) }, () => (r() < 0.15 ? null : { x: r() < 0.2 ? null : r(), y: WORDS[Math.floor(r() * 3)] }))],
  ['struct_of_list', () => new arrow.Struct([f('l', new arrow.List(f('item', new arrow.Int8()))), f('d', new arrow.Dictionary(new arrow.Utf8(), new arrow.Int16()))]),
    (r) => ({ l: r() < 0.2 ? null : [Math.floor(r() * 9), Math.floor(r() * 9)].slice(0, Math.floor(r() * 3)), d: r() < 0.2 ? null : WORDS[Math.floor(r() * 3)] })],
  ['sparse_union', () => new arrow.SparseUnion([5, 2], [f('i', new arrow.Int32()), f('s', new arrow.Utf8())]), (r) => (r() < 0.5 ? Math.floor(r() * 100) : WORDS[Math.floor(r() * 4)])],
  ['dense_union', () => new arrow.DenseUnion([5, 2], [f('i', new arrow.Int32()), f('s', new arrow.Utf8())]), (r) => (r() < 0.5 ? Math.floor(r() * 100) : WORDS[Math.floor(r() * 4)])],
];

const unionChild = (builder, value) => (typeof value === 'number' ? 5 : 2);

/**
 * A view column built by hand (apache-arrow 21's view builder leaves the views buffer short when
 * nulls are appended): values of more than 12 bytes go to one of two data buffers, in turns, at
 * a gap, so the layout is not the canonical one.
 */
function viewData(type, values) {
  const n = values.length;
  const views = new Uint8Array(16 * n);
  const dv = new DataView(views.buffer);
  const valid = new Uint8Array((n + 7) >> 3);
  const buffers = [[], []];
  const sizes = [3, 0];
  let nulls = 0;
  values.forEach((v, i) => {
    if (v === null) { nulls++; return; }
    valid[i >> 3] |= 1 << (i & 7);
    const bytes = typeof v === 'string' ? new TextEncoder().encode(v) : v;
    dv.setInt32(16 * i, bytes.length, true);
    if (bytes.length <= 12) { views.set(bytes, 16 * i + 4); return; }
    const b = i % 2;
    views.set(bytes.subarray(0, 4), 16 * i + 4);
    dv.setInt32(16 * i + 8, b, true);
    dv.setInt32(16 * i + 12, sizes[b], true);
    buffers[b].push(bytes);
    sizes[b] += bytes.length;
  });
  const variadicBuffers = buffers.map((parts, b) => {
    const out = new Uint8Array(sizes[b]);
    let at = b === 0 ? 3 : 0;
    for (const part of parts) { out.set(part, at); at += part.length; }
    return out;
  });
  return arrow.makeData({ type, length: n, nullCount: nulls, nullBitmap: nulls > 0 ? valid : null, views, variadicBuffers });
}

/** One column of values as an apache-arrow Data. */
export function columnData(type, values) {
  if (arrow.DataType.isUtf8View(type) || arrow.DataType.isBinaryView(type)) return viewData(type, values);
  if (arrow.DataType.isSparseUnion(type)) {
    // apache-arrow's union builder leaves the unselected children short; build it whole.
    const typeIds = Int8Array.from(values, (v) => unionChild(null, v));
    const children = type.children.map((field, k) => columnData(field.type, values.map((v, i) => (typeIds[i] === type.typeIds[k] ? v : null))));
    return arrow.makeData({ type, length: values.length, nullCount: 0, typeIds, children });
  }
  const builder = arrow.makeBuilder({ type, nullValues: [null], valueToChildTypeId: unionChild });
  for (const v of values) builder.append(v);
  return builder.finish().flush();
}

/**
 * A random table: 1–4 columns of random kinds (or `kinds`), `rows` rows cut into random batches,
 * some of them slices of larger batches; nulls with probability `nullRate`.
 */
export function randomTable(seed, { rows, kinds, nullRate = 0.2 } = {}) {
  const r = prng(seed);
  const chosen = kinds ?? Array.from({ length: 1 + Math.floor(r() * 4) }, () => KINDS[Math.floor(r() * KINDS.length)]);
  const fields = chosen.map(([name, type], i) => f(`${name}_${i}`, type(), name === 'null' || r() < 0.9));
  const metadata = r() < 0.5 ? new Map([['z', 'last'], ['a', 'first'], ['seed', String(seed)]]) : new Map();
  const schema = new arrow.Schema(fields, metadata);
  const total = rows ?? Math.floor(r() * 60);
  const valueOf = (kind, field) => (field.nullable && r() < nullRate ? null : kind[2](r));
  const batches = [];
  for (let done = 0; done < total || (total === 0 && batches.length === 0);) {
    const n = total === 0 ? 0 : Math.min(total - done, 1 + Math.floor(r() * Math.max(1, total / 2)));
    // Build a larger batch and slice it, so the rows sit at an offset in their buffers (not for
    // null, union and view columns: apache-arrow's IPC writer writes their slices wrongly).
    const pad = r() < 0.5 && !chosen.some((k) => /^(null|sparse_union|dense_union|utf8_view|binary_view)$/.test(k[0])) ? Math.floor(r() * 5) : 0;
    const children = chosen.map((kind, c) => columnData(fields[c].type, Array.from({ length: n + 2 * pad }, () => valueOf(kind, fields[c]))));
    const data = arrow.makeData({ type: new arrow.Struct(fields), length: n + 2 * pad, nullCount: 0, children });
    const batch = new arrow.RecordBatch(schema, data);
    batches.push(pad > 0 ? batch.slice(pad, pad + n) : batch);
    done += n;
    if (total === 0) break;
  }
  return { schema, batches, numRows: total };
}
