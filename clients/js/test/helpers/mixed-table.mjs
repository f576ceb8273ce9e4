// The mixed table of docs/canonical-form.md §7.6 (MixedTable), built with apache-arrow in batches.
import * as arrow from 'apache-arrow';

const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel'];

// 64-bit words as [hi, lo] uint32 pairs (BigInt is far too slow for a million rows).
function mul64(ah, al, bh, bl) {
  const a0 = al & 0xffff; const a1 = al >>> 16; const b0 = bl & 0xffff; const b1 = bl >>> 16;
  const p00 = a0 * b0; const p01 = a0 * b1; const p10 = a1 * b0; const p11 = a1 * b1;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  const lo = ((mid << 16) | (p00 & 0xffff)) >>> 0;
  const hi = (p11 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16) + Math.imul(ah, bl) + Math.imul(al, bh)) >>> 0;
  return [hi, lo];
}
const xorShift = ([h, l], r) => [(h ^ (h >>> r)) >>> 0, (l ^ ((l >>> r) | (h << (32 - r)))) >>> 0];

/** A draw as [hi, lo]: splitmix64's output function of seed + m·0x9E3779B97F4A7C15. */
function draw(seed, m) {
  const [gh, gl] = mul64(Math.floor(m / 4294967296) >>> 0, m >>> 0, 0x9E3779B9, 0x7F4A7C15);
  const lo = gl + (seed >>> 0);
  let z = [(gh + Math.floor(seed / 4294967296) + (lo > 0xffffffff ? 1 : 0)) >>> 0, lo >>> 0];
  z = xorShift(z, 30); z = mul64(z[0], z[1], 0xBF58476D, 0x1CE4E5B9);
  z = xorShift(z, 27); z = mul64(z[0], z[1], 0x94D049BB, 0x133111EB);
  return xorShift(z, 31);
}
const mod = ([h, l], m) => ((h % m) * 4294967296 + l) % m;
const shr8 = ([h, l]) => [h >>> 8, ((l >>> 8) | (h << 24)) >>> 0];

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
  for (let i = from; i < to; i++) {
    let k = 0;
    const next = () => draw(seed, 64 * i + (k++) + 1);
    ids.push(BigInt(i));
    let d = next();
    values.push(mod(d, 10) === 0 ? null : (d[0] * 2 ** 21 + (d[1] >>> 11)) * 2 ** -53);
    d = next();
    if (mod(d, 13) === 0) labels.push(null);
    else {
      const n = 4 + mod(shr8(d), 17);
      let str = '';
      for (let c = 0; c < n; c++) str += String.fromCharCode(97 + mod(next(), 26));
      labels.push(str);
    }
    flags.push((next()[1] & 1) === 1);
    d = next();
    if (mod(d, 17) === 0) tags.push(null);
    else {
      const n = mod(shr8(d), 4);
      const items = [];
      for (let c = 0; c < n; c++) items.push(mod(next(), 1000));
      tags.push(items);
    }
    d = next();
    cats.push(mod(d, 11) === 0 ? null : WORDS[mod(shr8(d), 8)]);
  }
  const f = mixedSchema.fields;
  const children = [
    arrow.makeData({ type: f[0].type, length: ids.length, nullCount: 0, data: BigInt64Array.from(ids) }),
    arrow.vectorFromArray(values, f[1].type).data[0],
    arrow.vectorFromArray(labels, f[2].type).data[0],
    arrow.vectorFromArray(flags, f[3].type).data[0],
    arrow.vectorFromArray(tags, f[4].type).data[0],
    arrow.vectorFromArray(cats, f[5].type).data[0],
  ];
  const data = arrow.makeData({ type: new arrow.Struct(f), length: to - from, nullCount: 0, children });
  return new arrow.RecordBatch(mixedSchema, data);
}

/** The mixed table with seed `seed` and `rows` rows, in batches of `batchRows`. */
export function mixedTable(seed, rows, batchRows = 10000) {
  const batches = [];
  for (let from = 0; from < rows; from += batchRows) batches.push(mixedBatch(seed, from, Math.min(rows, from + batchRows)));
  return batches.length === 0 ? new arrow.Table(mixedSchema) : new arrow.Table(batches);
}
