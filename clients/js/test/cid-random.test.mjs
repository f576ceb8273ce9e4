// Property tests against the C# CLI, both ways: random tables built in JS (every type apache-arrow
// builds, several batches, slices) written as IPC and named by arrowcid cid; the same tables as the
// C# side rewrites them (arrowcid ipc convert) read back in JS; chunked tables of several MiB (the
// manifest tree); and batching invariance.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import { cidOf, describeTable, readArrowIpc } from '../src/index.js';
import { KINDS, randomTable, prng } from './helpers/random-table.mjs';
import { mixedTable } from './helpers/mixed-table.mjs';
import { cliOrSkip, cliCids, cliRun, tempDir } from './helpers/cli.mjs';
import { hashThread } from '../src/canonical/hash-thread.js';
import { setTimeout as sleep } from 'node:timers/promises';

const TABLES = 60;
// The IPC file format cannot replace a dictionary between batches, and random batches have their own.
const hasDictionary = (type) => arrow.DataType.isDictionary(type) || (type.children ?? []).some((c) => hasDictionary(c.type));
const fileFormatCan = (table) => table.batches.length <= 1 || !table.schema.fields.some((f) => hasDictionary(f.type));
const asTable = (t) => new arrow.Table(t.schema, t.batches);
const summary = (d) => `${d.cid} ${d.rows} ${d.bytes} ${d.chunks.length}`;
const cliSummary = (r) => `${r.table.cid} ${r.table.rows} ${r.table.bytes} ${r.table.chunks}`;

/** Random tables: every kind alone once, then random mixes. */
function tables() {
  const out = KINDS.map((kind, i) => [`${kind[0]} alone`, randomTable(1000 + i, { kinds: [kind], rows: 1 + (i % 40) })]);
  for (let seed = 0; seed < TABLES; seed++) out.push([`random seed ${seed}`, randomTable(seed)]);
  return out;
}

test('random JS tables written as IPC stream and file: cidOf gives arrowcid cid', async (t) => {
  const cli = cliOrSkip(t);
  if (cli === null) return;
  const dir = tempDir();
  const cases = [];
  for (const [name, table] of tables()) {
    const expected = summary(await describeTable(table));
    for (const format of fileFormatCan(table) ? ['stream', 'file'] : ['stream']) {
      const path = join(dir, `${cases.length}.${format}`);
      writeFileSync(path, arrow.tableToIPC(asTable(table), format));
      cases.push({ name: `${name} (${format})`, path, expected });
    }
  }
  const cs = await cliCids(cli, cases.map((c) => c.path));
  cases.forEach((c, i) => assert.equal(c.expected, cliSummary(cs[i]), c.name));
  // Read back in JS from the written bytes: the same CID again.
  for (const c of cases) assert.equal(summary(await describeTable(readArrowIpc(readFileSync(c.path)))), c.expected, c.name);
});

test('random tables as the C# side writes them (arrowcid ipc convert): cidOf gives arrowcid cid', async (t) => {
  const cli = cliOrSkip(t);
  if (cli === null) return;
  const dir = tempDir();
  const written = [];
  for (const [name, table] of tables().filter((_, i) => i % 3 === 0)) {
    const source = join(dir, `${written.length}.source.arrows`);
    const target = join(dir, `${written.length}.cs.arrow`);
    writeFileSync(source, arrow.tableToIPC(asTable(table), 'stream'));
    const format = written.length % 2 === 0 && fileFormatCan(table) ? 'file' : 'stream';
    await cliRun(cli, ['ipc', 'convert', source, target, '--format', format]);
    written.push({ name, path: target, js: summary(await describeTable(table)) });
  }
  const cs = await cliCids(cli, written.map((w) => w.path));
  for (const [i, w] of written.entries()) {
    const fromCs = summary(await describeTable(readArrowIpc(readFileSync(w.path))));
    assert.equal(fromCs, cliSummary(cs[i]), w.name);
    assert.equal(fromCs, w.js, `${w.name}: the C# rewrite names the same table`);
  }
});

test('chunked tables of several MiB: every chunk and the manifest root agree with arrowcid cid', async (t) => {
  const cli = cliOrSkip(t);
  if (cli === null) return;
  const dir = tempDir();
  const kinds = ['int64', 'float64', 'utf8', 'list_int32', 'dictionary_int32', 'struct', 'binary'].map((n) => KINDS.find((k) => k[0] === n));
  const cases = [
    ['mixed table, 150,000 rows', mixedTable(9, 150000, 7777)],
    ['random kinds, 60,000 rows', asTable(randomTable(77, { rows: 60000, kinds }))],
  ];
  const paths = [];
  const described = [];
  // The hash thread started and up first, so the chunks' blocks go to it (where the worker writes
  // their offsets and dictionary indices) and not to WebCrypto (where joinParts does).
  const thread = hashThread();
  for (let i = 0; i < 300 && !thread.online; i++) await sleep(10);
  assert.ok(thread.online, 'the hash thread came up');
  const postedBefore = thread.posted;
  for (const [name, table] of cases) {
    const path = join(dir, `${paths.length}.arrows`);
    writeFileSync(path, arrow.tableToIPC(table, 'stream'));
    paths.push(path);
    const d = await describeTable(table);
    assert.ok(d.chunks.length > 4, `${name}: ${d.chunks.length} chunks, expected a manifest tree`);
    described.push(d);
  }
  assert.ok(thread.posted - postedBefore > 10, 'the chunks were hashed by the hash thread');
  const cs = await cliCids(cli, paths);
  described.forEach((d, i) => {
    assert.deepEqual(d.chunks.map((c) => [c.cid.toString(), c.rows, c.bytes]), cs[i].chunks.map((c) => [c.cid, c.rows, c.bytes]), cases[i][0]);
    assert.equal(cliSummary(cs[i]), summary(d), cases[i][0]);
    assert.equal(d.manifestBytes, cs[i].table.manifest_bytes, cases[i][0]);
  });
});

test('batching invariance: the same rows in other batches and slices have the same CID', async () => {
  const base = mixedTable(5, 60000, 60000);
  const expected = (await cidOf(base)).toString();
  assert.match(expected, /^bafyrei/);
  for (const batchRows of [1000, 7919, 30000]) assert.equal((await cidOf(mixedTable(5, 60000, batchRows))).toString(), expected, `batches of ${batchRows}`);
  // Random cut points, some batches empty, one table made of slices of others.
  const r = prng(11);
  const whole = base.batches[0];
  const pieces = [];
  for (let at = 0; at < whole.numRows;) {
    const n = Math.min(whole.numRows - at, Math.floor(r() * 9000));
    pieces.push(whole.slice(at, at + n));
    at += n;
  }
  assert.equal((await cidOf(new arrow.Table(base.schema, pieces))).toString(), expected, 'random slices');
  // Small random tables: one batch against their own batches.
  for (let seed = 0; seed < 20; seed++) {
    const table = randomTable(500 + seed, { rows: 50 });
    const oneBatch = readArrowIpc(arrow.tableToIPC(asTable(table), 'stream'));
    assert.equal((await cidOf(table)).toString(), (await cidOf(oneBatch)).toString(), `seed ${seed}`);
  }
});

test('the block check: chunks shortened for 1 MiB blocks and for dictionaries their index type cannot number', async (t) => {
  const cli = cliOrSkip(t);
  if (cli === null) return;
  const dir = tempDir();
  // Dictionary values are not in the nominal size, so these rows look small to the cut rule but
  // their distinct 2 KiB values make blocks over 1 MiB: the chunks are shortened (§7.3).
  const big = arrow.vectorFromArray(Array.from({ length: 3000 }, (_, i) => `${i}:`.padEnd(2048, String.fromCharCode(97 + (i % 26)))),
    new arrow.Dictionary(new arrow.Utf8(), new arrow.Int16()));
  // 400 distinct values under an int8 index in batches of 100 (each batch fits, a chunk of all rows does not).
  const words = Array.from({ length: 400 }, (_, i) => `w${i}`);
  const int8Dictionary = new arrow.Dictionary(new arrow.Utf8(), new arrow.Int8());
  const smallSchema = new arrow.Schema([new arrow.Field('d', int8Dictionary, true)]);
  const small = new arrow.Table(smallSchema, Array.from({ length: 4 }, (_, b) => new arrow.RecordBatch(smallSchema, arrow.makeData({
    type: new arrow.Struct(smallSchema.fields), length: 100, nullCount: 0,
    children: [arrow.vectorFromArray(words.slice(100 * b, 100 * b + 100), int8Dictionary).data[0]],
  }))));
  const cases = [['2 KiB dictionary values', new arrow.Table({ d: big })], ['int8 dictionary of 400 values', small]];
  const paths = cases.map(([, table], i) => {
    const path = join(dir, `${i}.arrows`);
    writeFileSync(path, arrow.tableToIPC(table, 'stream'));
    return path;
  });
  const cs = await cliCids(cli, paths);
  for (const [i, [name, table]] of cases.entries()) {
    const d = await describeTable(table);
    assert.ok(d.chunks.length > 1, `${name}: ${d.chunks.length} chunks`);
    assert.ok(d.chunks.every((c) => c.bytes <= 1048576), name);
    assert.deepEqual(d.chunks.map((c) => [c.cid.toString(), c.rows, c.bytes]), cs[i].chunks.map((c) => [c.cid, c.rows, c.bytes]), name);
    assert.equal(summary(d), cliSummary(cs[i]), name);
  }
});
