// Normalisation (docs/canonical-form.md §4): builds the one canonical layout of a run of rows that
// may come from several apache-arrow Data objects (batches, slices), as a plain "canonical array":
//   { type, length, nullCount, validity (bitmap or null), values, offsets, data, views, variadic,
//     typeIds, unionOffsets, children, dictionary }
// A segment is { data, start, len }: slots start … start+len−1 of an apache-arrow Data (whose
// values, offsets and type ids apache-arrow already slices to its own offset; bitmaps are read at
// data.offset + slot). A segment with data null stands for undefined slots (made null, or for
// unions the first child).

import { T, UnsupportedTypeError, fixedWidth, isBinaryLike, isLarge, isView, isListLike } from './types.js';
import { alloc, allocUnset, withScratch } from './scratch.js';
import { Int32Transform } from './int32-transform.js';

/** A dictionary of a chunk whose index type cannot number its distinct values (§7.3 block check). */
export class DictionaryOverflowError extends Error {
  constructor(indexType, count) {
    super(`arrowcid: ${count} distinct dictionary values do not fit the index type ${indexType}`);
    this.name = 'DictionaryOverflowError';
  }
}

const segLength = (segs) => { let n = 0; for (const s of segs) n += s.len; return n; };

function inputBitmap(data) {
  if (data.typeId === T.Null) return null;
  const bm = data.nullBitmap;
  return bm && bm.length > 0 && data.nullCount > 0 ? bm : null;
}

/** Per slot 1 = valid, or null when every slot is valid; and the null count. */
function computeValid(type, segs, len, forced) {
  let needed = forced !== null;
  if (!needed) {
    for (const s of segs) {
      if (s.data === null || s.data.typeId === T.Null || inputBitmap(s.data) !== null) { needed = true; break; }
    }
  }
  if (!needed) return { valid: null, nullCount: 0 };
  const valid = allocUnset(Uint8Array, len); // every slot is written below
  let p = 0;
  for (const s of segs) {
    if (s.data === null || s.data.typeId === T.Null) { valid.fill(0, p, p + s.len); p += s.len; continue; }
    const bm = inputBitmap(s.data);
    if (bm === null) { valid.fill(1, p, p + s.len); p += s.len; continue; }
    const base = s.data.offset + s.start;
    let i = 0;
    if ((base & 7) === 0) {
      // Byte-aligned: a whole byte of valid slots at a time.
      for (; i + 8 <= s.len; i += 8, p += 8) {
        const byte = bm[(base + i) >> 3];
        valid[p] = byte & 1; valid[p + 1] = (byte >> 1) & 1; valid[p + 2] = (byte >> 2) & 1; valid[p + 3] = (byte >> 3) & 1;
        valid[p + 4] = (byte >> 4) & 1; valid[p + 5] = (byte >> 5) & 1; valid[p + 6] = (byte >> 6) & 1; valid[p + 7] = byte >> 7;
      }
    }
    for (; i < s.len; i++) {
      const b = base + i;
      valid[p++] = (bm[b >> 3] >> (b & 7)) & 1;
    }
  }
  if (forced !== null) for (let i = 0; i < len; i++) if (forced[i]) valid[i] = 0;
  let nullCount = 0;
  for (let i = 0; i < len; i++) nullCount += 1 - valid[i];
  return nullCount === 0 ? { valid: null, nullCount: 0 } : { valid, nullCount };
}

/**
 * The one source's validity bitmap as it is when it is already canonical (§4): one segment, no
 * forced nulls, starting on a byte, with zero bits past the last slot; else null.
 */
function sourceBitmap(segs, length, forced) {
  if (segs.length !== 1 || forced !== null || segs[0].data === null) return null;
  const bm = inputBitmap(segs[0].data);
  const base = segs[0].data.offset + segs[0].start;
  if (bm === null || (base & 7) !== 0) return null;
  const bytes = bm.subarray(base >> 3, (base >> 3) + ((length + 7) >> 3));
  if (bytes.length !== (length + 7) >> 3) return null;
  if ((length & 7) !== 0 && (bytes[bytes.length - 1] >> (length & 7)) !== 0) return null;
  return bytes;
}

/** Set bits per byte value. */
const POPCOUNT = Uint8Array.from({ length: 256 }, (_, b) => { let c = 0; for (let x = b; x !== 0; x >>= 1) c += x & 1; return c; });

/**
 * The canonical validity bitmap (§4: starting at the segment's first slot, zero bits past the last)
 * and null count of one segment, straight from its bitmap: the source's own bytes when they
 * already are that bitmap, else its bits shifted into place, with no byte per slot in between.
 */
function segmentValidity(seg, length) {
  const bm = inputBitmap(seg.data);
  if (bm === null || length === 0) return { validity: null, nullCount: 0 };
  const base = seg.data.offset + seg.start;
  const byteCount = (length + 7) >> 3;
  const q = base >> 3;
  const r = base & 7;
  const tail = length & 7;
  let out = r === 0 ? bm.subarray(q, q + byteCount) : null;
  if (out === null || out.length !== byteCount || (tail !== 0 && (out[byteCount - 1] >> tail) !== 0)) {
    out = allocUnset(Uint8Array, byteCount); // every byte is written below
    const last = bm.length - 1;
    for (let i = 0; i < byteCount; i++) {
      const at = q + i;
      const low = at <= last ? bm[at] : 0;
      const high = r !== 0 && at < last ? bm[at + 1] : 0;
      out[i] = ((low >> r) | (high << (8 - r))) & 0xFF;
    }
    if (tail !== 0) out[byteCount - 1] &= (1 << tail) - 1;
  }
  let valid = 0;
  for (let i = 0; i < byteCount; i++) valid += POPCOUNT[out[i]];
  const nullCount = length - valid;
  return nullCount === 0 ? { validity: null, nullCount: 0 } : { validity: out, nullCount };
}

/** Whether the bytes of every null slot (a 0 bit of `validity`) of fixed-width values are zero. */
function nullSlotsZero(bytes, w, validity, length) {
  // Whole 32-bit words where the slots are made of them: one compare per word, not per byte.
  const words = w % 4 === 0 && (bytes.byteOffset & 3) === 0;
  const slots = words ? new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >> 2) : bytes;
  const per = words ? w >> 2 : w;
  const tail = length & 7;
  for (let i = 0; i < validity.length; i++) {
    // The null slots of this byte, lowest first (bits past the last slot are not slots).
    let nulls = ~validity[i] & (i === validity.length - 1 && tail !== 0 ? (1 << tail) - 1 : 0xFF);
    while (nulls !== 0) {
      const bit = 31 - Math.clz32(nulls & -nulls);
      nulls &= nulls - 1;
      const from = (8 * i + bit) * per;
      for (let k = from; k < from + per; k++) if (slots[k] !== 0) return false;
    }
  }
  return true;
}

/**
 * The validity and null count of one whole segment (no forced nulls) of a fixed-width, binary or
 * list type when the byte-per-slot form is not needed: its source is canonical (its null slots are
 * already zero or empty), or its fixed-width null slots are zero. Null: take the general path.
 */
function oneSegmentValidity(id, w, segs, length, forced) {
  if (segs.length !== 1 || forced !== null) return null;
  const seg = segs[0];
  if (seg.data === null || seg.data.typeId === T.Null) return null;
  if (!(w > 0 || isBinaryLike(id) || isListLike(id))) return null;
  if (!seg.data.canonical && w === 0) return null;
  const v = segmentValidity(seg, length);
  if (!seg.data.canonical && v.validity !== null && !nullSlotsZero(bytesOf(seg.data.values, seg.start * w, length * w), w, v.validity, length)) return null;
  return v;
}

export function packBits(flags, len) {
  const out = alloc(Uint8Array, (len + 7) >> 3);
  for (let i = 0; i < len; i++) if (flags[i]) out[i >> 3] |= 1 << (i & 7);
  return out;
}

function invert(valid) {
  const out = alloc(Uint8Array, valid.length);
  for (let i = 0; i < valid.length; i++) out[i] = 1 - valid[i];
  return out;
}

function pushSeg(segs, data, start, len) {
  if (len === 0) return;
  const last = segs[segs.length - 1];
  if (last !== undefined && last.data === data && data !== null && last.start + last.len === start) last.len += len;
  else if (last !== undefined && last.data === null && data === null) last.len += len;
  else segs.push({ data, start, len });
}

const adapters = new WeakMap();

let rowForm = false;

/**
 * Runs fn (synchronous) with canonicalize giving, when `on`, the row form of a batch: arrays whose
 * rows have their canonical values (so their row hashes and nominal sizes), from which chunks are
 * cut with canonicalize, but whose dictionary indices may keep the source's numbering. Never for
 * bytes that are written out as they are.
 */
export function withRowForm(on, fn) {
  const previous = rowForm;
  rowForm = on;
  try {
    return fn();
  } finally {
    rowForm = previous;
  }
}

let deferTransforms = false;

/**
 * Runs fn (synchronous) with canonicalize leaving, when `on`, a chunk's int32 offsets rebased and
 * its int32 dictionary indices renumbered for the block's consumer to apply (Int32Transform in
 * place of the array): only for arrays that are encoded into a block (batchParts) and read no
 * further.
 */
export function withDeferredTransforms(on, fn) {
  const previous = deferTransforms;
  deferTransforms = on;
  try {
    return fn();
  } finally {
    deferTransforms = previous;
  }
}

/**
 * A canonical array seen as an apache-arrow Data (the fields canonicalize reads), so the rows of
 * already canonical batches can be cut into chunks without normalising them again.
 */
export function asData(a) {
  let d = adapters.get(a);
  if (d !== undefined) return d;
  const id = a.type.typeId;
  d = {
    canonical: true,
    type: a.type,
    typeId: id,
    offset: 0,
    length: a.length,
    nullCount: id === T.Null ? a.length : a.nullCount,
    nullBitmap: a.validity,
    values: id === T.Dictionary ? a.indices : isBinaryLike(id) ? a.data : isView(id) ? a.views : a.values,
    valueOffsets: id === T.Union ? a.unionOffsets : a.offsets,
    typeIds: a.typeIds,
    variadicBuffers: a.variadic,
    children: a.children.map(asData),
    dictionary: a.dictionary ? { data: [asData(a.dictionary)] } : undefined,
  };
  adapters.set(a, d);
  return d;
}

const bytesOf = (typed, byteStart, byteLength) => new Uint8Array(typed.buffer, typed.byteOffset + byteStart, byteLength);

/** The canonical array of the slots `segs` name, of Arrow type `type`; `forced` marks undefined slots. */
export function canonicalize(type, segs, forced = null) {
  const length = segLength(segs);
  const id = type.typeId;
  if (id === T.Null) return { type, length, nullCount: length, validity: null, children: [] };
  if (id === T.Union) return canonicalUnion(type, segs, length, forced);
  if (id === T.Dictionary) return canonicalDictionary(type, segs, length, forced);
  const w = fixedWidth(type);
  // valid (a byte per slot) stays null on the one-segment path: nothing below reads it there.
  let valid = null;
  let out;
  const one = oneSegmentValidity(id, w, segs, length, forced);
  if (one !== null) {
    out = { type, length, nullCount: one.nullCount, validity: one.validity, children: [] };
  } else {
    const computed = computeValid(type, segs, length, forced);
    valid = computed.valid;
    out = { type, length, nullCount: computed.nullCount, validity: valid === null ? null : sourceBitmap(segs, length, forced) ?? packBits(valid, length), children: [] };
  }
  if (w > 0) {
    out.values = fixedValues(type, w, segs, length, valid, forced);
  } else if (id === T.Bool) {
    out.values = boolValues(segs, length, valid);
  } else if (isBinaryLike(id)) {
    binaryValues(out, isLarge(id), segs, length, valid, forced);
  } else if (isView(id)) {
    viewValues(out, segs, length, valid);
  } else if (isListLike(id)) {
    listValues(out, type, isLarge(id), segs, length, valid, forced);
  } else if (id === T.FixedSizeList) {
    const n = type.listSize;
    const childSegs = [];
    for (const s of segs) pushSeg(childSegs, s.data === null ? null : s.data.children[0], s.start * n, s.len * n);
    let childForced = null;
    if (valid !== null) {
      childForced = alloc(Uint8Array, length * n);
      for (let i = 0; i < length; i++) if (!valid[i]) childForced.fill(1, i * n, i * n + n);
    }
    out.children = [canonicalize(type.children[0].type, childSegs, childForced)];
  } else if (id === T.Struct) {
    const childForced = valid === null ? null : invert(valid);
    out.children = type.children.map((field, k) => canonicalize(field.type,
      segs.map((s) => ({ data: s.data === null ? null : s.data.children[k], start: s.start, len: s.len })), childForced));
  } else {
    throw new UnsupportedTypeError(type);
  }
  return out;
}

function fixedValues(type, w, segs, length, valid, forced) {
  if (segs.length === 1 && segs[0].data !== null && forced === null) {
    // One source and no forced nulls: its bytes as they are when already canonical (§4 reuses
    // such buffers): a canonical array's always are; another's when its null slots are zero and
    // its NaNs canonical.
    const bytes = bytesOf(segs[0].data.values, segs[0].start * w, length * w);
    if (segs[0].data.canonical || isCanonicalFixed(type, w, bytes, valid)) return bytes;
  }
  const out = alloc(Uint8Array, length * w);
  let p = 0;
  for (const s of segs) {
    if (s.data !== null) out.set(bytesOf(s.data.values, s.start * w, s.len * w), p * w);
    p += s.len;
  }
  if (segs.every((s) => s.data === null || s.data.canonical)) {
    // Canonical sources: their null slots are zero and NaNs canonical; only forced nulls remain.
    if (valid !== null) {
      let p = 0;
      for (const s of segs) {
        for (let i = 0; i < s.len; i++, p++) if (!valid[p] && s.data !== null) out.fill(0, p * w, p * w + w);
      }
    }
    return out;
  }
  if (valid !== null) for (let i = 0; i < length; i++) if (!valid[i]) out.fill(0, i * w, i * w + w);
  if (type.typeId === T.Float) canonicalNaNs(out, w);
  return out;
}

/** Whether fixed-width values are already canonical: zero null slots, canonical NaNs. */
function isCanonicalFixed(type, w, bytes, valid) {
  if (valid !== null) {
    const u = w % 4 === 0 && (bytes.byteOffset & 3) === 0 ? new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >> 2) : bytes;
    const per = u === bytes ? w : w >> 2;
    for (let i = 0; i < valid.length; i++) {
      if (valid[i]) continue;
      for (let k = i * per; k < (i + 1) * per; k++) if (u[k] !== 0) return false;
    }
  }
  if (type.typeId !== T.Float) return true;
  if (w === 8 && (bytes.byteOffset & 7) === 0) {
    const f = new Float64Array(bytes.buffer, bytes.byteOffset, bytes.length >> 3);
    const u = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >> 2);
    for (let i = 0; i < f.length; i++) if (f[i] !== f[i] && (u[2 * i] !== 0 || u[2 * i + 1] !== 0x7FF80000)) return false;
    return true;
  }
  if (w === 4 && (bytes.byteOffset & 3) === 0) {
    const f = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length >> 2);
    const u = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >> 2);
    for (let i = 0; i < f.length; i++) if (f[i] !== f[i] && u[i] !== 0x7FC00000) return false;
    return true;
  }
  return false; // half floats and unaligned values: copied and canonicalised
}

function canonicalNaNs(bytes, w) {
  if (w === 8) {
    const f = new Float64Array(bytes.buffer, bytes.byteOffset, bytes.length >> 3);
    const u = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >> 2);
    for (let i = 0; i < f.length; i++) if (f[i] !== f[i]) { u[2 * i] = 0; u[2 * i + 1] = 0x7FF80000; }
  } else if (w === 4) {
    const f = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length >> 2);
    const u = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >> 2);
    for (let i = 0; i < f.length; i++) if (f[i] !== f[i]) u[i] = 0x7FC00000;
  } else {
    const u = new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.length >> 1);
    for (let i = 0; i < u.length; i++) if ((u[i] & 0x7C00) === 0x7C00 && (u[i] & 0x3FF) !== 0) u[i] = 0x7E00;
  }
}

function boolValues(segs, length, valid) {
  const out = alloc(Uint8Array, (length + 7) >> 3);
  let p = 0;
  for (const s of segs) {
    if (s.data === null) { p += s.len; continue; }
    const bits = s.data.values;
    const base = s.data.offset + s.start;
    for (let i = 0; i < s.len; i++, p++) {
      const b = base + i;
      if (((bits[b >> 3] >> (b & 7)) & 1) && (valid === null || valid[p])) out[p >> 3] |= 1 << (p & 7);
    }
  }
  return out;
}

/** Offsets of a segment's slots start … start+len as numbers (int64 offsets converted). */
function segmentOffsets(data, start, len) {
  const vo = data.valueOffsets;
  if (vo instanceof BigInt64Array) {
    const out = alloc(Float64Array, len + 1);
    for (let i = 0; i <= len; i++) out[i] = Number(vo[start + i]);
    return out;
  }
  return vo.subarray(start, start + len + 1);
}

/** Whether a segment's null slots are empty (canonical sources' always are), so its values are one run. */
function nullsEmpty(s, vo, valid, p) {
  if (valid === null || s.data.canonical) return true;
  for (let i = 0; i < s.len; i++) if (!valid[p + i] && vo[i + 1] !== vo[i]) return false;
  return true;
}

/** Whether every segment has data and its values (or items) are one contiguous run. */
function segmentsAreRuns(segs, segOffsets, valid) {
  let p = 0;
  return segs.every((s, k) => {
    const ok = s.data !== null && nullsEmpty(s, segOffsets[k], valid, p);
    p += s.len;
    return ok;
  });
}

/** out[p + i] = vo[i] − base for i in 1 … len. */
function rebaseInt32(out, p, vo, len, base) {
  for (let i = 1; i <= len; i++) out[p + i] = vo[i] - base;
}

/**
 * Offsets of the segments' slots as one run from 0 (each segment's values contiguous): the
 * source's own offsets when one segment's already start at 0 (§4 reuses canonical buffers).
 */
function runOffsets(large, segs, segOffsets, length) {
  if (!large && segs.length === 1 && segOffsets[0] instanceof Int32Array) {
    const vo = segOffsets[0];
    if (vo[0] === 0) return vo;
    if (deferTransforms) return Int32Transform.rebased(vo.subarray(0, length + 1), vo[0]);
  }
  const offsets = large ? allocUnset(Float64Array, length + 1) : allocUnset(Int32Array, length + 1);
  offsets[0] = 0; // and every later slot is written below
  let total = 0;
  let p = 0;
  for (let k = 0; k < segs.length; k++) {
    const vo = segOffsets[k];
    const len = segs[k].len;
    const base = vo[0] - total;
    // int32 into int32 (the usual case) in a loop of its own, so it stays monomorphic.
    if (offsets instanceof Int32Array && vo instanceof Int32Array) rebaseInt32(offsets, p, vo, len, base);
    else for (let i = 1; i <= len; i++) offsets[p + i] = vo[i] - base;
    p += len;
    total += vo[len] - vo[0];
  }
  return large ? BigInt64Array.from(offsets, (x) => BigInt(x)) : offsets;
}

function binaryValues(out, large, segs, length, valid, forced) {
  const segOffsets = segs.map((s) => (s.data === null ? null : segmentOffsets(s.data, s.start, s.len)));
  const oneRun = forced === null && segmentsAreRuns(segs, segOffsets, valid);
  let p;
  if (oneRun) {
    // Each segment's values are one contiguous run of its data: one view when there is one segment.
    out.offsets = runOffsets(large, segs, segOffsets, length);
    if (segs.length === 1) {
      const vo = segOffsets[0];
      out.data = segs[0].data.values.subarray(vo[0], vo[segs[0].len]);
      return;
    }
    let total = 0;
    segs.forEach((s, k) => { total += segOffsets[k][s.len] - segOffsets[k][0]; });
    const data = alloc(Uint8Array, total);
    let at = 0;
    segs.forEach((s, k) => {
      const vo = segOffsets[k];
      data.set(s.data.values.subarray(vo[0], vo[s.len]), at);
      at += vo[s.len] - vo[0];
    });
    out.data = data;
    return;
  }
  const offsets = alloc(Float64Array, length + 1);
  let total = 0;
  p = 0;
  segs.forEach((s, k) => {
    const vo = segOffsets[k];
    for (let i = 0; i < s.len; i++, p++) {
      if (vo !== null && (valid === null || valid[p])) total += vo[i + 1] - vo[i];
      offsets[p + 1] = total;
    }
  });
  const data = alloc(Uint8Array, total);
  p = 0;
  segs.forEach((s, k) => {
    const vo = segOffsets[k];
    if (vo === null) { p += s.len; return; }
    const src = s.data.values;
    let runStart = -1;
    let runEnd = -1;
    let dst = 0;
    for (let i = 0; i < s.len; i++, p++) {
      const a = vo[i];
      const b = vo[i + 1];
      if (b === a || (valid !== null && !valid[p])) continue;
      if (runStart >= 0 && a === runEnd) { runEnd = b; continue; }
      if (runStart >= 0) data.set(src.subarray(runStart, runEnd), dst);
      runStart = a; runEnd = b; dst = offsets[p];
    }
    if (runStart >= 0) data.set(src.subarray(runStart, runEnd), dst);
  });
  out.offsets = large ? BigInt64Array.from(offsets, (x) => BigInt(x)) : Int32Array.from(offsets);
  out.data = data;
}

/** Calls fn(src, view, at, p) for each valid slot p of the view segments (at: its view's byte offset in src). */
function forEachValidView(segs, valid, fn) {
  let p = 0;
  for (const s of segs) {
    if (s.data === null) { p += s.len; continue; }
    const src = s.data.values;
    const sdv = new DataView(src.buffer, src.byteOffset, src.byteLength);
    for (let i = 0; i < s.len; i++, p++) {
      if (valid === null || valid[p]) fn(s.data, sdv, (s.start + i) * 16, p);
    }
  }
}

function viewValues(out, segs, length, valid) {
  const views = alloc(Uint8Array, length * 16);
  const dv = new DataView(views.buffer, views.byteOffset, views.byteLength);
  let total = 0;
  forEachValidView(segs, valid, (_, sdv, v) => {
    const n = sdv.getInt32(v, true);
    if (n > 12) total += n;
  });
  const data = alloc(Uint8Array, total);
  let at = 0;
  forEachValidView(segs, valid, (source, sdv, v, p) => {
    const n = sdv.getInt32(v, true);
    dv.setInt32(p * 16, n, true);
    if (n <= 12) {
      views.set(source.values.subarray(v + 4, v + 4 + n), p * 16 + 4);
    } else {
      const buffer = source.variadicBuffers[sdv.getInt32(v + 8, true)];
      const offset = sdv.getInt32(v + 12, true);
      data.set(buffer.subarray(offset, offset + n), at);
      views.set(data.subarray(at, at + 4), p * 16 + 4);
      dv.setInt32(p * 16 + 8, 0, true);
      dv.setInt32(p * 16 + 12, at, true);
      at += n;
    }
  });
  out.views = views;
  out.variadic = total > 0 ? [data] : [];
}

function listValues(out, type, large, segs, length, valid, forced) {
  const segOffsets = segs.map((s) => (s.data === null ? null : segmentOffsets(s.data, s.start, s.len)));
  const childSegs = [];
  const oneRun = forced === null && segmentsAreRuns(segs, segOffsets, valid);
  let p;
  if (oneRun) {
    // Each segment's items are one contiguous range of its child.
    segs.forEach((s, k) => pushSeg(childSegs, s.data.children[0], segOffsets[k][0], segOffsets[k][s.len] - segOffsets[k][0]));
    out.offsets = runOffsets(large, segs, segOffsets, length);
    out.children = [canonicalize(type.children[0].type, childSegs, null)];
    return;
  }
  const offsets = alloc(Float64Array, length + 1);
  let total = 0;
  p = 0;
  segs.forEach((s, k) => {
    const vo = segOffsets[k];
    const child = s.data === null ? null : s.data.children[0];
    for (let i = 0; i < s.len; i++, p++) {
      if (vo !== null && (valid === null || valid[p])) {
        pushSeg(childSegs, child, vo[i], vo[i + 1] - vo[i]);
        total += vo[i + 1] - vo[i];
      }
      offsets[p + 1] = total;
    }
  });
  out.offsets = large ? BigInt64Array.from(offsets, (x) => BigInt(x)) : Int32Array.from(offsets);
  out.children = [canonicalize(type.children[0].type, childSegs, null)];
}

function canonicalUnion(type, segs, length, forced) {
  const codes = type.typeIds;
  const childOf = new Map();
  codes.forEach((code, k) => childOf.set(code, k));
  const typeIds = alloc(Int8Array, length);
  let p = 0;
  for (const s of segs) {
    if (s.data === null) typeIds.fill(codes[0], p, p + s.len);
    else typeIds.set(s.data.typeIds.subarray(s.start, s.start + s.len), p);
    p += s.len;
  }
  if (forced !== null) for (let i = 0; i < length; i++) if (forced[i]) typeIds[i] = codes[0];
  const out = { type, length, nullCount: 0, validity: null, typeIds, children: [] };
  if (type.mode === 0) {
    out.children = type.children.map((field, k) => {
      const childForced = alloc(Uint8Array, length);
      for (let i = 0; i < length; i++) childForced[i] = typeIds[i] !== codes[k] || (forced !== null && forced[i]) ? 1 : 0;
      return canonicalize(field.type,
        segs.map((s) => ({ data: s.data === null ? null : s.data.children[k], start: s.start, len: s.len })), childForced);
    });
    return out;
  }
  const unionOffsets = alloc(Int32Array, length);
  const childSegs = Array.from(codes, () => []);
  const childForced = Array.from(codes, () => []);
  const counts = new Int32Array(codes.length);
  p = 0;
  for (const s of segs) {
    for (let i = 0; i < s.len; i++, p++) {
      const k = childOf.get(typeIds[p]);
      unionOffsets[p] = counts[k]++;
      if (s.data === null || (forced !== null && forced[p])) {
        pushSeg(childSegs[k], null, 0, 1);
        childForced[k].push(1);
      } else {
        pushSeg(childSegs[k], s.data.children[k], s.data.valueOffsets[s.start + i], 1);
        childForced[k].push(0);
      }
    }
  }
  out.unionOffsets = unionOffsets;
  out.children = type.children.map((field, k) => {
    const f = Uint8Array.from(childForced[k]);
    return canonicalize(field.type, childSegs[k], f.includes(1) ? f : null);
  });
  return out;
}

// ---- dictionaries ----

const dictionaryInfo = new WeakMap();

/** The canonical values of a dictionary vector, their equality keys and where each one lives. */
function infoOf(valueType, vector) {
  let info = dictionaryInfo.get(vector);
  if (info !== undefined) return info;
  const segs = [];
  const chunkStarts = [];
  let n = 0;
  for (const d of vector.data) { chunkStarts.push(n); segs.push({ data: d, start: 0, len: d.length }); n += d.length; }
  // Fresh arrays: the info outlives this table's scratch; truly canonical (no row form); and read
  // (entryKeys), so none of their transforms deferred.
  const values = withScratch(null, () => withRowForm(false, () => withDeferredTransforms(false, () => canonicalize(valueType, segs, null))));
  const keys = entryKeys(values);
  // distinct: no null and no repeated value, so the values can stand as a row form's dictionary.
  const distinct = !keys.includes(null) && new Set(keys).size === keys.length;
  info = { keys, values, distinct, chunks: vector.data, chunkStarts, length: n };
  dictionaryInfo.set(vector, info);
  return info;
}

function locate(info, j) {
  let c = info.chunkStarts.length - 1;
  while (info.chunkStarts[c] > j) c--;
  return [info.chunks[c], j - info.chunkStarts[c]];
}

function canonicalDictionary(type, segs, length, forced) {
  if (segs.length === 1 && segs[0].data !== null && segs[0].data.canonical && forced === null) return canonicalDictionaryRows(type, segs[0], length);
  if (rowForm) {
    const kept = keptDictionaryRows(type, segs, length, forced);
    if (kept !== null) return kept;
  }
  // valid stays null while every slot is valid (no byte per slot then); a null key makes it.
  let { valid } = computeValid(type, segs, length, forced);
  const IndexArray = type.indices.ArrayType;
  const indices = allocUnset(IndexArray, length); // every slot is written below
  const numbering = new Map();
  const sourceSegs = [];
  const bigIndex = indices instanceof BigInt64Array || indices instanceof BigUint64Array;
  let p = 0;
  for (const s of segs) {
    if (s.data === null) { indices.fill(bigIndex ? 0n : 0, p, p + s.len); p += s.len; continue; }
    const info = infoOf(type.dictionary, s.data.dictionary);
    const src = s.data.values;
    // New index per source index (-1: not seen yet), so each distinct key is looked up once.
    const remap = allocUnset(Int32Array, info.length).fill(-1);
    for (let i = 0; i < s.len; i++, p++) {
      if (valid !== null && !valid[p]) { indices[p] = bigIndex ? 0n : 0; continue; }
      const j = Number(src[s.start + i]);
      let k = remap[j];
      if (k === -1) {
        const key = info.keys[j];
        if (key === null) { k = -2; } else {
          const known = numbering.get(key);
          if (known !== undefined) k = known;
          else {
            k = numbering.size;
            numbering.set(key, k);
            const [chunk, at] = locate(info, j);
            pushSeg(sourceSegs, chunk, at, 1);
          }
        }
        remap[j] = k;
      }
      if (k === -2) {
        // A null key: the slot is null (the first one makes the byte per slot).
        if (valid === null) valid = allocUnset(Uint8Array, length).fill(1);
        valid[p] = 0;
        indices[p] = bigIndex ? 0n : 0;
        continue;
      }
      indices[p] = bigIndex ? BigInt(k) : k;
    }
  }
  const count = numbering.size;
  const indexBits = type.indices.bitWidth;
  const limit = type.indices.isSigned ? 2 ** (indexBits - 1) : 2 ** indexBits;
  if (count > limit) throw new DictionaryOverflowError(type.indices, count);
  let nullCount = 0;
  if (valid !== null) for (let i = 0; i < length; i++) nullCount += 1 - valid[i];
  return dictionaryArray(type, length, nullCount === 0 ? null : packBits(valid, length), nullCount, indices,
    canonicalize(type.dictionary, sourceSegs, null));
}

/**
 * Dictionaries of at most this many values have a chunk's indices renumbered by the block's
 * consumer (Int32Transform): their numbering table is copied with the chunk.
 */
const MAX_DEFERRED_RENUMBERING = 4096;

/** A dictionary array from its parts (values: the indices' bytes, or their Int32Transform: indices null then). */
function dictionaryArray(type, length, validity, nullCount, indices, dictionary) {
  const deferred = indices instanceof Int32Transform;
  return {
    type, length, nullCount, validity,
    values: deferred ? indices : new Uint8Array(indices.buffer, indices.byteOffset, indices.byteLength),
    indices: deferred ? null : indices,
    children: [],
    dictionary,
  };
}

const SMALL_INDEX_ARRAYS = [Int8Array, Int16Array, Int32Array, Uint8Array, Uint16Array, Uint32Array];

/**
 * The row form of one segment of a dictionary array whose dictionary's values are distinct and not
 * null: its indices (a view) and validity as they are, and its dictionary's canonical values. The
 * row hash and nominal size depend only on each slot's value, and chunks cut from it are renumbered
 * (canonicalDictionaryRows), so the batch's indices need not be renumbered. Null when another
 * form is needed (several segments, forced nulls, repeated or null values, an index out of range).
 */
function keptDictionaryRows(type, segs, length, forced) {
  if (segs.length !== 1 || forced !== null || segs[0].data === null) return null;
  const seg = segs[0];
  const src = seg.data.values;
  if (!(src instanceof type.indices.ArrayType) || !SMALL_INDEX_ARRAYS.includes(type.indices.ArrayType)) return null;
  const info = infoOf(type.dictionary, seg.data.dictionary);
  if (!info.distinct) return null;
  const indices = src.subarray(seg.start, seg.start + length);
  const n = info.length;
  for (let i = 0; i < length; i++) if ((indices[i] >>> 0) >= n) return null;
  const { validity, nullCount } = segmentValidity(seg, length);
  return dictionaryArray(type, length, validity, nullCount, indices, info.values);
}

/**
 * Rows of one canonical dictionary array: its values are distinct and not null, so its indices are
 * renumbered by first use with no key lookups, and its validity is kept.
 */
function canonicalDictionaryRows(type, seg, length) {
  const { data, start } = seg;
  const dictionary = data.dictionary.data[0];
  const src = data.values;
  const bm = data.nullCount > 0 ? data.nullBitmap : null;
  const indices = allocUnset(type.indices.ArrayType, length); // every slot is written below
  const bigIndex = indices instanceof BigInt64Array || indices instanceof BigUint64Array;
  const remap = allocUnset(Int32Array, dictionary.length).fill(-1);
  const sourceSegs = [];
  let count = 0;
  if (bm === null && deferTransforms && indices instanceof Int32Array && src instanceof Int32Array && dictionary.length <= MAX_DEFERRED_RENUMBERING) {
    // Only the numbering by first use is found here: the scan stops once every value has its
    // number; the block's consumer writes the indices (Int32Transform). The source's indices are
    // all below the dictionary's length: a batch's row form checked them (keptDictionaryRows).
    const n = dictionary.length;
    for (let i = 0; i < length && count < n; i++) {
      const j = src[start + i];
      if (remap[j] === -1) {
        remap[j] = count++;
        pushSeg(sourceSegs, dictionary, j, 1);
      }
    }
    const { validity, nullCount } = segmentValidity(seg, length);
    return dictionaryArray(type, length, validity, nullCount, Int32Transform.renumbered(src.subarray(start, start + length), remap),
      canonicalize(type.dictionary, sourceSegs, null));
  }
  if (bm === null && !bigIndex) {
    // No nulls, number indices (the usual case): the loop without the per-slot checks.
    for (let i = 0; i < length; i++) {
      const j = src[start + i];
      let k = remap[j];
      if (k === -1) {
        k = count++;
        remap[j] = k;
        pushSeg(sourceSegs, dictionary, j, 1);
      }
      indices[i] = k;
    }
  }
  for (let i = bm === null && !bigIndex ? length : 0; i < length; i++) {
    const b = start + i;
    if (bm !== null && ((bm[b >> 3] >> (b & 7)) & 1) === 0) { indices[i] = bigIndex ? 0n : 0; continue; }
    const j = Number(src[b]);
    let k = remap[j];
    if (k === -1) {
      k = count++;
      remap[j] = k;
      pushSeg(sourceSegs, dictionary, j, 1);
    }
    indices[i] = bigIndex ? BigInt(k) : k;
  }
  const limit = type.indices.isSigned ? 2 ** (type.indices.bitWidth - 1) : 2 ** type.indices.bitWidth;
  if (count > limit) throw new DictionaryOverflowError(type.indices, count);
  const { validity, nullCount } = segmentValidity(seg, length);
  return dictionaryArray(type, length, validity, nullCount, indices, canonicalize(type.dictionary, sourceSegs, null));
}

function latin1(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i += 4096) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 4096));
  return s;
}

const frame = (key) => (key === null ? '!' : `${key.length}:${key}`);

/** One string per slot of a canonical array (null for a null slot), equal iff the values are equal. */
export function entryKeys(a) {
  const id = a.type.typeId;
  const keys = new Array(a.length);
  const valid = (j) => id !== T.Null && (a.validity === null || ((a.validity[j >> 3] >> (j & 7)) & 1) === 1);
  const w = fixedWidth(a.type);
  const childKeys = a.children.map(entryKeys);
  const dictKeys = a.dictionary ? entryKeys(a.dictionary) : null;
  for (let j = 0; j < a.length; j++) {
    if (id === T.Union) {
      const k = a.type.typeIds.indexOf(a.typeIds[j]);
      const slot = a.type.mode === 1 ? a.unionOffsets[j] : j;
      keys[j] = `${a.typeIds[j]}|${frame(childKeys[k][slot])}`;
      continue;
    }
    if (!valid(j)) { keys[j] = null; continue; }
    if (w > 0) keys[j] = latin1(a.values.subarray(j * w, j * w + w));
    else if (id === T.Bool) keys[j] = String((a.values[j >> 3] >> (j & 7)) & 1);
    else if (isBinaryLike(id)) keys[j] = latin1(a.data.subarray(Number(a.offsets[j]), Number(a.offsets[j + 1])));
    else if (isView(id)) keys[j] = latin1(viewBytes(a, j));
    else if (isListLike(id) || id === T.FixedSizeList) {
      const [from, to] = id === T.FixedSizeList ? [j * a.type.listSize, (j + 1) * a.type.listSize] : [Number(a.offsets[j]), Number(a.offsets[j + 1])];
      let s = '';
      for (let k = from; k < to; k++) s += frame(childKeys[0][k]);
      keys[j] = s;
    } else if (id === T.Struct) keys[j] = childKeys.map((ck) => frame(ck[j])).join('');
    else if (id === T.Dictionary) keys[j] = dictKeys[Number(a.indices[j])];
    else throw new UnsupportedTypeError(a.type);
  }
  return keys;
}

/** The bytes of slot j of a canonical view array. */
export function viewBytes(a, j) {
  const dv = new DataView(a.views.buffer, a.views.byteOffset, a.views.byteLength);
  const n = dv.getInt32(j * 16, true);
  if (n <= 12) return a.views.subarray(j * 16 + 4, j * 16 + 4 + n);
  const offset = dv.getInt32(j * 16 + 12, true);
  return a.variadic[0].subarray(offset, offset + n);
}
