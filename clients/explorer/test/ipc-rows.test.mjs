// The preview's first-rows reader (src/ipc-rows.js) against apache-arrow's (src/arrow-rows.js): the
// same cells for every type it reads, from apache-arrow's own streams and from the canonical chunks
// of clients/js; undefined for the types it leaves to apache-arrow; a BlockVerificationError for a
// chunk whose rows are not its entry's or that is no Arrow IPC stream. Runs in Node (no browser).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Binary, Bool, DateDay, Dictionary, Float32, Float64, Int16, Int32, Int64, Int8, LargeBinary, LargeUtf8, Null, Struct, Table,
  Uint16, Uint32, Uint64, Uint8, Utf8, Field, tableFromArrays, tableToIPC, vectorFromArray,
} from 'apache-arrow';
import { canonicalBatchBytes } from '../../js/src/cid.js';
import { BlockVerificationError } from '../../js/src/errors.js';
import { readIpcRows } from '../src/ipc-rows.js';
import { readArrowRows } from '../src/arrow-rows.js';

const entry = (rows) => ({ cid: 'bafkreitestchunk', rows });

/** n values of `make(i)`, every `nullEvery`-th one null. @param {number} n @param {(i: number) => any} make @param {number} [nullEvery] */
const values = (n, make, nullEvery = 0) => Array.from({ length: n }, (_, i) => (nullEvery && i % nullEvery === 0 ? null : make(i)));

/** A table of every type ipc-rows.js reads, with nulls, extremes and long values. @param {number} n */
function flatTable(n) {
  const long = 'ü'.repeat(250);
  return new Table({
    i8: vectorFromArray(values(n, (i) => (i % 2 ? -128 : 127) + (i % 7), 5), new Int8()),
    i16: vectorFromArray(values(n, (i) => -32768 + i, 4), new Int16()),
    i32: vectorFromArray(values(n, (i) => 2147483647 - i), new Int32()),
    i64: vectorFromArray(values(n, (i) => -9223372036854775808n + BigInt(i), 3), new Int64()),
    u8: vectorFromArray(values(n, (i) => 255 - (i % 256)), new Uint8()),
    u16: vectorFromArray(values(n, (i) => 65535 - i, 6), new Uint16()),
    u32: vectorFromArray(values(n, (i) => 4294967295 - i), new Uint32()),
    u64: vectorFromArray(values(n, (i) => 18446744073709551615n - BigInt(i), 2), new Uint64()),
    f32: vectorFromArray(values(n, (i) => i / 3, 5), new Float32()),
    f64: vectorFromArray(values(n, (i) => (i % 2 ? -1 : 1) * i * 1e300 + 0.1, 7), new Float64()),
    ok: vectorFromArray(values(n, (i) => i % 3 === 0, 4), new Bool()),
    text: vectorFromArray(values(n, (i) => (i === 1 ? long : `station-${i} ✓`), 3), new Utf8()),
    large: vectorFromArray(values(n, (i) => `large-${i}`, 2), new LargeUtf8()),
    bytes: vectorFromArray(values(n, (i) => Uint8Array.from({ length: i % 40 }, (_, k) => (k * 37 + i) & 255), 5), new Binary()),
    lbytes: vectorFromArray(values(n, (i) => Uint8Array.of(i & 255, 0, 255), 3), new LargeBinary()),
    nothing: vectorFromArray(values(n, () => null), new Null()),
  });
}

/** The stream bytes of `table`'s batches, each cut to `sizes` rows (several record batches). @param {Table} table @param {number[]} sizes */
function streamOfBatches(table, sizes) {
  let at = 0;
  const parts = sizes.map((size) => {
    const part = table.slice(at, at + size);
    at += size;
    return part;
  });
  return tableToIPC(new Table(parts.flatMap((p) => p.batches)), 'stream');
}

test('the first rows of every flat type read as apache-arrow reads them', () => {
  const table = flatTable(120);
  for (const [how, bytes] of [
    ['apache-arrow stream', tableToIPC(table, 'stream')],
    ['several batches', streamOfBatches(table, [7, 30, 83])],
    ['canonical chunk (clients/js)', canonicalBatchBytes(table)],
  ]) {
    for (const limit of [0, 1, 50, 200]) {
      const fast = readIpcRows(entry(120), bytes, limit);
      assert.ok(fast, `${how}: read without apache-arrow`);
      assert.deepEqual(fast, readArrowRows(entry(120), bytes, limit), `${how}, ${limit} rows`);
      assert.equal(fast.cells.length, Math.min(limit, 120));
    }
  }
});

test('a value past 200 characters is shortened, bytes are hex, nulls are null', () => {
  const rows = readIpcRows(entry(120), tableToIPC(flatTable(120), 'stream'), 3);
  const column = (name) => rows.fields.findIndex((f) => f.name === name);
  assert.equal(rows.cells[1][column('text')].text, `${'ü'.repeat(200)}…`);
  assert.equal(rows.cells[0][column('text')], null);
  assert.equal(rows.cells[2][column('text')].text, 'station-2 ✓');
  assert.equal(rows.cells[1][column('lbytes')].text, '0x0100ff');
  assert.equal(rows.cells[0][column('i64')], null);
  assert.equal(rows.cells[1][column('i64')].text, '-9223372036854775807');
  assert.deepEqual(rows.fields.find((f) => f.name === 'u64'), { name: 'u64', type: 'Uint64' });
});

test('types it does not read are left to apache-arrow', () => {
  const dated = new Table({ day: vectorFromArray([new Date(Date.UTC(2024, 0, 2))], new DateDay()) });
  const structs = new Table({ s: vectorFromArray([{ a: 1, b: 'x' }], new Struct([new Field('a', new Int32()), new Field('b', new Utf8())])) });
  const words = new Table({ w: vectorFromArray(['a', 'b', 'a'], new Dictionary(new Utf8(), new Int32())) });
  const floats = tableFromArrays({ f: new Float32Array([1]) });
  for (const [what, table] of [['a date', dated], ['a struct', structs], ['a dictionary', words]]) {
    const bytes = tableToIPC(table, 'stream');
    assert.equal(readIpcRows(entry(table.numRows), bytes, 10), undefined, what);
    assert.ok(readArrowRows(entry(table.numRows), bytes, 10).cells.length > 0, `${what}: apache-arrow reads it`);
  }
  assert.ok(readIpcRows(entry(1), tableToIPC(floats, 'stream'), 10), 'a plain float column is read');
  assert.deepEqual(readArrowRows(entry(1), tableToIPC(dated, 'stream'), 1).cells, [[{ text: '2024-01-02T00:00:00.000Z', numeric: false }]]);
  assert.deepEqual(readArrowRows(entry(1), tableToIPC(structs, 'stream'), 1).cells, [[{ text: '{"a":1,"b":"x"}', numeric: false }]]);
});

test('rows other than the entry\'s, or bytes that are no Arrow IPC stream, fail verification naming the chunk', () => {
  const bytes = tableToIPC(flatTable(10), 'stream');
  assert.throws(() => readIpcRows(entry(11), bytes, 5), (e) => e instanceof BlockVerificationError && e.cid === 'bafkreitestchunk' && /10 rows where the manifest says 11/.test(e.message));
  assert.ok(readIpcRows({ cid: 'bafkreitestchunk', rows: undefined }, bytes, 5), 'a raw table\'s one chunk has no row count to check');
  for (const cut of [3, 9, bytes.length - 17]) {
    assert.throws(() => readIpcRows(entry(10), bytes.subarray(0, cut), 5), (e) => e instanceof BlockVerificationError && /not an Arrow IPC stream/.test(e.message), `cut at ${cut}`);
  }
  assert.throws(() => readIpcRows(entry(10), new Uint8Array(64).fill(7), 5), (e) => e instanceof BlockVerificationError);
});
