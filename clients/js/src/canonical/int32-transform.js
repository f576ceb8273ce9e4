// A part of a block (encode.js batchParts) whose bytes are an int32 array's after a simple
// transform, applied by whoever copies the part to where it is hashed or joined: a chunk's offsets
// rebased to start at 0 (x − base), or its dictionary indices renumbered by first use (table[x]).
// Making a chunk's block then reads those source arrays once, in the copy the hash thread's ring
// (hash-thread.js, whose worker applies the transform) or a joined block needs anyway, where
// writing the transformed array first and copying it after read and wrote them twice on the main
// thread (about 40 ms of a 256 MiB table's ~300).

/** An int32 part given as its source and the transform its bytes need. */
export class Int32Transform {
  /**
   * `source`: the int32 values (a view, read until the part is copied); `base`: subtracted from
   * each; `table` (an Int32Array or null): when given, each value x becomes table[x] instead.
   */
  constructor(source, base, table) {
    this.source = source;
    this.base = base;
    this.table = table;
    /** The part's length in bytes, as a byte array's (parts are measured by .length). */
    this.length = source.byteLength;
    /** The source's place in its buffer: a copy keeps it modulo 8 (hash-thread.js). */
    this.byteOffset = source.byteOffset;
  }

  /** Offsets that start at 0: each value of `source` less `base`. */
  static rebased(source, base) {
    return new Int32Transform(source, base, null);
  }

  /** Indices renumbered: each value x of `source` becomes table[x]. */
  static renumbered(source, table) {
    return new Int32Transform(source, 0, table);
  }

  /** Writes the part's bytes to out[at …] (a Uint8Array, shared memory or not). */
  writeTo(out, at) {
    const n = this.source.length;
    const aligned = ((out.byteOffset + at) & 3) === 0;
    const target = aligned ? new Int32Array(out.buffer, out.byteOffset + at, n) : new Int32Array(n);
    transformInt32(target, this.source, this.base, this.table);
    if (!aligned) out.set(new Uint8Array(target.buffer), at);
  }
}

/** target[i] = table === null ? source[i] − base : table[source[i]] (target may be source). */
export function transformInt32(target, source, base, table) {
  const n = source.length;
  if (table === null) {
    for (let i = 0; i < n; i++) target[i] = source[i] - base;
  } else {
    for (let i = 0; i < n; i++) target[i] = table[source[i]];
  }
}

/** A part's bytes: a byte array, or any other typed array or Int32Transform as it stands. */
export function partOf(typed) {
  return typed instanceof Int32Transform || typed instanceof Uint8Array ? typed : new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
}
