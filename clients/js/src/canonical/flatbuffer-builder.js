// The deterministic flatbuffer builder of docs/canonical-form.md §2.1: fills a byte array from
// the end towards the start, so "off" is the number of bytes written and a handle is the value of
// off right after the thing was written.

const textEncoder = new TextEncoder();

export class FlatBufferBuilder {
  constructor(initialCapacity = 1024) {
    this.bytes = new Uint8Array(initialCapacity);
    this.view = new DataView(this.bytes.buffer);
    this.off = 0;
    this.maxAlign = 1;
    this.vtables = []; // [handle, Uint8Array of the vtable bytes] in creation order
    this.fields = null;
    this.start = -1;
  }

  /**
   * Empties the builder for a new buffer, keeping its array (the bytes finish returned before are
   * overwritten). Padding relies on unwritten bytes being zero, so the used ones are zeroed.
   */
  reset() {
    this.bytes.fill(0, this.bytes.length - this.off);
    this.off = 0;
    this.maxAlign = 1;
    this.vtables = [];
    this.fields = null;
    this.start = -1;
    return this;
  }

  ensure(extra) {
    const capacity = this.bytes.length;
    if (this.off + extra <= capacity) return;
    let grown = capacity * 2;
    while (this.off + extra > grown) grown *= 2;
    const bytes = new Uint8Array(grown);
    bytes.set(this.bytes.subarray(capacity - this.off), grown - this.off);
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer);
  }

  /** Position (from the array's start) of the next byte to write, after reserving n bytes. */
  reserve(n) { // may grow the array: read this.bytes / this.view only after calling it
    this.ensure(n);
    this.off += n;
    return this.bytes.length - this.off;
  }

  prep(align, extra) {
    if (align > this.maxAlign) this.maxAlign = align;
    const pad = (align - ((this.off + extra) % align)) % align;
    if (pad > 0) this.reserve(pad); // new arrays are zero-filled and bytes are never rewritten
  }

  int8(v) { this.prep(1, 0); const at = this.reserve(1); this.view.setInt8(at, v); }
  uint8(v) { this.prep(1, 0); const at = this.reserve(1); this.view.setUint8(at, v); }
  int16(v) { this.prep(2, 0); const at = this.reserve(2); this.view.setInt16(at, v, true); }
  uint16Raw(v) { const at = this.reserve(2); this.view.setUint16(at, v, true); }
  int32(v) { this.prep(4, 0); const at = this.reserve(4); this.view.setInt32(at, v, true); }
  uint32Raw(v) { const at = this.reserve(4); this.view.setUint32(at, v >>> 0, true); }
  int64(v) { this.prep(8, 0); const at = this.reserve(8); this.view.setBigInt64(at, BigInt(v), true); }

  uoffset(handle) {
    this.prep(4, 0);
    this.uint32Raw(this.off + 4 - handle);
  }

  string(s) {
    const utf8 = typeof s === 'string' ? textEncoder.encode(s) : s;
    this.prep(4, utf8.length + 1);
    this.reserve(1);
    const at = this.reserve(utf8.length);
    this.bytes.set(utf8, at);
    this.uint32Raw(utf8.length);
    return this.off;
  }

  /** A vector of scalars given as its little-endian bytes (element size elementSize). */
  scalarVector(elementBytes, elementSize) {
    return this.structVector(elementBytes, elementSize, elementSize);
  }

  /** A vector of structs given as packed bytes (element size elementSize, alignment align). */
  structVector(packed, elementSize, align) {
    const n = packed.length / elementSize;
    this.prep(4, packed.length);
    this.prep(align, packed.length);
    const at = this.reserve(packed.length);
    this.bytes.set(packed, at);
    this.uint32Raw(n);
    return this.off;
  }

  /**
   * A vector of structs of `fieldsPerStruct` int64 fields (1: a vector of int64), given as their
   * values in order, non-negative integers below 2^53: written in place, no bytes or BigInts between.
   */
  int64Vector(values, fieldsPerStruct) {
    const byteLength = 8 * values.length;
    this.prep(4, byteLength);
    this.prep(8, byteLength);
    const at = this.reserve(byteLength);
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      this.view.setUint32(at + 8 * i, v >>> 0, true);
      this.view.setUint32(at + 8 * i + 4, Math.floor(v / 4294967296), true);
    }
    this.uint32Raw(values.length / fieldsPerStruct);
    return this.off;
  }

  offsetVector(handles) {
    const n = handles.length;
    this.prep(4, 4 * n);
    for (let i = n - 1; i >= 0; i--) this.uoffset(handles[i]);
    this.uint32Raw(n);
    return this.off;
  }

  startTable(slots) {
    this.fields = new Array(slots).fill(0);
    this.start = -1;
  }

  markField(slot) {
    this.fields[slot] = this.off;
  }

  beforeField() {
    if (this.start < 0) this.start = this.off;
  }

  /** Scalar fields: written unless equal to the default (or forced). */
  fieldInt8(slot, v, dflt) { if (v === dflt) return; this.prep(1, 0); this.beforeField(); const at = this.reserve(1); this.view.setInt8(at, v); this.markField(slot); }
  fieldUint8(slot, v, dflt, forced = false) { if (v === dflt && !forced) return; this.prep(1, 0); this.beforeField(); const at = this.reserve(1); this.view.setUint8(at, v); this.markField(slot); }
  fieldBool(slot, v) { if (!v) return; this.fieldUint8(slot, 1, 0); }
  fieldInt16(slot, v, dflt, forced = false) { if (v === dflt && !forced) return; this.prep(2, 0); this.beforeField(); const at = this.reserve(2); this.view.setInt16(at, v, true); this.markField(slot); }
  fieldInt32(slot, v, dflt) { if (v === dflt) return; this.prep(4, 0); this.beforeField(); const at = this.reserve(4); this.view.setInt32(at, v, true); this.markField(slot); }
  fieldInt64(slot, v, dflt) {
    // Numbers (lengths, ids) without a BigInt each; BigInts and other numbers as BigInt.
    const plain = typeof v === 'number' && typeof dflt === 'number';
    if (plain ? v === dflt : BigInt(v) === BigInt(dflt)) return;
    this.prep(8, 0); this.beforeField();
    const at = this.reserve(8);
    if (plain && Number.isSafeInteger(v) && v >= 0) {
      this.view.setUint32(at, v >>> 0, true);
      this.view.setUint32(at + 4, Math.floor(v / 4294967296), true);
    } else {
      this.view.setBigInt64(at, BigInt(v), true);
    }
    this.markField(slot);
  }
  fieldOffset(slot, handle) {
    this.prep(4, 0); this.beforeField();
    this.uint32Raw(this.off + 4 - handle);
    this.markField(slot);
  }

  endTable() {
    this.prep(4, 0);
    if (this.start < 0) this.start = this.off;
    this.reserve(4);
    const table = this.off;
    let used = this.fields.length;
    while (used > 0 && this.fields[used - 1] === 0) used--;
    const vt = new Uint8Array(4 + 2 * used);
    const vtView = new DataView(vt.buffer);
    vtView.setUint16(0, 4 + 2 * used, true);
    vtView.setUint16(2, table - this.start, true);
    for (let i = 0; i < used; i++) {
      vtView.setUint16(4 + 2 * i, this.fields[i] === 0 ? 0 : table - this.fields[i], true);
    }
    let vtableHandle = -1;
    for (const [handle, bytes] of this.vtables) {
      if (equalBytes(bytes, vt)) { vtableHandle = handle; break; }
    }
    if (vtableHandle < 0) {
      const at = this.reserve(vt.length);
      this.bytes.set(vt, at);
      vtableHandle = this.off;
      this.vtables.push([vtableHandle, vt]);
    }
    this.view.setInt32(this.bytes.length - table, vtableHandle - table, true);
    this.fields = null;
    return table;
  }

  finish(root) {
    this.prep(Math.max(this.maxAlign, 8), 4);
    this.uoffset(root);
    return this.bytes.subarray(this.bytes.length - this.off);
  }
}

function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
