// Shared helpers for the Arrow interop tests: the "expected values" form (see
// tests/ArrowCid.Arrow.Tests/NodeInterop/ExpectedValues.cs for the rules), read from apache-arrow's
// Data objects through their raw buffers, and the integration-JSON spelling of apache-arrow types.
import { DataType, Type, IntervalUnit, UnionMode, DateUnit, TimeUnit, Precision } from 'apache-arrow';

const utf8 = new TextDecoder('utf-8');
const hex = (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');

/** A float as the expected form writes it: a number, or 'NaN' / 'Infinity' / '-Infinity'. */
export function floatValue(x) {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  return x;
}

function halfToNumber(bits) {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

function twosComplement(words) {
  // words: little-endian Uint32 words of one decimal value.
  let v = 0n;
  for (let k = words.length - 1; k >= 0; k--) v = (v << 32n) | BigInt(words[k]);
  const bits = BigInt(words.length * 32);
  return v >= 1n << (bits - 1n) ? v - (1n << bits) : v;
}

/** Slot i (relative to data.offset) of an apache-arrow Data, in the expected form. */
export function slotValue(data, i) {
  const t = data.type;
  if (t.typeId === Type.Null) return null;
  if (!DataType.isUnion(t) && !DataType.isDictionary(t) && !data.getValid(i)) return null;
  const j = data.offset + i;
  switch (t.typeId) {
    case Type.Bool: return ((data.values[j >> 3] >> (j & 7)) & 1) === 1;
    case Type.Int: return String(data.values[j]);
    case Type.Float:
      return floatValue(t.precision === Precision.HALF ? halfToNumber(data.values[j]) : data.values[j]);
    case Type.Decimal: {
      const stride = t.bitWidth / 32;
      return twosComplement(data.values.subarray(j * stride, (j + 1) * stride)).toString();
    }
    case Type.Date: case Type.Time: case Type.Timestamp: case Type.Duration:
      return String(data.values[j]);
    case Type.Interval: {
      if (t.unit === IntervalUnit.YEAR_MONTH) return String(data.values[j]);
      if (t.unit === IntervalUnit.DAY_TIME) return [String(data.values[2 * j]), String(data.values[2 * j + 1])];
      const w = data.values.subarray(4 * j, 4 * j + 4);
      const ns = (BigInt(w[3] | 0) << 32n) | BigInt(w[2] >>> 0);
      return [String(w[0] | 0), String(w[1] | 0), String(ns)];
    }
    case Type.Utf8: case Type.LargeUtf8:
      return utf8.decode(data.values.subarray(Number(data.valueOffsets[j]), Number(data.valueOffsets[j + 1])));
    case Type.Binary: case Type.LargeBinary:
      return hex(data.values.subarray(Number(data.valueOffsets[j]), Number(data.valueOffsets[j + 1])));
    case Type.FixedSizeBinary:
      return hex(data.values.subarray(j * t.byteWidth, (j + 1) * t.byteWidth));
    case Type.List: case Type.LargeList: {
      const child = data.children[0];
      const out = [];
      for (let k = Number(data.valueOffsets[j]); k < Number(data.valueOffsets[j + 1]); k++) out.push(slotValue(child, k));
      return out;
    }
    case Type.FixedSizeList: {
      const child = data.children[0];
      const out = [];
      for (let k = j * t.listSize; k < (j + 1) * t.listSize; k++) out.push(slotValue(child, k));
      return out;
    }
    case Type.Struct: return data.children.map((c) => slotValue(c, i));
    case Type.Map: {
      const entries = data.children[0];
      const out = [];
      for (let k = data.valueOffsets[j]; k < data.valueOffsets[j + 1]; k++) {
        out.push([slotValue(entries.children[0], k), slotValue(entries.children[1], k)]);
      }
      return out;
    }
    case Type.Union: {
      const child = data.children[t.typeIdToChildIndex[data.typeIds[j]]];
      const k = t.mode === UnionMode.Dense ? data.valueOffsets[j] : j;
      return slotValue(child, k);
    }
    case Type.Dictionary: {
      if (!data.getValid(i)) return null;
      let index = Number(data.values[j]);
      for (const chunk of data.dictionary.data) {
        if (index < chunk.length) return slotValue(chunk, index);
        index -= chunk.length;
      }
      throw new Error(`dictionary index ${data.values[j]} outside the dictionary`);
    }
    default:
      throw new Error(`no expected-value form for ${t}`);
  }
}

/** Every slot of a column (a Vector with any number of chunks). */
export function columnValues(vector) {
  const out = [];
  for (const data of vector.data) for (let i = 0; i < data.length; i++) out.push(slotValue(data, i));
  return out;
}

const timeUnit = (u) => TimeUnit[u];

/** An apache-arrow type in the integration JSON spelling of `type` (Integration.rst). */
export function integrationType(t) {
  switch (t.typeId) {
    case Type.Null: return { name: 'null' };
    case Type.Bool: return { name: 'bool' };
    case Type.Int: return { name: 'int', bitWidth: t.bitWidth, isSigned: t.isSigned };
    case Type.Float: return { name: 'floatingpoint', precision: Precision[t.precision] };
    case Type.Binary: return { name: 'binary' };
    case Type.LargeBinary: return { name: 'largebinary' };
    case Type.Utf8: return { name: 'utf8' };
    case Type.LargeUtf8: return { name: 'largeutf8' };
    case Type.Utf8View: return { name: 'utf8view' };
    case Type.BinaryView: return { name: 'binaryview' };
    case Type.FixedSizeBinary: return { name: 'fixedsizebinary', byteWidth: t.byteWidth };
    case Type.Decimal: return { name: 'decimal', precision: t.precision, scale: t.scale, bitWidth: t.bitWidth };
    case Type.Date: return { name: 'date', unit: DateUnit[t.unit] };
    case Type.Time: return { name: 'time', unit: timeUnit(t.unit), bitWidth: t.bitWidth };
    case Type.Timestamp: return t.timezone ? { name: 'timestamp', unit: timeUnit(t.unit), timezone: t.timezone } : { name: 'timestamp', unit: timeUnit(t.unit) };
    case Type.Duration: return { name: 'duration', unit: timeUnit(t.unit) };
    case Type.Interval: return { name: 'interval', unit: IntervalUnit[t.unit] };
    case Type.List: return { name: 'list' };
    case Type.LargeList: return { name: 'largelist' };
    case Type.FixedSizeList: return { name: 'fixedsizelist', listSize: t.listSize };
    case Type.Struct: return { name: 'struct' };
    case Type.Map: return { name: 'map', keysSorted: t.keysSorted };
    case Type.Union: return { name: 'union', mode: UnionMode[t.mode].toUpperCase(), typeIds: [...t.typeIds] };
    default: throw new Error(`no integration spelling for ${t}`);
  }
}

/** The integration JSON type object reduced to the members integrationType() produces. */
export function normalizeIntegrationType(type) {
  const t = { ...type };
  if (t.name === 'decimal' && t.bitWidth === undefined) t.bitWidth = 128;
  if (t.name === 'map' && t.keysSorted === undefined) t.keysSorted = false;
  if (t.name === 'union') t.mode = String(t.mode).toUpperCase();
  return t;
}

/** Key/value metadata (integration JSON list, or a Map) as a plain object. */
export function metadataObject(metadata) {
  if (!metadata) return {};
  if (metadata instanceof Map) return Object.fromEntries(metadata);
  return Object.fromEntries(metadata.map(({ key, value }) => [key, value]));
}
