// Scratch memory for normalisation. Touching fresh memory (page faults, zeroing) can cost more than
// hashing the same bytes, so the arrays a chunk's canonical form needs while it is encoded come
// from blocks that are reused, chunk after chunk and table after table. Only synchronous code runs
// with a scratch set (withScratch), so concurrent tables never share one.

import { FlatBufferBuilder } from './flatbuffer-builder.js';

const MIN_BLOCK_BYTES = 1 << 20;
/** A scratch larger than this in all is not kept for the next table. */
const KEEP_BYTES = 64 << 20;

export class Scratch {
  constructor() {
    this.blocks = [];
    this.index = 0;
    this.top = 0;
    this.builders = [];
    this.builderIndex = 0;
  }

  /** A typed array of n elements, zeroed unless `zero` is false (then it holds what was there before). */
  take(Ctor, n, zero = true) {
    const bytes = n * Ctor.BYTES_PER_ELEMENT;
    if (bytes === 0) return new Ctor(0);
    let block = this.blocks[this.index];
    while (block !== undefined && this.top + bytes > block.byteLength) {
      this.index++;
      this.top = 0;
      block = this.blocks[this.index];
    }
    if (block === undefined) {
      const last = this.blocks.length > 0 ? this.blocks[this.blocks.length - 1].byteLength : 0;
      block = new ArrayBuffer(Math.max(bytes, MIN_BLOCK_BYTES, 2 * last));
      this.blocks.push(block);
      this.index = this.blocks.length - 1;
      this.top = 0;
    }
    const at = this.top;
    this.top = (at + bytes + 7) & ~7;
    if (zero) new Uint8Array(block, at, bytes).fill(0);
    return new Ctor(block, at, n);
  }

  /** An empty flatbuffer builder, reused like the blocks (a new one's array costs more than its use). */
  builder() {
    if (this.builderIndex === this.builders.length) this.builders.push(new FlatBufferBuilder());
    return this.builders[this.builderIndex++].reset();
  }

  /** Hands every block and builder out again (the arrays taken before must no longer be used). */
  reset() {
    this.index = 0;
    this.top = 0;
    this.builderIndex = 0;
  }

  get byteLength() {
    return this.blocks.reduce((s, b) => s + b.byteLength, 0);
  }
}

let current = null;

/**
 * A typed array of n elements whose contents are not set: for a caller that writes every element
 * (zeroing reused memory first would be a pass for nothing).
 */
export function allocUnset(Ctor, n) {
  return current === null ? new Ctor(n) : current.take(Ctor, n, false);
}

/** An empty flatbuffer builder: from the current scratch, if any. */
export function takeBuilder() {
  return current === null ? new FlatBufferBuilder() : current.builder();
}

/** A zeroed typed array of n elements: from the current scratch, if any. */
export function alloc(Ctor, n) {
  return current === null ? new Ctor(n) : current.take(Ctor, n);
}

/** Runs fn (synchronous) with arrays taken from `scratch` (null: fresh arrays). */
export function withScratch(scratch, fn) {
  const previous = current;
  current = scratch;
  try {
    return fn();
  } finally {
    current = previous;
  }
}

const spares = [];

/** A scratch for one table: a spare one when there is one. */
export function takeScratch() {
  const s = spares.pop() ?? new Scratch();
  s.reset();
  return s;
}

/** Keeps a table's scratch for the next table (at most two, not too large). */
export function giveBackScratch(s) {
  if (spares.length < 2 && s.byteLength <= KEEP_BYTES) spares.push(s);
}
