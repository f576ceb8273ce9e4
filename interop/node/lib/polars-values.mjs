// nodejs-polars 0.25.2 columns in the expected-values form of lib/arrow-values.mjs, driven by the
// integration JSON field the column came from. Polars converts some Arrow types on read (time32/64
// to Time in ns, timestamp[s] to ms, date64 to Datetime(ms), utf8 dictionaries to Categorical), so
// polarsColumn.expected() applies the same conversion to the expected values.
import pl from 'nodejs-polars';
import { floatValue } from './arrow-values.mjs';

// Golden cases nodejs-polars 0.25.2 cannot read at all, with the reason (each panics or throws in readIPC).
export const POLARS_UNSUPPORTED = {
  '1.0.0-littleendian_generated_custom_metadata': 'an extension type polars does not know (!nonexistent): "cannot create series from Extension"',
  '1.0.0-littleendian_generated_extension': 'extension types (uuid, dict-extension): "cannot create series from Extension"',
  '1.0.0-littleendian_generated_decimal256': 'decimal256: "operator does not support primitive Int256"',
  '1.0.0-littleendian_generated_duplicate_fieldnames': 'a DataFrame cannot hold two columns of the same name (read panics)',
  '1.0.0-littleendian_generated_interval': 'interval day_time: "operator does not support primitive DaysMs"',
  '1.0.0-littleendian_generated_union': 'polars has no union type (read panics)',
};

// Column types nodejs-polars reads but cannot hand to JS ("DataType Binary is not supported for JS conversion").
export const POLARS_UNCONVERTIBLE = new Set(['binary', 'largebinary', 'fixedsizebinary']);

const TIME_TO_NS = { SECOND: 1000000000n, MILLISECOND: 1000000n, MICROSECOND: 1000n, NANOSECOND: 1n };

function leaf(value, field) {
  if (value === null || value === undefined) return null;
  const t = field.type;
  switch (t.name) {
    case 'int': return String(value);
    case 'floatingpoint': return floatValue(value);
    case 'list': case 'largelist': case 'fixedsizelist': return value.map((v) => leaf(v, field.children[0]));
    case 'struct': return field.children.map((c) => leaf(value[c.name], c));
    case 'map': {
      const [key, val] = field.children[0].children;
      return value.map((e) => [leaf(e[key.name], key), leaf(e[val.name], val)]);
    }
    default: return value;
  }
}

/** A polars Series as expected values (see POLARS_UNCONVERTIBLE for what it cannot do). */
export function polarsColumn(series, field) {
  const t = field.type;
  switch (t.name) {
    case 'int': return series.cast(pl.Utf8).toArray();
    case 'decimal':
      // "-59650.30" → unscaled "-5965030": polars prints exactly `scale` digits after the point.
      return series.cast(pl.Utf8).toArray().map((s) => (s === null ? null : BigInt(s.replace('.', '')).toString()));
    case 'date':
    case 'timestamp': case 'time':
      // Through Int64 to text inside polars: its Int64 → JS conversion is a lossy double.
      return series.cast(t.name === 'date' && t.unit === 'DAY' ? pl.Int32 : pl.Int64).cast(pl.Utf8).toArray();
    case 'null': return series.toArray().map(() => null);
    case 'struct': {
      // nodejs-polars hands out a null struct slot as its members' values; Series.isNull() still knows it is null.
      const nulls = series.isNull().toArray();
      return series.toArray().map((v, i) => (nulls[i] ? null : leaf(v, field)));
    }
    default: return series.toArray().map((v) => leaf(v, field));
  }
}

/** The expected values converted the way polars converts the type on read. */
polarsColumn.expected = (values, field) => {
  const t = field.type;
  // Polars' Time holds a time of day: a value of 24:00:00 or more (the golden data has 86400 s) becomes null.
  const day = 86400000000000n;
  if (t.name === 'time') return values.map((v) => (v === null || BigInt(v) * TIME_TO_NS[t.unit] >= day ? null : String(BigInt(v) * TIME_TO_NS[t.unit])));
  if (t.name === 'timestamp' && t.unit === 'SECOND') return values.map((v) => (v === null ? null : String(BigInt(v) * 1000n)));
  // Polars reads a null map slot as an empty, valid map (the upstream generated_map golden file too).
  if (t.name === 'map') return values.map((v) => v ?? []);
  return values;
};

// Columns polars reads but whose values it cannot hand out faithfully, with the reason (checked on the upstream golden files).
export const POLARS_COLUMN_SKIP = {
  '1.0.0-littleendian_generated_recursive_nested/structs_list': 'a null struct inside a list comes out as its members\' values, not null',
};
