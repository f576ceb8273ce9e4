// Independent writers for ArrowCid's IPC readers: apache-arrow and nodejs-polars write IPC files and
// streams into $ARROWCID_INTEROP_DIR/produced, each beside <name>.expected.json (schema in the
// integration JSON spelling, and every column's values in the expected-values form of
// lib/arrow-values.mjs, all batches concatenated). tests/ArrowCid.Arrow.Tests/NodeInterop/
// NodeProducedFilesTests.cs runs this file and then reads every file with our readers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Table, tableToIPC, tableFromIPC, vectorFromArray,
  Int32, Int64, Float32, Float64, Utf8, LargeUtf8, Bool, List, Struct, Field, Dictionary, Int8,
  TimestampMillisecond, TimeUnit, Timestamp, DateDay,
} from 'apache-arrow';
import pl from 'nodejs-polars';
import { slotValue, integrationType } from '../lib/arrow-values.mjs';

const root = process.env.ARROWCID_INTEROP_DIR ?? fileURLToPath(new URL('../fixtures/arrow/', import.meta.url));
const dir = join(root, 'produced');
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });

function fieldJson(f) {
  const t = f.type;
  if (t.typeId === -1 /* Dictionary */) {
    return { name: f.name, nullable: f.nullable, type: integrationType(t.dictionary), dictionary: { indexType: integrationType(t.indices) }, children: (t.dictionary.children ?? []).map(fieldJson) };
  }
  return { name: f.name, nullable: f.nullable, type: integrationType(t), children: (t.children ?? []).map(fieldJson) };
}

/** Expected values straight from apache-arrow's in-memory table (before any serialization). */
function expectedOfTable(table) {
  return {
    schema: { fields: table.schema.fields.map(fieldJson) },
    columns: table.schema.fields.map((_, c) => table.batches.flatMap((b) => {
      const data = b.data.children[c];
      return Array.from({ length: data.length }, (_, i) => slotValue(data, i));
    })),
  };
}

function write(name, bytes, expected) {
  writeFileSync(join(dir, name), bytes);
  writeFileSync(join(dir, `${name}.expected.json`), JSON.stringify(expected));
}

test('apache-arrow writes a file and a stream of many types with nulls', () => {
  const n = 50;
  const ints = Array.from({ length: n }, (_, i) => (i % 7 === 3 ? null : (i * 2654435761) | 0));
  const tags = ['alpha', 'beta', 'gamma', null, 'delta'];
  const columns = {
    i32: vectorFromArray(ints, new Int32()),
    i64: vectorFromArray(Array.from({ length: n }, (_, i) => (i % 5 === 0 ? null : BigInt(i) * -9007199254740993n)), new Int64()),
    f32: vectorFromArray(Array.from({ length: n }, (_, i) => (i % 6 === 1 ? null : i / 3)), new Float32()),
    f64: vectorFromArray(Array.from({ length: n }, (_, i) => (i === 4 ? NaN : i === 5 ? -Infinity : i % 9 === 0 ? null : Math.PI * i)), new Float64()),
    flag: vectorFromArray(Array.from({ length: n }, (_, i) => (i % 4 === 2 ? null : i % 3 === 0)), new Bool()),
    text: vectorFromArray(Array.from({ length: n }, (_, i) => (i % 8 === 7 ? null : `värde ${i} ✓`.repeat(i % 3))), new Utf8()),
    large: vectorFromArray(Array.from({ length: n }, (_, i) => (i % 10 === 1 ? null : `L${i}`)), new LargeUtf8()),
    list: vectorFromArray(Array.from({ length: n }, (_, i) => (i % 6 === 5 ? null : Array.from({ length: i % 4 }, (_, k) => (k === 1 ? null : i * 10 + k)))),
      new List(new Field('item', new Int32(), true))),
    point: vectorFromArray(Array.from({ length: n }, (_, i) => (i % 7 === 6 ? null : { x: i, name: i % 2 ? `p${i}` : null })),
      new Struct([new Field('x', new Int32(), true), new Field('name', new Utf8(), true)])),
    tag: vectorFromArray(Array.from({ length: n }, (_, i) => tags[i % tags.length]), new Dictionary(new Utf8(), new Int8())),
    ts_ms: vectorFromArray(Array.from({ length: n }, (_, i) => (i % 11 === 0 ? null : 1700000000000 + i * 86399999)), new TimestampMillisecond()),
    ts_ns_utc: vectorFromArray(Array.from({ length: n }, (_, i) => (i % 12 === 0 ? null : 1700000000000 + i)), new Timestamp(TimeUnit.NANOSECOND, 'UTC')),
    day: vectorFromArray(Array.from({ length: n }, (_, i) => (i % 13 === 0 ? null : new Date(Date.UTC(2000 + i, 1, 29 - (i % 2))))), new DateDay()),
  };
  // One batch, unsliced: lib/arrow-values.mjs reads buffers at data.offset + i, which holds for
  // Data read from IPC and built by vectorFromArray, not for apache-arrow's sliced Data.
  const table = new Table(columns);
  assert.equal(table.batches.length, 1);
  const expected = expectedOfTable(table);
  for (const [ext, format] of [['arrow', 'file'], ['arrows', 'stream']]) {
    const bytes = tableToIPC(table, format);
    assert.equal(tableFromIPC(bytes).numRows, n); // apache-arrow reads its own output
    write(`apache-arrow-types.${ext}`, bytes, expected);
  }
});

test('nodejs-polars writes a file and a stream (int64, uint16, float64, strings, nulls)', () => {
  const n = 40;
  const ints = Array.from({ length: n }, (_, i) => (i % 6 === 2 ? null : i * 1000003 - 7));
  const floats = Array.from({ length: n }, (_, i) => (i % 5 === 4 ? null : i * 0.25));
  const strings = Array.from({ length: n }, (_, i) => (i % 7 === 0 ? null : `polars ${i} ñ`));
  const df = pl.DataFrame({
    id: pl.Series('id', ints, pl.Int64),
    value: pl.Series('value', floats, pl.Float64),
    name: pl.Series('name', strings, pl.Utf8),
    small: pl.Series('small', Array.from({ length: n }, (_, i) => i % 65536), pl.UInt16),
  });
  const fields = [
    ['id', { name: 'int', bitWidth: 64, isSigned: true }, ints.map((v) => (v === null ? null : String(v)))],
    ['value', { name: 'floatingpoint', precision: 'DOUBLE' }, floats],
    ['name', null, strings],
    ['small', { name: 'int', bitWidth: 16, isSigned: false }, Array.from({ length: n }, (_, i) => String(i % 65536))],
  ];
  for (const [ext, bytes] of [['arrow', df.writeIPC()], ['arrows', df.writeIPCStream()]]) {
    // What string type does this polars write? Ask an independent reader of the bytes.
    const reader = tableFromIPC(bytes);
    const nameType = reader.schema.fields[2].type;
    const nameJson = integrationType(nameType);
    assert.ok(['utf8', 'largeutf8', 'utf8view'].includes(nameJson.name), `polars wrote its strings as ${nameType}`);
    const expected = {
      schema: { fields: fields.map(([name, type]) => ({ name, type: type ?? nameJson })) },
      columns: fields.map(([, , values]) => values),
    };
    write(`nodejs-polars.${ext}`, bytes, expected);
    writeFileSync(join(dir, `nodejs-polars.${ext}.string-type.txt`), String(nameType));
  }
});

test('every produced file has its expected values', () => {
  for (const name of ['apache-arrow-types.arrow', 'apache-arrow-types.arrows', 'nodejs-polars.arrow', 'nodejs-polars.arrows']) {
    const expected = JSON.parse(readFileSync(join(dir, `${name}.expected.json`), 'utf8'));
    assert.ok(expected.columns.length > 0 && expected.columns.every((c) => c.length > 0), name);
  }
});
