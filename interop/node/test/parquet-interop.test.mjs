// Independent Parquet readers and writers judging ArrowCid.Parquet. The C# side
// (tests/ArrowCid.Parquet.Tests/Interop/ParquetNodeInteropTests.cs) first writes
// $ARROWCID_INTEROP_DIR/ours-<codec>.parquet and ours.expected.json, then runs this file:
//  1. DuckDB, nodejs-polars, parquet-wasm (+ apache-arrow) and hyparquet read every file of ours;
//     each value, normalised to the expected-values form (integers as decimal strings, decimals as
//     unscaled integers, timestamps in microseconds, dates in days, structs positional, maps as
//     [key, value] pairs), must equal ours.expected.json; DuckDB must list our key/value metadata.
//  2. DuckDB (COPY … TO … (FORMAT parquet)), polars and parquet-wasm (arrow-rs, ZSTD, nested)
//     write files into produced/ with their expected values, and DuckDB reads each shared sample
//     file into samples/<file>.json; the C# test then reads those with our reader.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import pl from 'nodejs-polars';
import { readParquet, writeParquet, Table as WasmTable, WriterPropertiesBuilder, Compression } from 'parquet-wasm';
import { Table, tableFromIPC, tableToIPC, vectorFromArray, Field, Int32, Int64, List, Struct, Utf8 } from 'apache-arrow';
import { parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { slotValue } from '../lib/arrow-values.mjs';

const dir = process.env.ARROWCID_INTEROP_DIR ?? fileURLToPath(new URL('../fixtures/parquet/', import.meta.url));
const expected = JSON.parse(readFileSync(join(dir, 'ours.expected.json'), 'utf8'));
const codecs = expected.codecs;
const columns = expected.columns; // [{ name, kind }]

const db = await DuckDBInstance.create(':memory:');
const duck = await db.connect();
const sql = (s) => s.replaceAll("'", "''");

function unscaled(v, scale) {
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return BigInt(Math.round(v * 10 ** scale)).toString();
  const text = String(v);
  const negative = text.startsWith('-');
  const [whole, frac = ''] = (negative ? text.slice(1) : text).split('.');
  const digits = BigInt(whole + frac.padEnd(scale, '0').slice(0, scale));
  return (negative ? -digits : digits).toString();
}

function entries(v) {
  if (v instanceof Map) return [...v.entries()];
  if (Array.isArray(v)) return v.map((e) => (Array.isArray(e) ? e : [e.key, e.value]));
  if (typeof v?.toArray === 'function') return entries(v.toArray());
  if (typeof v?.toJSON === 'function') return entries(v.toJSON());
  return Object.entries(v);
}

/** One value of a column of `kind` as the expected-values form, whatever the reader returned. */
function normalize(kind, v) {
  if (v === null || v === undefined) return null;
  if (kind === 'int') return typeof v === 'string' ? v : BigInt(v).toString();
  if (kind === 'float') return Number(v);
  if (kind === 'bool') return Boolean(v);
  if (kind === 'string') return String(v);
  if (kind === 'timestamp_us') {
    if (v instanceof Date) return (BigInt(v.getTime()) * 1000n).toString();
    return BigInt(v).toString();
  }
  if (kind === 'date') {
    if (v instanceof Date) return String(Math.round(v.getTime() / 86400000));
    const n = Number(v);
    return String(Math.abs(n) > 1e7 ? Math.round(n / 86400000) : n);
  }
  if (kind.startsWith('decimal:')) return unscaled(v, Number(kind.slice(8)));
  if (kind === 'list<int>') return Array.from(typeof v.toArray === 'function' ? v.toArray() : v, (x) => normalize('int', x));
  if (kind === 'struct<int,string>') {
    const o = typeof v.toJSON === 'function' ? v.toJSON() : v;
    return Array.isArray(o) ? [normalize('int', o[0]), normalize('string', o[1])] : [normalize('int', o.x), normalize('string', o.y)];
  }
  if (kind === 'map<string,int>') return entries(v).map(([k, x]) => [normalize('string', k), normalize('int', x)]);
  throw new Error(`unknown kind ${kind}`);
}

function assertRows(rows, label) {
  assert.equal(rows.length, expected.rows.length, `${label}: row count`);
  rows.forEach((row, r) => columns.forEach((c, i) => {
    assert.deepEqual(normalize(c.kind, row[i]), expected.rows[r][i], `${label}: row ${r} column ${c.name}`);
  }));
}

/** DuckDB projections that bring each kind to a form normalize() takes exactly. */
function duckProjection(c) {
  const col = `"${c.name}"`;
  switch (c.kind) {
    case 'int': return `${col}::VARCHAR`;
    case 'timestamp_us': return `epoch_us(${col})::VARCHAR`;
    case 'date': return `(${col} - DATE '1970-01-01')::VARCHAR`;
    case 'list<int>': case 'struct<int,string>': return `to_json(${col})::VARCHAR`;
    case 'map<string,int>': return `to_json(map_entries(${col}))::VARCHAR`;
    default: return c.kind.startsWith('decimal:') ? `${col}::VARCHAR` : col;
  }
}

for (const codec of codecs) {
  const file = join(dir, `ours-${codec}.parquet`);

  test(`DuckDB reads ours-${codec}.parquet and its key/value metadata`, async () => {
    const projections = columns.map(duckProjection).join(', ');
    const reader = await duck.runAndReadAll(`SELECT ${projections} FROM (SELECT * FROM read_parquet('${sql(file)}'))`);
    const rows = reader.getRowsJS().map((row) => row.map((v, i) => (
      ['list<int>', 'struct<int,string>', 'map<string,int>'].includes(columns[i].kind) && v !== null ? JSON.parse(v) : v)));
    assertRows(rows, `duckdb ${codec}`);
    const kv = await duck.runAndReadAll(`SELECT decode(key) AS k, decode(value) AS v FROM parquet_kv_metadata('${sql(file)}')`);
    const pairs = Object.fromEntries(kv.getRowsJS().map(([k, v]) => [k, v]));
    for (const [k, v] of Object.entries(expected.keyValueMetadata)) assert.equal(pairs[k], v, `metadata ${k}`);
    assert.ok(pairs['ARROW:schema'], 'ARROW:schema is present');
  });

  test(`nodejs-polars reads ours-${codec}.parquet`, () => {
    let df = pl.readParquet(file);
    // nodejs-polars cannot hand decimals to JavaScript; its own text form keeps every digit.
    for (const c of columns.filter((c) => c.kind.startsWith('decimal:'))) df = df.withColumns(pl.col(c.name).cast(pl.Utf8));
    const rows = df.rows();
    assertRows(rows, `polars ${codec}`);
  });

  test(`parquet-wasm (arrow-rs) reads ours-${codec}.parquet`, () => {
    const table = tableFromIPC(readParquet(readFileSync(file)).intoIPCStream());
    const names = table.schema.fields.map((f) => f.name);
    assert.deepEqual(names, columns.map((c) => c.name));
    // The arrow-values form is exactly the expected form: compare the raw slots.
    const rows = [];
    for (const batch of table.batches) {
      for (let r = 0; r < batch.numRows; r++) rows.push(columns.map((_, i) => slotValue(batch.data.children[i], r)));
    }
    assert.equal(rows.length, expected.rows.length);
    rows.forEach((row, r) => columns.forEach((c, i) => {
      const want = expected.rows[r][i];
      const got = c.kind === 'struct<int,string>' || c.kind === 'map<string,int>' || c.kind === 'list<int>' ? row[i] : row[i];
      assert.deepEqual(got, want, `parquet-wasm ${codec}: row ${r} column ${c.name}`);
    }));
  });

  test(`hyparquet reads ours-${codec}.parquet`, async () => {
    const buffer = readFileSync(file);
    const arrayBuffer = buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength);
    const objects = await parquetReadObjects({ file: arrayBuffer, compressors });
    assertRows(objects.map((o) => columns.map((c) => o[c.name])), `hyparquet ${codec}`);
  });
}

test('DuckDB and polars write files for our reader', async () => {
  const produced = join(dir, 'produced');
  mkdirSync(produced, { recursive: true });
  const duckFile = join(produced, 'duckdb.parquet');
  await duck.run(`COPY (SELECT * FROM (VALUES
      (1::INTEGER, 10::BIGINT, 1.5::DOUBLE, true, 'a', [1, 2]::INTEGER[], {'x': 1, 'y': 'p'}, 12.34::DECIMAL(9,2), DATE '2024-02-29'),
      (2, NULL, -0.25, false, NULL, []::INTEGER[], NULL, -0.05, NULL),
      (3, -7, NULL, NULL, 'ünï', NULL, {'x': NULL, 'y': NULL}, NULL, DATE '1969-12-31'),
      (4, 9007199254740993, 3.0, true, '', [NULL, 5]::INTEGER[], {'x': 4, 'y': 'q'}, 999999.99, DATE '1970-01-01')
    ) t(i, l, d, b, s, li, st, dec, dt)) TO '${sql(duckFile)}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 2)`);
  writeFileSync(join(produced, 'duckdb.expected.json'), JSON.stringify({
    columns: ['i', 'l', 'd', 'b', 's', 'li', 'st', 'dec', 'dt'],
    rows: [
      ['1', '10', 1.5, true, 'a', ['1', '2'], ['1', 'p'], '1234', '19782'],
      ['2', null, -0.25, false, null, [], null, '-5', null],
      ['3', '-7', null, null, 'ünï', null, [null, null], null, '-1'],
      ['4', '9007199254740993', 3, true, '', [null, '5'], ['4', 'q'], '99999999', '0'],
    ],
  }));
  const polarsFile = join(produced, 'polars.parquet');
  const df = pl.DataFrame({
    id: pl.Series('id', [1, 2, 3], pl.Int64),
    x: pl.Series('x', [0.5, null, -2.25], pl.Float64),
    s: pl.Series('s', ['one', null, 'three'], pl.Utf8),
    b: pl.Series('b', [true, false, null], pl.Bool),
  });
  df.writeParquet(polarsFile, { compression: 'snappy' });
  // The written file is checked by polars itself first, so a wrong literal cannot pass for a reader bug.
  assert.deepEqual(pl.readParquet(polarsFile).rows(), [[1, 0.5, 'one', true], [2, null, null, false], [3, -2.25, 'three', null]]);
  writeFileSync(join(produced, 'polars.expected.json'), JSON.stringify({
    columns: ['id', 'x', 's', 'b'],
    rows: [['1', 0.5, 'one', true], ['2', null, null, false], ['3', -2.25, 'three', null]],
  }));
});

test('parquet-wasm (arrow-rs) writes a ZSTD file with nested columns for our reader', () => {
  const rows = 3000;
  const at = (i, every, value) => (i % every === 0 ? null : value);
  const table = new Table({
    id: vectorFromArray(Array.from({ length: rows }, (_, i) => BigInt(i * 7 - 1000)), new Int64()),
    name: vectorFromArray(Array.from({ length: rows }, (_, i) => at(i, 11, `name-${i % 97}`)), new Utf8()),
    st: vectorFromArray(Array.from({ length: rows }, (_, i) => at(i, 13, { x: at(i, 5, i), y: `y${i % 7}` })),
      new Struct([new Field('x', new Int32(), true), new Field('y', new Utf8(), true)])),
    li: vectorFromArray(Array.from({ length: rows }, (_, i) => at(i, 17, Array.from({ length: i % 4 }, (_, k) => i + k))),
      new List(new Field('item', new Int32(), true))),
  });
  const properties = new WriterPropertiesBuilder().setCompression(Compression.ZSTD).setMaxRowGroupSize(1000).build();
  const bytes = writeParquet(WasmTable.fromIPCStream(tableToIPC(table, 'stream')), properties);
  const produced = join(dir, 'produced');
  mkdirSync(produced, { recursive: true });
  writeFileSync(join(produced, 'arrow-rs.parquet'), bytes);
  const expectedRows = Array.from({ length: rows }, (_, i) => [
    String(i * 7 - 1000),
    at(i, 11, `name-${i % 97}`),
    at(i, 13, [at(i, 5, String(i)), `y${i % 7}`]),
    at(i, 17, Array.from({ length: i % 4 }, (_, k) => String(i + k))),
  ]);
  // arrow-rs reads its own file back to the same values first, so a wrong literal cannot pass for a reader bug.
  const back = tableFromIPC(readParquet(bytes).intoIPCStream());
  assert.equal(back.numRows, rows);
  assert.deepEqual(back.get(27).toJSON().st.toJSON(), { x: 27, y: 'y6' });
  assert.equal(back.get(22).toJSON().name, null);
  writeFileSync(join(produced, 'arrow-rs.expected.json'), JSON.stringify({ columns: ['id', 'name', 'st', 'li'], rows: expectedRows }));
});

test('DuckDB reads every shared sample file to rows for our reader to match', {
  skip: process.env.ARROWCID_PARQUET_SAMPLES ? false : 'ARROWCID_PARQUET_SAMPLES is set by the orchestrating C# test',
}, async () => {
  const samples = process.env.ARROWCID_PARQUET_SAMPLES;
  const out = join(dir, 'samples');
  mkdirSync(out, { recursive: true });
  for (const name of readdirSync(samples).filter((f) => f.endsWith('.parquet'))) {
    const path = join(samples, name);
    const described = await duck.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${sql(path)}')`);
    const projections = [];
    const kept = [];
    for (const [column, type] of described.getRowsJS()) {
      const col = `"${column.replaceAll('"', '""')}"`;
      let p = null;
      if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|HUGEINT)$/.test(type) || type.startsWith('DECIMAL')) p = `${col}::VARCHAR`;
      else if (type === 'DOUBLE' || type === 'FLOAT') p = `CASE WHEN isnan(${col}) THEN NULL ELSE ${col}::DOUBLE END`;
      else if (type === 'BOOLEAN' || type === 'VARCHAR') p = col;
      else if (type === 'BLOB') p = `hex(${col})`;
      else if (type === 'DATE') p = `(${col} - DATE '1970-01-01')::VARCHAR`;
      else if (type.startsWith('TIMESTAMP')) p = `epoch_us(${col})::VARCHAR`;
      if (p !== null) { projections.push(`${p} AS c${kept.length}`); kept.push({ column, type }); }
    }
    if (kept.length === 0) continue;
    const rows = (await duck.runAndReadAll(`SELECT ${projections.join(', ')} FROM read_parquet('${sql(path)}')`)).getRowsJS();
    writeFileSync(join(out, `${name}.json`), JSON.stringify({ columns: kept, rows }, (_, v) => (typeof v === 'bigint' ? v.toString() : v)));
  }
});
