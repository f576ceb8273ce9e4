// The row hash (docs/canonical-form.md §7.1) and the nominal size (§7.2) of the rows of canonical
// arrays, column by column. The hash runs in a small WebAssembly kernel (row-hash.wat, embedded
// by scripts/build-wasm.mjs in row-hash-wasm.js) for its native 64-bit multiply: the columns'
// buffers are copied into its memory and each column is absorbed in one call.

import { T, fixedWidth, isBinaryLike, isLarge, isView, isListLike } from '../canonical/types.js';
import { ROW_HASH_WASM_BASE64 } from './row-hash-wasm.js';

const N = 0x6A09E667F3BCC908n;
/** Kernel memory kept between tables; a larger one is dropped after use so it can be collected. */
const KEEP_MEMORY_BYTES = 64 * 1048576;

let kernel = null;

function instance() {
  if (kernel === null) {
    const text = atob(ROW_HASH_WASM_BASE64);
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    kernel = new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports;
  }
  return kernel;
}

/** Releases the kernel when its memory has grown large (a table of huge batches). */
export function releaseLargeMemory() {
  if (kernel !== null && kernel.memory.buffer.byteLength > KEEP_MEMORY_BYTES) kernel = null;
}

const bytesOf = (typed) => new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);

/**
 * Bump allocation in the kernel's memory for one batch (address 0 is never handed out: the kernel
 * reads a validity pointer of 0 as "all valid").
 */
export class Arena {
  /** `k`: the kernel's exports, or a stand-in with the same calls and memory (row-hash-thread.js). */
  constructor(k = instance()) {
    this.k = k;
    this.top = 8;
  }

  alloc(byteLength) {
    const at = (this.top + 7) & ~7;
    this.top = at + byteLength;
    const memory = this.k.memory;
    if (this.top > memory.buffer.byteLength) memory.grow(Math.ceil((this.top - memory.buffer.byteLength) / 65536));
    return at;
  }

  /** Copies a typed array in, with 24 readable bytes after it (the kernel's masked reads); returns its address. */
  put(typed) {
    const at = this.alloc(typed.byteLength + 24);
    new Uint8Array(this.k.memory.buffer, at, typed.byteLength).set(bytesOf(typed));
    return at;
  }

  /** Copies offsets or indices in as int32 (int64 ones converted: the kernel's memory is 32-bit). */
  putInt32(typed) {
    if (typed instanceof Int32Array) return this.put(typed);
    const at = this.alloc(4 * typed.length);
    const out = new Int32Array(this.k.memory.buffer, at, typed.length);
    for (let i = 0; i < typed.length; i++) out[i] = Number(typed[i]);
    return at;
  }

  /** The n uint32 pairs (lo, hi) of the n 64-bit words at `at`. */
  words(at, n) {
    return new Uint32Array(this.k.memory.buffer, at, 2 * n);
  }
}

/** Seeded states for n slots in the arena (and `slack` readable bytes after them); returns their address. */
export function seed(arena, n, slack = 0) {
  const st = arena.alloc(8 * n + slack);
  arena.k.seed(st, n);
  return st;
}

/** item(A, j) for every slot of A: the address of its finished hashes. */
function itemHashes(arena, a) {
  const st = seed(arena, a.length, 24);
  absorbWords(arena, a, st);
  arena.k.finish(st, a.length);
  return st;
}

/** Whether slots of this type are one word of 1, 2, 4 or 8 bytes read as they are (not Bool, not a dictionary). */
function isSmallFixed(type) {
  const w = fixedWidth(type);
  return w === 1 || w === 2 || w === 4 || w === 8;
}

/** Absorbs words(A, j) into the state at st + 8j for every slot j of the canonical array A. */
export function absorbWords(arena, a, st) {
  const k = arena.k;
  const n = a.length;
  const id = a.type.typeId;
  if (id === T.Null) { k.word(st, n, N); return; }
  if (id === T.Union) { absorbUnion(arena, a, st); return; }
  const vp = a.validity === null ? 0 : arena.put(a.validity);
  if (id === T.Bool) { k.bool(st, arena.put(a.values), n, vp); return; }
  const w = fixedWidth(a.type);
  if (w > 0) { k.fixed(st, arena.put(a.values.subarray(0, n * w)), n, w, vp); return; }
  if (isBinaryLike(id)) { k.binary(st, arena.putInt32(a.offsets), arena.put(a.data), n, vp); return; }
  if (isView(id)) {
    const data = a.variadic.length > 0 ? arena.put(a.variadic[0]) : arena.alloc(0);
    k.views(st, arena.put(a.views), data, n, vp);
    return;
  }
  if (isListLike(id) && isSmallFixed(a.children[0].type)) {
    // Items of 1, 2, 4 or 8 bytes: their item hashes in one pass of their own (no seed, no finish pass).
    const child = a.children[0];
    const w = fixedWidth(child.type);
    const ivp = child.validity === null ? 0 : arena.put(child.validity);
    const items = arena.alloc(8 * child.length + 24);
    k.itemHashesFixed(items, arena.put(child.values.subarray(0, child.length * w)), w, ivp, child.length);
    k.items(st, arena.putInt32(a.offsets), items, n, vp);
    return;
  }
  if (isListLike(id) || id === T.FixedSizeList) {
    const items = itemHashes(arena, a.children[0]);
    let offsets;
    if (id === T.FixedSizeList) {
      offsets = arena.alloc(4 * (n + 1));
      const o = new Int32Array(k.memory.buffer, offsets, n + 1);
      for (let j = 0; j <= n; j++) o[j] = j * a.type.listSize;
    } else {
      offsets = arena.putInt32(a.offsets);
    }
    k.items(st, offsets, items, n, vp);
    return;
  }
  if (id === T.Struct) {
    k.flag(st, n, vp);
    for (const c of a.children) absorbWords(arena, c, st);
    return;
  }
  if (id === T.Dictionary) {
    const items = itemHashes(arena, a.dictionary);
    k.gather(st, arena.putInt32(a.indices), items, n, vp);
    return;
  }
  throw new Error(`arrowcid: no row hash for type ${a.type}`);
}

/**
 * Whether absorbing columns of this type reads the kernel's results back (unions pick their
 * children's item hashes in JavaScript), so that its calls cannot be replayed elsewhere.
 */
export function readsKernelResults(type) {
  if (type.typeId === T.Union) return true;
  if (type.typeId === T.Dictionary) return readsKernelResults(type.dictionary);
  return (type.children ?? []).some((f) => readsKernelResults(f.type));
}

/** A union slot: its type code, then item(selected child, its slot). */
function absorbUnion(arena, a, st) {
  const k = arena.k;
  const n = a.length;
  k.fixed(st, arena.put(a.typeIds), n, 1, 0);
  const childOf = new Int32Array(128);
  a.type.typeIds.forEach((code, c) => { childOf[code] = c; });
  const items = a.children.map((c) => itemHashes(arena, c));
  const picked = arena.alloc(8 * n);
  const mem = new Uint32Array(k.memory.buffer);
  for (let j = 0; j < n; j++) {
    const slot = a.type.mode === 1 ? a.unionOffsets[j] : j;
    const from = (items[childOf[a.typeIds[j]]] >> 2) + 2 * slot;
    mem[(picked >> 2) + 2 * j] = mem[from];
    mem[(picked >> 2) + 2 * j + 1] = mem[from + 1];
  }
  k.fixed(st, picked, n, 8, 0);
}

/**
 * Finishes the n states at st (fmix64: they are the row hashes after this) and runs the rolling
 * hash over them from g (a BigInt), in one pass: writes the high words to rollHi from index `at`;
 * returns the last g.
 */
export function finishRoll(arena, st, n, g, rollHi, at) {
  const out = arena.alloc(4 * n);
  const last = arena.k.finishRoll(st, n, g, out);
  rollHi.set(new Uint32Array(arena.k.memory.buffer, out, n), at);
  return last;
}

/** Offsets as numbers: int32 ones as they are, int64 ones converted once. */
const numberOffsets = (offsets) => (offsets instanceof BigInt64Array ? Float64Array.from(offsets, Number) : offsets);

/** Whether bits(A, j) differs between slots of arrays of this type (§7.2). */
function variableBits(type) {
  const id = type.typeId;
  if (id === T.Null || id === T.Bool || id === T.Dictionary || fixedWidth(type) > 0) return false;
  if (id === T.Struct || id === T.FixedSizeList || (id === T.Union && type.mode === 0)) return type.children.some((f) => variableBits(f.type));
  return true;
}

/**
 * Adds the per-slot part of bits(A, j) (§7.2) to into[j] and returns the part that is the same for
 * every slot, so fixed-width columns cost no pass over the rows and no array of their own.
 */
function addNominal(a, into) {
  const n = a.length;
  const id = a.type.typeId;
  if (id === T.Null) return 0;
  if (id === T.Bool) return 1;
  const w = fixedWidth(a.type);
  if (w > 0) return 8 * w;
  if (id === T.Dictionary) return a.type.indices.bitWidth;
  if (isBinaryLike(id)) {
    const o = numberOffsets(a.offsets);
    for (let j = 0; j < n; j++) into[j] += 8 * (o[j + 1] - o[j]);
    return isLarge(id) ? 64 : 32;
  }
  if (isView(id)) {
    const lengths = new Int32Array(a.views.buffer, a.views.byteOffset, 4 * n);
    for (let j = 0; j < n; j++) { const len = lengths[4 * j]; if (len > 12) into[j] += 8 * len; }
    return 128;
  }
  if (id === T.Struct || (id === T.Union && a.type.mode === 0)) {
    let c = id === T.Union ? 8 : 0;
    for (const child of a.children) c += addNominal(child, into);
    return c;
  }
  const childBits = (child) => {
    const v = variableBits(child.type) ? new Float64Array(child.length) : null;
    return { c: addNominal(child, v), v };
  };
  if (id === T.FixedSizeList) {
    const size = a.type.listSize;
    const item = childBits(a.children[0]);
    if (item.v !== null) {
      for (let j = 0; j < n; j++) { let s = 0; for (let k = j * size; k < (j + 1) * size; k++) s += item.v[k]; into[j] += s; }
    }
    return size * item.c;
  }
  if (isListLike(id)) {
    const item = childBits(a.children[0]);
    const o = numberOffsets(a.offsets);
    for (let j = 0; j < n; j++) {
      const from = o[j];
      const to = o[j + 1];
      let s = item.c * (to - from);
      if (item.v !== null) for (let k = from; k < to; k++) s += item.v[k];
      into[j] += s;
    }
    return isLarge(id) ? 64 : 32;
  }
  if (id === T.Union) {
    const items = a.children.map(childBits);
    const childOf = new Int32Array(128);
    a.type.typeIds.forEach((code, c) => { childOf[code] = c; });
    for (let j = 0; j < n; j++) {
      const item = items[childOf[a.typeIds[j]]];
      into[j] += item.c + (item.v === null ? 0 : item.v[a.unionOffsets[j]]);
    }
    return 40;
  }
  throw new Error(`arrowcid: no nominal size for type ${a.type}`);
}

/**
 * The per-slot part of bits(A, j) when it is coefficient·(offsets[j+1] − offsets[j]) (binary
 * values, lists of fixed-size items): { coefficient, offsets, constant }, or null.
 */
function offsetTerm(a) {
  const id = a.type.typeId;
  if (isBinaryLike(id)) return { coefficient: 8, offsets: numberOffsets(a.offsets), constant: isLarge(id) ? 64 : 32 };
  if (isListLike(id) && !variableBits(a.children[0].type)) {
    const item = addNominal(a.children[0], null);
    return { coefficient: item, offsets: numberOffsets(a.offsets), constant: isLarge(id) ? 64 : 32 };
  }
  return null;
}

/**
 * Writes the nominal size in bits (§7.2) of every row of the canonical columns to out: constants,
 * then binary and list columns in one pass over their offsets, then any other variable column.
 */
export function rowBits(columns, out) {
  const n = out.length;
  let c = 0;
  const terms = [];
  const others = [];
  for (const a of columns) {
    if (!variableBits(a.type)) { c += addNominal(a, null); continue; }
    const term = offsetTerm(a);
    if (term !== null) { c += term.constant; terms.push(term); } else others.push(a);
  }
  if (terms.length === 0) {
    out.fill(c);
  } else if (terms.length === 1) {
    const [{ coefficient: k0, offsets: o0 }] = terms;
    for (let j = 0; j < n; j++) out[j] = c + k0 * (o0[j + 1] - o0[j]);
  } else if (terms.length === 2) {
    const [{ coefficient: k0, offsets: o0 }, { coefficient: k1, offsets: o1 }] = terms;
    for (let j = 0; j < n; j++) out[j] = c + k0 * (o0[j + 1] - o0[j]) + k1 * (o1[j + 1] - o1[j]);
  } else {
    out.fill(c);
    for (const { coefficient: k, offsets: o } of terms) for (let j = 0; j < n; j++) out[j] += k * (o[j + 1] - o[j]);
  }
  let extra = 0;
  for (const a of others) extra += addNominal(a, out);
  if (extra !== 0) for (let j = 0; j < n; j++) out[j] += extra;
}
