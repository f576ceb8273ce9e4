// The test vectors of docs/canonical-form.md: §5 (canonical batches, byte for byte) and §7.6
// (row hashes, nominal sizes, chunked tables and manifest trees), computed from the document's
// rules alone by src/canonical and src/chunking.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import { sha256 } from 'multiformats/hashes/sha2';
import { canonicalBatchBytes, describeTable, rawCid } from '../src/index.js';
import { RULE, rowFacts, fieldsOf, schemaMessage } from '../src/chunking/table-chunker.js';
import { schemaFlatbuffer } from '../src/canonical/encode.js';
import { buildManifestTree } from '../src/chunking/manifest-tree.js';
import { mixedSchema, mixedTable } from './helpers/mixed-table.mjs';
import { repoRoot } from './helpers/cli.mjs';

const hex = (bytes) => Buffer.from(bytes).toString('hex');
const vectors = JSON.parse(readFileSync(join(repoRoot, 'tests/ArrowCid.Content.Tests/Chunking/chunking-vectors.json'), 'utf8'));

function tableOf(fields, columns, metadata) {
  const schema = new arrow.Schema(fields, metadata);
  const length = columns.length === 0 ? 0 : columns[0].length;
  const data = arrow.makeData({ type: new arrow.Struct(fields), length, nullCount: 0, children: columns });
  return new arrow.Table(schema, new arrow.RecordBatch(schema, data));
}
const col = (values, type) => arrow.vectorFromArray(values, type).data[0];

// The §5 batches apache-arrow can build (struct_view_and_runs needs run-end encoding, which it lacks).
const batches = {
  empty: () => tableOf([], []),
  int32_with_null: () => tableOf([new arrow.Field('x', new arrow.Int32(), true)], [col([1, null, 3], new arrow.Int32())]),
  mixed: () => tableOf(
    [new arrow.Field('s', new arrow.Utf8(), true), new arrow.Field('f', new arrow.Float64(), true), new arrow.Field('b', new arrow.Bool(), false)],
    [col(['héllo', null, ''], new arrow.Utf8()), col([NaN, -0, 2.5], new arrow.Float64()), col([true, false, true], new arrow.Bool())],
    new Map([['b', '2'], ['a', '1']])),
  dictionary_and_list: () => tableOf(
    [new arrow.Field('d', new arrow.Dictionary(new arrow.Utf8(), new arrow.Int8()), true), new arrow.Field('l', new arrow.List(new arrow.Field('item', new arrow.Int32(), true)), true)],
    [col(['red', 'green', 'red', null], new arrow.Dictionary(new arrow.Utf8(), new arrow.Int8())),
      col([[1, 2], null, [], [3]], new arrow.List(new arrow.Field('item', new arrow.Int32(), true)))]),
};

const section5 = [
  ['empty', 136, '4281a97b9e4c529254b19686fa671a996fa721198adc110d2d374f56482af9ea', 'bafkreiccqguxxhsmkkjfjmmwq35goguzn6tscgmk3qiq2ljxj5leqkxz5i'],
  ['int32_with_null', 304, '3c0d5951b680d9b01ac926102cc9016775bace3a6d6821256a6dc42f0a2a677c', 'bafkreib4bvmvdnua3gybvsjgcawmsalhow5m4otnnaqsk2tnyqxqukthpq'],
  ['mixed', 640, 'fc5398efe439be3b3bfccb97be209d658357dd4198175e5a6ec1978f2ad3e17f', 'bafkreih4komo7zbzxy5tx7gls67cbhlfqnl52qmyc5pfu3wbs6hsvu7bp4'],
  ['dictionary_and_list', 768, '844186308ba5a74613f828b0c14999a211ab9d32afa4d44e0aa9641519d96477', 'bafkreieeigddbc5fu5dbh6biwdautgnccgvz2mvputke4cvjmqkrtwleo4'],
];

for (const [name, length, digest, cid] of section5) {
  test(`§5 vector ${name}: bytes, SHA-256 and CID`, async () => {
    const bytes = canonicalBatchBytes(batches[name]());
    assert.equal(bytes.length, length);
    assert.equal(hex((await sha256.digest(bytes)).digest), digest);
    assert.equal((await rawCid(bytes)).toString(), cid);
    assert.equal((await describeTable(batches[name]())).cid.toString(), cid);
  });
}

test('§5 complete bytes of empty and int32_with_null', () => {
  const doc = readFileSync(join(repoRoot, 'docs/canonical-form.md'), 'utf8');
  for (const name of ['empty', 'int32_with_null']) {
    const block = doc.split(`\n${name} (`)[1].split('\n\n')[0].split('\n').slice(1);
    const expected = block.map((line) => line.slice(6).replace(/ /g, '')).join('');
    assert.equal(hex(canonicalBatchBytes(batches[name]())), expected, name);
  }
});

test('§7.6 row hashes and nominal bits of the §5 batches and the mixed table', () => {
  let checked = 0;
  for (const entry of vectors.row_hashes) {
    const name = entry.batch.startsWith('canonical-form.md section 5: ') ? entry.batch.slice(29) : null;
    const table = name === null ? mixedTable(42, 16) : batches[name]?.();
    if (table === undefined) continue; // struct_view_and_runs: run-end encoding is not in apache-arrow
    const { hashes, bits } = rowFacts(table, { hashes: true });
    entry.rows.forEach((row, i) => {
      const got = hashes[2 * i + 1].toString(16).padStart(8, '0') + hashes[2 * i].toString(16).padStart(8, '0');
      assert.equal(got, row.hash, `${entry.batch} row ${i}`);
      assert.equal(bits[i], row.bits, `${entry.batch} row ${i} bits`);
    });
    checked++;
  }
  assert.equal(checked, vectors.row_hashes.length - 1);
});

for (const expected of vectors.tables) {
  test(`§7.6 table ${expected.name} (seed ${expected.seed}, ${expected.rows} rows): root and every chunk`, async () => {
    const table = await describeTable(mixedTable(expected.seed, expected.rows));
    assert.deepEqual(table.chunks.map((c) => ({ first_row: c.firstRow, rows: c.rows, bytes: c.bytes, cid: c.cid.toString() })), expected.chunks);
    assert.equal(table.bytes, expected.chunk_bytes);
    assert.equal(table.cid.toString(), expected.root);
  });
}

for (const expected of vectors.null_tables) {
  test(`§7.3 row limit: ${expected.name}, ${expected.rows} rows in batches of 2^22: root and every chunk`, async () => {
    const field = new arrow.Field('n', new arrow.Null(), true);
    const schema = new arrow.Schema([field]);
    const batches = [];
    for (let first = 0; first < expected.rows; first += 1 << 22) {
      const length = Math.min(1 << 22, expected.rows - first);
      const nulls = arrow.makeData({ type: new arrow.Null(), length });
      batches.push(new arrow.RecordBatch(schema, arrow.makeData({ type: new arrow.Struct([field]), length, nullCount: 0, children: [nulls] })));
    }
    const table = await describeTable(new arrow.Table(schema, batches));
    assert.deepEqual(table.chunks.map((c) => ({ first_row: c.firstRow, rows: c.rows, bytes: c.bytes, cid: c.cid.toString() })), expected.chunks);
    assert.equal(table.cid.toString(), expected.root);
  });
}

test('the rule the vectors state is the one this implementation runs', () => {
  assert.equal(RULE.maxRows, vectors.rule.max_rows);
  assert.equal(RULE.maxNominalBytes, vectors.rule.max_nominal_bytes);
});

for (const expected of vectors.trees) {
  test(`§7.6 tree ${expected.name}: root and nodes per level`, async () => {
    const chunks = [];
    for (let i = 0; i < expected.chunks; i++) {
      chunks.push({ cid: await rawCid(new TextEncoder().encode(`chunk ${i}`)), rows: 1000 + (i % 7), bytes: 200000 + i });
    }
    const fields = fieldsOf({ schema: mixedSchema, batches: [] });
    const { root, nodes } = await buildManifestTree(chunks, schemaMessage(schemaFlatbuffer({ fields, metadata: mixedSchema.metadata })));
    assert.equal(root.cid.toString(), expected.root);
    assert.equal(root.bytes.length, expected.root_bytes);
    const perLevel = [];
    for (const node of nodes) perLevel[node.level] = (perLevel[node.level] ?? 0) + 1;
    assert.deepEqual(perLevel, expected.nodes_per_level);
  });
}
