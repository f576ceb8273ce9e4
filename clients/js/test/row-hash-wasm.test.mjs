// The WebAssembly row-hash kernel: its committed bytes are the assembled row-hash.wat, it gives
// the §7.1 example hashes, and every column path agrees with a plain BigInt reference of §7.1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as arrow from 'apache-arrow';
import { assemble, moduleText } from '../scripts/build-wasm.mjs';
import { rowFacts } from '../src/chunking/table-chunker.js';

const M = (1n << 64n) - 1n;
const S = 0xBB67AE8584CAA73Bn;
const K = 0x9E3779B97F4A7C15n;
const N = 0x6A09E667F3BCC908n;
const absorb = (h, w) => { const x = ((h ^ w) * K) & M; return ((x << 31n) | (x >> 33n)) & M; };
function fmix(h) {
  h ^= h >> 33n; h = (h * 0xFF51AFD7ED558CCDn) & M;
  h ^= h >> 33n; h = (h * 0xC4CEB9FE1A85EC53n) & M;
  return h ^ (h >> 33n);
}
const fold = (words) => words.reduce(absorb, S);
const item = (words) => fmix(fold(words));
/** Bytes zero-padded to a multiple of 8 and to at least `least` words, as LE words. */
function byteWords(bytes, least) {
  const words = [];
  for (let k = 0; k < bytes.length || words.length < least; k += 8) {
    let w = 0n;
    for (let b = 7; b >= 0; b--) w = (w << 8n) | BigInt(bytes[k + b] ?? 0);
    words.push(w);
  }
  return words;
}
const utf8 = new TextEncoder();
const strWords = (s) => (s === null ? [N] : [BigInt(utf8.encode(s).length), ...byteWords(utf8.encode(s), 2)]);
const intWords = (v, bits) => (v === null ? [N] : [BigInt.asUintN(bits, BigInt(v))]);

function hashesOf(table) {
  const { hashes } = rowFacts(table, { hashes: true });
  return Array.from({ length: table.numRows }, (_, i) => (BigInt(hashes[2 * i + 1]) << 32n) | BigInt(hashes[2 * i]));
}

test('the committed wasm bytes are row-hash.wat assembled', async () => {
  const committed = readFileSync(new URL('../src/chunking/row-hash-wasm.js', import.meta.url), 'utf8');
  assert.equal(committed, moduleText(await assemble()), 'run npm run build:wasm after editing row-hash.wat');
});

test('§7.1 example: int32 [1, null, 3]', () => {
  const table = new arrow.Table({ x: arrow.vectorFromArray([1, null, 3], new arrow.Int32()) });
  assert.deepEqual(hashesOf(table).map((h) => h.toString(16).padStart(16, '0')),
    ['60fbfd5deddf47e6', '13345f5886456403', 'c24ec7241cb2f662']);
});

/** Deterministic values: a small xorshift. */
function generator(seed) {
  let x = seed >>> 0 || 1;
  return () => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return (x >>> 0) / 4294967296; };
}

test('every kernel path equals the BigInt reference of §7.1 (nulls, widths, strings 0-40 bytes, lists of 1-, 2- and 8-byte items, dictionaries, structs)', () => {
  const rnd = generator(7);
  const n = 300;
  const maybe = (f) => (rnd() < 0.2 ? null : f());
  const letters = (len) => Array.from({ length: len }, () => String.fromCharCode(97 + Math.floor(rnd() * 26))).join('');
  const cols = {
    i8: Array.from({ length: n }, () => maybe(() => Math.floor(rnd() * 256) - 128)),
    u16: Array.from({ length: n }, () => maybe(() => Math.floor(rnd() * 65536))),
    i32: Array.from({ length: n }, () => maybe(() => Math.floor(rnd() * 2 ** 32) - 2 ** 31)),
    i64: Array.from({ length: n }, () => maybe(() => BigInt(Math.floor(rnd() * 2 ** 53)) - 2n ** 52n)),
    f64: Array.from({ length: n }, () => maybe(() => rnd() * 1e6 - 5e5)),
    s: Array.from({ length: n }, () => maybe(() => letters(Math.floor(rnd() * 41)))),
    b: Array.from({ length: n }, () => maybe(() => rnd() < 0.5)),
    l: Array.from({ length: n }, () => maybe(() => Array.from({ length: Math.floor(rnd() * 5) }, () => maybe(() => Math.floor(rnd() * 30000))))),
    l8: Array.from({ length: n }, () => maybe(() => Array.from({ length: Math.floor(rnd() * 5) }, () => maybe(() => Math.floor(rnd() * 256) - 128)))),
    l64: Array.from({ length: n }, () => maybe(() => Array.from({ length: Math.floor(rnd() * 5) }, () => maybe(() => BigInt(Math.floor(rnd() * 2 ** 53)) - 2n ** 52n)))),
    d: Array.from({ length: n }, () => maybe(() => ['x', 'yy', 'a longer dictionary value'][Math.floor(rnd() * 3)])),
    st: Array.from({ length: n }, () => maybe(() => ({ a: maybe(() => Math.floor(rnd() * 1000)), t: maybe(() => letters(Math.floor(rnd() * 20))) }))),
  };
  const f64Words = (v) => { if (v === null) return [N]; const dv = new DataView(new ArrayBuffer(8)); dv.setFloat64(0, v, true); return [dv.getBigUint64(0, true)]; };
  const table = new arrow.Table({
    i8: arrow.vectorFromArray(cols.i8, new arrow.Int8()),
    u16: arrow.vectorFromArray(cols.u16, new arrow.Uint16()),
    i32: arrow.vectorFromArray(cols.i32, new arrow.Int32()),
    i64: arrow.vectorFromArray(cols.i64, new arrow.Int64()),
    f64: arrow.vectorFromArray(cols.f64, new arrow.Float64()),
    s: arrow.vectorFromArray(cols.s, new arrow.Utf8()),
    b: arrow.vectorFromArray(cols.b, new arrow.Bool()),
    l: arrow.vectorFromArray(cols.l, new arrow.List(new arrow.Field('item', new arrow.Int16(), true))),
    l8: arrow.vectorFromArray(cols.l8, new arrow.List(new arrow.Field('item', new arrow.Int8(), true))),
    l64: arrow.vectorFromArray(cols.l64, new arrow.List(new arrow.Field('item', new arrow.Int64(), true))),
    d: arrow.vectorFromArray(cols.d, new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32())),
    st: arrow.vectorFromArray(cols.st, new arrow.Struct([new arrow.Field('a', new arrow.Int32(), true), new arrow.Field('t', new arrow.Utf8(), true)])),
  });
  const expected = Array.from({ length: n }, (_, j) => fmix(fold([
    ...intWords(cols.i8[j], 8), ...intWords(cols.u16[j], 16), ...intWords(cols.i32[j], 32), ...intWords(cols.i64[j], 64),
    ...f64Words(cols.f64[j]), ...strWords(cols.s[j]),
    ...(cols.b[j] === null ? [N] : [cols.b[j] ? 1n : 0n]),
    ...(cols.l[j] === null ? [N] : [BigInt(cols.l[j].length), ...cols.l[j].map((v) => item(intWords(v, 16)))]),
    ...(cols.l8[j] === null ? [N] : [BigInt(cols.l8[j].length), ...cols.l8[j].map((v) => item(intWords(v, 8)))]),
    ...(cols.l64[j] === null ? [N] : [BigInt(cols.l64[j].length), ...cols.l64[j].map((v) => item(intWords(v, 64)))]),
    ...(cols.d[j] === null ? [N] : [item(strWords(cols.d[j]))]),
    ...(cols.st[j] === null ? [N, N, N] : [0n, ...intWords(cols.st[j].a, 32), ...strWords(cols.st[j].t)]),
  ])));
  assert.deepEqual(hashesOf(table), expected);
});
