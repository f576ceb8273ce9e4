// Independent readers judge ArrowCid's IPC writers: every Arrow golden case, re-encoded by our
// ArrowFileWriter (.arrow) and ArrowStreamWriter (.arrows) from its integration JSON, is read with
// apache-arrow and nodejs-polars and compared value by value with <case>.expected.json (written by
// tests/ArrowCid.Arrow.Tests/NodeInterop/ApacheArrowReadsOurFilesTests.cs, which runs this file).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tableFromIPC, RecordBatchReader, DataType, Type } from 'apache-arrow';
import pl from 'nodejs-polars';
import { slotValue, integrationType, normalizeIntegrationType, metadataObject } from '../lib/arrow-values.mjs';
import { polarsColumn, POLARS_UNSUPPORTED, POLARS_UNCONVERTIBLE, POLARS_COLUMN_SKIP } from '../lib/polars-values.mjs';

const root = process.env.ARROWCID_INTEROP_DIR ?? fileURLToPath(new URL('../fixtures/arrow/', import.meta.url));
const dir = join(root, 'golden');
const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
const expectedOf = (id) => JSON.parse(readFileSync(join(dir, `${id}.expected.json`), 'utf8'));

// Golden cases apache-arrow 21.2.0 cannot read, each with the reason. None today: it reads
// decimal256, large lists/strings/binaries, unions, maps, intervals and durations. (It has no
// list-view or run-end encoded types, but no golden case uses them.)
const ARROW_JS_UNSUPPORTED = {};

test('the manifest lists every golden case', () => {
  assert.ok(manifest.cases.length >= 27, `only ${manifest.cases.length} cases`);
});

test('apache-arrow has no built-in LZ4/ZSTD codec, so our files for it are written uncompressed', () => {
  assert.throws(() => tableFromIPC(readFileSync(join(dir, 'compressed_lz4.arrows'))), /compressed but codec not found/);
});

function compareField(actual, expected, path, { inMap = false } = {}) {
  // apache-arrow calls a map's entries, key and value fields 'entries', 'key' and 'value' whatever
  // the file says (it does so for the upstream generated_map_non_canonical golden files too), so
  // those three names are not compared.
  if (!inMap) assert.equal(actual.name, expected.name, `${path}: name`);
  assert.equal(actual.nullable, expected.nullable, `${path}: nullable`);
  assert.deepEqual(metadataObject(actual.metadata), metadataObject(expected.metadata), `${path}: metadata`);
  let type = actual.type;
  if (expected.dictionary) {
    assert.ok(DataType.isDictionary(type), `${path}: expected a dictionary-encoded field, found ${type}`);
    assert.deepEqual(integrationType(type.indices), normalizeIntegrationType(expected.dictionary.indexType), `${path}: index type`);
    assert.equal(type.isOrdered, expected.dictionary.isOrdered, `${path}: ordered`);
    type = type.dictionary;
  }
  assert.deepEqual(integrationType(type), normalizeIntegrationType(expected.type), `${path}: type`);
  const children = type.children ?? [];
  assert.equal(children.length, expected.children.length, `${path}: child count`);
  const map = type.typeId === Type.Map;
  children.forEach((c, k) => compareField(c, expected.children[k], `${path}/${c.name}`, { inMap: map || (inMap && path.endsWith('/entries')) }));
}

// Read through RecordBatchReader, not tableFromIPC: apache-arrow's Table and RecordBatch rebuild the
// schema by field name, so where top-level names repeat (generated_duplicate_fieldnames,
// generated_union) they report the first field's type for all of them; the reader's schema and each
// batch's Data children are exact.
function compareIpc(bytes, expected, label) {
  const reader = RecordBatchReader.from(bytes);
  reader.open();
  assert.deepEqual(metadataObject(reader.schema.metadata), metadataObject(expected.schema.metadata), `${label}: schema metadata`);
  assert.equal(reader.schema.fields.length, expected.schema.fields.length, `${label}: field count`);
  reader.schema.fields.forEach((f, c) => compareField(f, expected.schema.fields[c], `${label} field ${c}`));
  // apache-arrow yields one empty batch for a schema-only stream or file (the upstream
  // generated_primitive_no_batches golden files too): that is the same as no batch.
  let batches = [...reader];
  if (expected.batches.length === 0 && batches.length === 1 && batches[0].numRows === 0) batches = [];
  assert.equal(batches.length, expected.batches.length, `${label}: batches`);
  batches.forEach((batch, b) => {
    assert.equal(batch.numRows, expected.batches[b].count, `${label} batch ${b}: rows`);
    expected.schema.fields.forEach((field, c) => {
      const data = batch.data.children[c];
      const values = Array.from({ length: data.length }, (_, i) => slotValue(data, i));
      assert.deepEqual(values, expected.batches[b].columns[c], `${label} batch ${b} column ${c} '${field.name}'`);
    });
  });
}

for (const id of manifest.cases) {
  for (const ext of ['.arrow', '.arrows']) {
    test(`apache-arrow reads ${id}${ext}`, { skip: ARROW_JS_UNSUPPORTED[id] ?? false }, () => {
      compareIpc(readFileSync(join(dir, id + ext)), expectedOf(id), id + ext);
    });
  }
}

for (const id of manifest.cases) {
  for (const [ext, read] of [['.arrow', (b) => pl.readIPC(b)], ['.arrows', (b) => pl.readIPCStream(b)]]) {
    test(`polars reads ${id}${ext}`, { skip: POLARS_UNSUPPORTED[id] ?? false }, () => {
      const expected = expectedOf(id);
      const df = read(readFileSync(join(dir, id + ext)));
      assert.deepEqual(df.columns, expected.schema.fields.map((f) => f.name), `${id}${ext}: column names`);
      assert.equal(df.height, expected.batches.reduce((n, b) => n + b.count, 0), `${id}${ext}: rows`);
      let compared = 0;
      expected.schema.fields.forEach((field, c) => {
        if (POLARS_UNCONVERTIBLE.has(field.type.name)) return; // read, but nodejs-polars cannot hand the values to JS
        if (POLARS_COLUMN_SKIP[`${id}/${field.name}`]) return; // listed with its reason in lib/polars-values.mjs
        compared++;
        const want = expected.batches.flatMap((b) => b.columns[c]);
        assert.deepEqual(polarsColumn(df.getColumn(field.name), field), polarsColumn.expected(want, field), `${id}${ext} column ${c} '${field.name}'`);
      });
      assert.ok(compared > 0 || df.width === 0, `${id}${ext}: no column could be compared`);
    });
  }
}
