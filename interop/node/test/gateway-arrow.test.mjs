// Independent readers judging the gateway's tables over HTTP. The C# side
// (tests/ArrowCid.Gateway.Tests/NodeGatewayArrowTests.cs) starts a node with its gateway, puts a
// multi-chunk table named "sensors" and writes $ARROWCID_INTEROP_DIR/sensors.expected.json
// ({ cid, columns: { id: [decimal strings], value, sensor, ok } }), then runs this file with
// ARROWCID_GATEWAY_URL. Every reader must see exactly the rows that were put:
//  - apache-arrow reads the Arrow stream (streamed from fetch, chunk by chunk), the Arrow file,
//    and the stream with zstd IPC body compression (decoded by fzstd through its compressionRegistry);
//  - nodejs-polars reads the Arrow stream, the Parquet and the CSV;
//  - DuckDB reads the Parquet (and its arrowcid.* key/value metadata);
//  - `curl -H 'Accept: application/vnd.apache.arrow.stream' URL/names/sensors` piped into
//    apache-arrow's RecordBatchReader (the "Done when").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { tableFromIPC, RecordBatchReader, compressionRegistry, CompressionType } from 'apache-arrow';
import pl from 'nodejs-polars';
import { DuckDBInstance } from '@duckdb/node-api';
import { decompress as zstdDecompress } from 'fzstd';

const dir = process.env.ARROWCID_INTEROP_DIR ?? fileURLToPath(new URL('../fixtures/gateway/', import.meta.url));
const base = process.env.ARROWCID_GATEWAY_URL;
const skip = base ? false : 'ARROWCID_GATEWAY_URL is not set (run through NodeGatewayArrowTests)';
const expected = base ? JSON.parse(readFileSync(join(dir, 'sensors.expected.json'), 'utf8')) : null;

const STREAM = 'application/vnd.apache.arrow.stream';
const FILE = 'application/vnd.apache.arrow.file';
const PARQUET = 'application/vnd.apache.parquet';

/** Rows as [id (decimal string), value, sensor, ok] with null for a null, from column getters. */
function rowsOf(length, get) {
  const rows = [];
  for (let i = 0; i < length; i++) {
    const [id, value, sensor, ok] = get(i);
    rows.push([
      id === null ? null : BigInt(id).toString(),
      value === null || value === undefined ? null : Number(value),
      sensor ?? null,
      ok === null || ok === undefined ? null : Boolean(ok),
    ]);
  }
  return rows;
}

function expectedRows() {
  const c = expected.columns;
  return rowsOf(c.id.length, (i) => [c.id[i], c.value[i], c.sensor[i], c.ok[i]]);
}

function arrowRows(table) {
  const cols = ['id', 'value', 'sensor', 'ok'].map((n) => table.getChild(n));
  return rowsOf(table.numRows, (i) => cols.map((c) => c.get(i)));
}

function polarsRows(df) {
  const cols = ['id', 'value', 'sensor', 'ok'].map((n) => df.getColumn(n).toArray());
  return rowsOf(df.height, (i) => cols.map((c) => c[i]));
}

async function get(path, accept, extra = {}) {
  const response = await fetch(new URL(path, base), { headers: { ...(accept ? { accept } : {}), ...extra } });
  assert.equal(response.status, 200, `${path} (${accept}): ${response.status} ${await response.clone().text()}`);
  return response;
}

async function bytes(path, accept, extra) {
  return Buffer.from(await (await get(path, accept, extra)).arrayBuffer());
}

test('apache-arrow reads the Arrow stream as it arrives, batch by batch', { skip }, async () => {
  const response = await get(`/ipfs/${expected.cid}`, STREAM);
  assert.equal(response.headers.get('content-type'), STREAM);
  const reader = await RecordBatchReader.from(response.body);
  const rows = [];
  let batches = 0;
  for await (const batch of reader) {
    batches++;
    rows.push(...arrowRows(batch));
  }
  assert.ok(batches >= 3, `the table spans several chunks (${batches} batches)`);
  assert.deepEqual(rows, expectedRows());
});

test('apache-arrow reads the Arrow file', { skip }, async () => {
  const body = await bytes(`/ipfs/${expected.cid}`, FILE);
  assert.equal(body.subarray(0, 6).toString('latin1'), 'ARROW1');
  assert.deepEqual(arrowRows(tableFromIPC(body)), expectedRows());
});

test('apache-arrow reads the stream with zstd IPC body compression', { skip }, async () => {
  // apache-arrow views a decoded buffer in place as 64-bit values: hand it an ArrayBuffer of its own (offset 0).
  compressionRegistry.set(CompressionType.ZSTD, { decode: (data) => new Uint8Array(zstdDecompress(data)) });
  const response = await get(`/ipfs/${expected.cid}`, `${STREAM}; codecs="zstd"`);
  assert.equal(response.headers.get('content-type'), `${STREAM}; codecs="zstd"`);
  assert.equal(response.headers.get('content-encoding'), null);
  const body = Buffer.from(await response.arrayBuffer());
  assert.deepEqual(arrowRows(tableFromIPC(body)), expectedRows());
});

test('nodejs-polars reads the Arrow stream, the Parquet and the CSV', { skip }, async () => {
  const want = expectedRows();
  assert.deepEqual(polarsRows(pl.readIPCStream(await bytes(`/ipfs/${expected.cid}`, STREAM))), want);
  assert.deepEqual(polarsRows(pl.readParquet(await bytes(`/ipfs/${expected.cid}`, PARQUET))), want);
  const csv = await bytes(`/names/sensors?format=csv`);
  const df = pl.readCSV(csv, { dtypes: { id: pl.Int64, value: pl.Float64, sensor: pl.Utf8, ok: pl.Bool } });
  assert.deepEqual(polarsRows(df), want);
});

test('DuckDB reads the Parquet and its CIDs', { skip }, async () => {
  const file = join(dir, 'sensors.parquet');
  writeFileSync(file, await bytes(`/names/sensors`, PARQUET));
  const db = await DuckDBInstance.create(':memory:');
  const duck = await db.connect();
  const path = file.replaceAll("'", "''");
  // The ids were put as 0, 1, 2, …: in id order the rows are in the order they were put.
  const reader = await duck.runAndReadAll(`SELECT CAST(id AS VARCHAR) AS id_text, value, sensor, ok FROM read_parquet('${path}') ORDER BY id`);
  const rows = reader.getRows();
  assert.deepEqual(rowsOf(rows.length, (i) => rows[i]), expectedRows());
  const meta = await duck.runAndReadAll(`SELECT decode(value) FROM parquet_kv_metadata('${path}') WHERE decode(key) = 'arrowcid.dataset'`);
  assert.deepEqual(meta.getRows(), [[expected.cid]]);
});

test("curl -H 'Accept: application/vnd.apache.arrow.stream' /names/sensors piped into a reader", { skip }, async () => {
  const curl = spawn('curl', ['-sS', '--fail', '-H', `Accept: ${STREAM}`, new URL('/names/sensors', base).toString()], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => curl.on('close', resolve));
  const reader = await RecordBatchReader.from(curl.stdout);
  const rows = [];
  for await (const batch of reader) rows.push(...arrowRows(batch));
  assert.equal(await exited, 0);
  assert.deepEqual(rows, expectedRows());
});
