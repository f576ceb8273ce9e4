// The row hash (docs/canonical-form.md §7.1) and the nominal size (§7.2) of the rows of canonical
// arrays, column by column over typed arrays. 64-bit words are (hi, lo) pairs of uint32 so the
// arithmetic is exact without BigInt.

import { T, fixedWidth, isBinaryLike, isLarge, isView, isListLike } from '../canonical/types.js';

const S_HI = 0xBB67AE85, S_LO = 0x84CAA73B;
const K_HI = 0x9E3779B9, K_LO = 0x7F4A7C15;
export const N_HI = 0x6A09E667, N_LO = 0xF3BCC908;

/** A state per slot: hi and lo words, starting at the seed S. */
export function seededState(n) {
  return { hi: new Uint32Array(n).fill(S_HI), lo: new Uint32Array(n).fill(S_LO) };
}

/** h[i] = absorb(h[i], (whi, wlo)) = rotl64((h xor w) · K, 31). */
function absorb(H, L, i, whi, wlo) {
  mulInto(H, L, i, (H[i] ^ whi) >>> 0, (L[i] ^ wlo) >>> 0, K_HI, K_LO);
  const hi = H[i];
  const lo = L[i];
  H[i] = ((hi << 31) | (lo >>> 1)) >>> 0;
  L[i] = ((lo << 31) | (hi >>> 1)) >>> 0;
}

/** (hi, lo) · (chi, clo) mod 2^64 written back to H[i], L[i]. */
function mulInto(H, L, i, hi, lo, chi, clo) {
  const c0 = clo & 0xffff;
  const c1 = clo >>> 16;
  const a0 = lo & 0xffff;
  const a1 = lo >>> 16;
  const p00 = a0 * c0;
  const p01 = a0 * c1;
  const p10 = a1 * c0;
  const p11 = a1 * c1;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  L[i] = ((mid << 16) | (p00 & 0xffff)) >>> 0;
  H[i] = (p11 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16) + Math.imul(hi, clo) + Math.imul(lo, chi)) >>> 0;
}

/** fmix64 of every state, in place. */
export function finish(state) {
  const H = state.hi;
  const L = state.lo;
  for (let i = 0; i < H.length; i++) {
    mulInto(H, L, i, H[i], (L[i] ^ (H[i] >>> 1)) >>> 0, 0xFF51AFD7, 0xED558CCD);
    mulInto(H, L, i, H[i], (L[i] ^ (H[i] >>> 1)) >>> 0, 0xC4CEB9FE, 0x1A85EC53);
    L[i] = (L[i] ^ (H[i] >>> 1)) >>> 0;
  }
  return state;
}

/** item(A, j) for every slot of A. */
export function itemHashes(a) {
  const state = seededState(a.length);
  absorbWords(a, state);
  return finish(state);
}

const validAt = (a, j) => a.validity === null || ((a.validity[j >> 3] >> (j & 7)) & 1) === 1;

/** Absorbs words(A, j) into state j for every slot j of the canonical array A. */
export function absorbWords(a, state) {
  const H = state.hi;
  const L = state.lo;
  const n = a.length;
  const id = a.type.typeId;
  if (id === T.Null) { for (let j = 0; j < n; j++) absorb(H, L, j, N_HI, N_LO); return; }
  if (id === T.Bool) {
    for (let j = 0; j < n; j++) {
      if (validAt(a, j)) absorb(H, L, j, 0, (a.values[j >> 3] >> (j & 7)) & 1);
      else absorb(H, L, j, N_HI, N_LO);
    }
    return;
  }
  const w = fixedWidth(a.type);
  if (w > 0) { absorbFixed(a, w, H, L); return; }
  if (isBinaryLike(id) || isView(id)) { absorbBinary(a, H, L); return; }
  if (isListLike(id) || id === T.FixedSizeList) {
    const items = itemHashes(a.children[0]);
    const size = a.type.listSize;
    for (let j = 0; j < n; j++) {
      if (!validAt(a, j)) { absorb(H, L, j, N_HI, N_LO); continue; }
      const from = id === T.FixedSizeList ? j * size : Number(a.offsets[j]);
      const to = id === T.FixedSizeList ? from + size : Number(a.offsets[j + 1]);
      absorb(H, L, j, 0, to - from);
      for (let k = from; k < to; k++) absorb(H, L, j, items.hi[k], items.lo[k]);
    }
    return;
  }
  if (id === T.Struct) {
    for (let j = 0; j < n; j++) {
      if (validAt(a, j)) absorb(H, L, j, 0, 0);
      else absorb(H, L, j, N_HI, N_LO);
    }
    for (const c of a.children) absorbWords(c, state);
    return;
  }
  if (id === T.Dictionary) {
    const items = itemHashes(a.dictionary);
    for (let j = 0; j < n; j++) {
      if (!validAt(a, j)) { absorb(H, L, j, N_HI, N_LO); continue; }
      const k = Number(a.indices[j]);
      absorb(H, L, j, items.hi[k], items.lo[k]);
    }
    return;
  }
  if (id === T.Union) {
    const items = a.children.map(itemHashes);
    const codes = a.type.typeIds;
    for (let j = 0; j < n; j++) {
      const code = a.typeIds[j];
      const c = items[codes.indexOf(code)];
      const slot = a.type.mode === 1 ? a.unionOffsets[j] : j;
      absorb(H, L, j, 0, code);
      absorb(H, L, j, c.hi[slot], c.lo[slot]);
    }
    return;
  }
  throw new Error(`arrowcid: no row hash for type ${a.type}`);
}

function absorbFixed(a, w, H, L) {
  const n = a.length;
  const bytes = a.values;
  if (w === 1 || w === 2 || w === 4) {
    const v = w === 1 ? bytes : w === 2 ? new Uint16Array(bytes.buffer, bytes.byteOffset, n) : new Uint32Array(bytes.buffer, bytes.byteOffset, n);
    if (a.validity === null) { for (let j = 0; j < n; j++) absorb(H, L, j, 0, v[j]); return; }
    for (let j = 0; j < n; j++) {
      if (validAt(a, j)) absorb(H, L, j, 0, v[j]);
      else absorb(H, L, j, N_HI, N_LO);
    }
    return;
  }
  if (w % 4 === 0 && (bytes.byteOffset & 3) === 0) {
    const v = new Uint32Array(bytes.buffer, bytes.byteOffset, (n * w) >> 2);
    const words = w >> 2; // 32-bit halves per value
    for (let j = 0; j < n; j++) {
      const base = j * words;
      if (validAt(a, j)) {
        for (let k = 0; k < words; k += 2) absorb(H, L, j, k + 1 < words ? v[base + k + 1] : 0, v[base + k]);
      } else {
        absorb(H, L, j, N_HI, N_LO);
        for (let k = 2; k < words; k += 2) absorb(H, L, j, 0, 0);
      }
    }
    return;
  }
  // Other widths (fixed-size binary): zero-padded little-endian words.
  const padded = new Uint8Array(Math.max(8, (w + 7) & ~7));
  const pv = new DataView(padded.buffer);
  for (let j = 0; j < n; j++) {
    padded.fill(0);
    if (validAt(a, j)) {
      padded.set(bytes.subarray(j * w, j * w + w));
      for (let k = 0; k < padded.length; k += 8) absorb(H, L, j, pv.getUint32(k + 4, true), pv.getUint32(k, true));
    } else {
      absorb(H, L, j, N_HI, N_LO);
      for (let k = 8; k < padded.length; k += 8) absorb(H, L, j, 0, 0);
    }
  }
}

function absorbBinary(a, H, L) {
  const n = a.length;
  const view = isView(a.type.typeId);
  const data = view ? null : a.data;
  const offsets = view ? null : (a.offsets instanceof BigInt64Array ? Float64Array.from(a.offsets, Number) : a.offsets);
  const dv = view ? new DataView(a.views.buffer, a.views.byteOffset, a.views.byteLength) : new DataView(data.buffer, data.byteOffset, data.byteLength);
  const vdata = view && a.variadic.length > 0 ? a.variadic[0] : null;
  const vdv = vdata ? new DataView(vdata.buffer, vdata.byteOffset, vdata.byteLength) : null;
  for (let j = 0; j < n; j++) {
    if (!validAt(a, j)) { absorb(H, L, j, N_HI, N_LO); continue; }
    let src;
    let from;
    let len;
    if (view) {
      len = dv.getInt32(j * 16, true);
      if (len <= 12) { src = dv; from = j * 16 + 4; } else { src = vdv; from = dv.getInt32(j * 16 + 12, true); }
    } else {
      src = dv; from = offsets[j]; len = offsets[j + 1] - from;
    }
    absorb(H, L, j, 0, len);
    const full = len & ~7;
    let k = 0;
    for (; k < full; k += 8) absorb(H, L, j, src.getUint32(from + k + 4, true), src.getUint32(from + k, true));
    let words = full >> 3;
    if (k < len) {
      let lo = 0;
      let hi = 0;
      for (let b = 0; k + b < len; b++) {
        const byte = src.getUint8(from + k + b);
        if (b < 4) lo |= byte << (8 * b); else hi |= byte << (8 * (b - 4));
      }
      absorb(H, L, j, hi >>> 0, lo >>> 0);
      words++;
    }
    for (; words < 2; words++) absorb(H, L, j, 0, 0);
  }
}

/** Adds bits(A, j) (§7.2) to acc[j] for every slot j. */
export function addBits(a, acc) {
  const n = a.length;
  const id = a.type.typeId;
  if (id === T.Null) return;
  if (id === T.Bool) { for (let j = 0; j < n; j++) acc[j] += 1; return; }
  const w = fixedWidth(a.type);
  if (w > 0) { for (let j = 0; j < n; j++) acc[j] += 8 * w; return; }
  if (isBinaryLike(id)) {
    const base = isLarge(id) ? 64 : 32;
    for (let j = 0; j < n; j++) acc[j] += base + 8 * (Number(a.offsets[j + 1]) - Number(a.offsets[j]));
    return;
  }
  if (isView(id)) {
    const dv = new DataView(a.views.buffer, a.views.byteOffset, a.views.byteLength);
    for (let j = 0; j < n; j++) { const len = dv.getInt32(j * 16, true); acc[j] += 128 + (len > 12 ? 8 * len : 0); }
    return;
  }
  if (id === T.Dictionary) { for (let j = 0; j < n; j++) acc[j] += a.type.indices.bitWidth; return; }
  if (id === T.Struct) { for (const c of a.children) addBits(c, acc); return; }
  const childBits = (c) => { const b = new Float64Array(c.length); addBits(c, b); return b; };
  if (isListLike(id) || id === T.FixedSizeList) {
    const items = childBits(a.children[0]);
    const size = a.type.listSize;
    const base = id === T.FixedSizeList ? 0 : isLarge(id) ? 64 : 32;
    for (let j = 0; j < n; j++) {
      const from = id === T.FixedSizeList ? j * size : Number(a.offsets[j]);
      const to = id === T.FixedSizeList ? from + size : Number(a.offsets[j + 1]);
      let s = base;
      for (let k = from; k < to; k++) s += items[k];
      acc[j] += s;
    }
    return;
  }
  if (id === T.Union) {
    const bits = a.children.map(childBits);
    if (a.type.mode === 0) {
      for (let j = 0; j < n; j++) { let s = 8; for (const b of bits) s += b[j]; acc[j] += s; }
    } else {
      const codes = a.type.typeIds;
      for (let j = 0; j < n; j++) acc[j] += 40 + bits[codes.indexOf(a.typeIds[j])][a.unionOffsets[j]];
    }
    return;
  }
  throw new Error(`arrowcid: no nominal size for type ${a.type}`);
}
