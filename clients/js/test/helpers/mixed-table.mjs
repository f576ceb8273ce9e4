// The mixed table of docs/canonical-form.md §7.6 (MixedTable), built with apache-arrow in batches.
import * as arrow from 'apache-arrow';

const M64 = (1n << 64n) - 1n;
const GOLDEN = 0x9E3779B97F4A7C15n;
const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel'];

function mix(z) {
  z = ((z ^ (z >> 30n)) * 0xBF58476D1CE4E5B9n) & M64;
  z = ((z ^ (z >> 27n)) * 0x94D049BB133111EBn) & M64;
  return z ^ (z >> 31n);
}

export const mixedSchema = new arrow.Schema([
  new arrow.Field('id', new arrow.Int64(), false),
  new arrow.Field('value', new arrow.Float64(), true),
  new arrow.Field('label', new arrow.Utf8(), true),
  new arrow.Field('flag', new arrow.Bool(), false),
  new arrow.Field('tags', new arrow.List(new arrow.Field('item', new arrow.Int32(), true)), true),
  new arrow.Field('category', new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32()), true),
], new Map([['table', 'mixed']]));

/** Rows [from, to) of the mixed table with seed `seed` as one RecordBatch. */
export function mixedBatch(seed, from, to) {
  const ids = []; const values = []; const labels = []; const flags = []; const tags = []; const cats = [];
  const s = BigInt(seed);
  for (let i = from; i < to; i++) {
    let k = 0;
    const draw = () => mix((s + (64n * BigInt(i) + BigInt(k++) + 1n) * GOLDEN) & M64);
    ids.push(BigInt(i));
    let d = draw();
    values.push(d % 10n === 0n ? null : Number(d >> 11n) * 2 ** -53);
    d = draw();
    if (d % 13n === 0n) labels.push(null);
    else {
      const n = 4 + Number((d >> 8n) % 17n);
      let str = '';
      for (let c = 0; c < n; c++) str += String.fromCharCode(97 + Number(draw() % 26n));
      labels.push(str);
    }
    flags.push((draw() & 1n) === 1n);
    d = draw();
    if (d % 17n === 0n) tags.push(null);
    else {
      const n = Number((d >> 8n) % 4n);
      const items = [];
      for (let c = 0; c < n; c++) items.push(Number(draw() % 1000n));
      tags.push(items);
    }
    d = draw();
    cats.push(d % 11n === 0n ? null : WORDS[Number((d >> 8n) % 8n)]);
  }
  const f = mixedSchema.fields;
  const children = [
    arrow.makeData({ type: f[0].type, length: ids.length, nullCount: 0, data: BigInt64Array.from(ids) }),
    arrow.vectorFromArray(values, f[1].type).data[0],
    arrow.vectorFromArray(labels, f[2].type).data[0],
    arrow.vectorFromArray(flags, f[3].type).data[0],
    arrow.vectorFromArray(tags, f[4].type).data[0],
    arrow.vectorFromArray(cats, f[5].type).data[0],
  ].map((d) => (d.length === 0 ? d : d));
  const data = arrow.makeData({ type: new arrow.Struct(f), length: to - from, nullCount: 0, children });
  return new arrow.RecordBatch(mixedSchema, data);
}

/** The mixed table with seed `seed` and `rows` rows, in batches of `batchRows`. */
export function mixedTable(seed, rows, batchRows = 10000) {
  const batches = [];
  for (let from = 0; from < rows; from += batchRows) batches.push(mixedBatch(seed, from, Math.min(rows, from + batchRows)));
  return batches.length === 0 ? new arrow.Table(mixedSchema) : new arrow.Table(batches);
}
