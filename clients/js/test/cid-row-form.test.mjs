// The row form of a batch (its arrays as the row hash and the cut rule see them before chunks are
// cut): dictionary indices kept as the source numbers them when its dictionary's values are
// distinct, validity taken from the source's bitmap at any bit offset, fixed-width values kept when
// their null slots are zero. The same rows built so that each of these shortcuts is or is not
// taken must name the same table, chunk for chunk.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as arrow from 'apache-arrow';
import { describeTable } from '../src/index.js';

const ROWS = 300000; // several chunks
const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo'];

function xorshift(seed) {
  let x = seed >>> 0;
  return () => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return x >>> 0; };
}

/** Row facts: word (or null) and float (or null) per row. */
function rows(n) {
  const next = xorshift(7);
  const out = [];
  for (let i = 0; i < n; i++) {
    const r = next();
    out.push({ word: r % 7 === 0 ? null : WORDS[r % WORDS.length], value: r % 5 === 0 ? null : (r >>> 3) / 977 });
  }
  return out;
}

/**
 * The rows as one batch: dictionary `dictionaryValues` (indices found by value), float null slots
 * filled with `nullFill`, everything shifted by `shift` slots and sliced back (so bitmaps start
 * mid-byte).
 */
function table(facts, dictionaryValues, nullFill, shift) {
  const n = facts.length + shift;
  const type = new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32());
  const indices = new Int32Array(n);
  const dictValid = new Uint8Array((n + 7) >> 3);
  const values = new Float64Array(n);
  const valueValid = new Uint8Array((n + 7) >> 3);
  facts.forEach((f, i) => {
    const p = i + shift;
    if (f.word !== null) { indices[p] = (p & 1) === 0 ? dictionaryValues.indexOf(f.word) : dictionaryValues.lastIndexOf(f.word); dictValid[p >> 3] |= 1 << (p & 7); } else indices[p] = 1;
    if (f.value !== null) { values[p] = f.value; valueValid[p >> 3] |= 1 << (p & 7); } else values[p] = nullFill;
  });
  const dictionary = arrow.vectorFromArray(dictionaryValues, new arrow.Utf8());
  const fields = [new arrow.Field('word', type, true), new arrow.Field('value', new arrow.Float64(), true)];
  const children = [
    arrow.makeData({ type, length: n, nullBitmap: dictValid, data: indices, dictionary }),
    arrow.makeData({ type: fields[1].type, length: n, nullBitmap: valueValid, data: values }),
  ];
  const schema = new arrow.Schema(fields);
  const batch = new arrow.RecordBatch(schema, arrow.makeData({ type: new arrow.Struct(fields), length: n, nullCount: 0, children }));
  return new arrow.Table(schema, [batch.slice(shift, n)]);
}

test('row form: kept dictionary indices, shifted bitmaps and kept values name the same table as the general path', async () => {
  const facts = rows(ROWS);
  const plain = await describeTable(table(facts, WORDS, 0, 0));
  assert.ok(plain.chunks.length > 1, 'several chunks');
  const variants = {
    'dictionary in another order': table(facts, [...WORDS].reverse(), 0, 0),
    'dictionary with a repeated value (renumbered)': table(facts, ['echo', ...WORDS], 0, 0),
    'dictionary with a null value (renumbered)': table(facts, [null, ...WORDS], 0, 0),
    'bitmaps starting mid-byte': table(facts, WORDS, 0, 3),
    'float null slots not zero (copied)': table(facts, WORDS, 42.5, 5),
  };
  for (const [name, t] of Object.entries(variants)) {
    const d = await describeTable(t);
    assert.equal(d.cid.toString(), plain.cid.toString(), name);
    assert.deepEqual(d.chunks.map((c) => c.rows ?? c), plain.chunks.map((c) => c.rows ?? c), `${name}: chunks`);
  }
});
