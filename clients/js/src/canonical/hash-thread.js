// Node only: a worker thread that hashes blocks from a ring of shared memory. The main thread
// copies each block's parts into the ring once (each large part placed at the same address modulo
// 8 as its source, see RANGES; a chunk's offsets and indices as their sources, the worker applying
// their Int32Transform before it hashes them) and wakes the worker when a few wait; WebCrypto's digest would cost it a
// second copy and a call that costs more than the copy (about 45 µs per block of 300 KB against
// about 20 µs here, measured in docs/performance.md). Found at run time
// (process.getBuiltinModule) and its source given as text, so the browser bundle holds no Node
// module and no worker file; elsewhere, and until the worker is up, block-digest.js uses WebCrypto.

import { nodeBuiltin } from '../node-builtin.js';
import { Int32Transform, transformInt32 } from './int32-transform.js';

const RING_BYTES = 6 << 20;
/** Blocks waiting at most (each slot: the block's first range and range count, its digest). */
const SLOTS = 64;
/**
 * Byte ranges of the ring the worker hashes in sequence, for all blocks waiting. V8 copies into
 * shared memory word by word only when source and destination lie at the same address modulo 8,
 * and byte by byte otherwise (base::Relaxed_Memcpy: 125 ms against 24 ms for 270 MB here). A
 * block's parts are slices of a table's buffers at any byte offset (a chunk's strings, its int32
 * items), so each large part is placed at its source's offset modulo 8, a gap of up to 7 bytes
 * left before it, and the block is hashed as the ranges between the gaps. A range is 4 int32s:
 * its offset in the ring, its length, and for an Int32Transform's part its base and the ring
 * offset of its table (−1: none), or 0 and −2 for bytes hashed as they are.
 */
const RANGES = 8192;
/** A range's table for bytes hashed as they are. */
const PLAIN = -2;
/** Parts shorter than this are copied where they fall: a range of their own would cost more. */
const ALIGN_FROM_BYTES = 512;
const workerThreads = nodeBuiltin('worker_threads');

/**
 * Blocks waiting, at least, before the main thread wakes a sleeping worker (fewer are handed over
 * when it waits for a digest or the ring is full): waking it costs the main thread more than
 * copying a block (a futex call per block, and on a busy machine the woken worker takes its core),
 * and it hashes a block in about half the time the main thread takes to make one.
 */
const WAKE_DEPTH = 4;
/** Bytes waiting, at least, before the main thread wakes a sleeping worker (big blocks). */
const WAKE_BYTES = RING_BYTES / 4;

// control: [blocks posted, blocks hashed, then each slot's first range and range count];
// ranges: see RANGES; sleeping: [1 while the worker waits for blocks].
const WORKER_SOURCE = `
const { workerData } = require('worker_threads');
const { createHash } = require('crypto');
const { ring, control, ranges, sleeping, digests, slots } = workerData;
const PLAIN = ${PLAIN};
${transformInt32}
let next = 0;
for (;;) {
  if (Atomics.load(control, 0) === next) {
    // Set before the count is read again: a main thread that posts after that read sees it set.
    Atomics.store(sleeping, 0, 1);
    while (Atomics.load(control, 0) === next) Atomics.wait(control, 0, next);
    Atomics.store(sleeping, 0, 0);
  }
  const slot = next % slots;
  const first = control[2 + 2 * slot];
  const end = first + control[3 + 2 * slot];
  const hash = createHash('sha256');
  for (let r = first; r < end; r++) {
    const at = ranges[4 * r];
    const length = ranges[4 * r + 1];
    const table = ranges[4 * r + 3];
    if (table !== PLAIN) {
      const values = new Int32Array(ring.buffer, ring.byteOffset + at, length >> 2);
      transformInt32(values, values, ranges[4 * r + 2], table === -1 ? null : new Int32Array(ring.buffer, ring.byteOffset + table));
    }
    hash.update(ring.subarray(at, at + length));
  }
  digests.set(hash.digest(), 32 * slot);
  next++;
  Atomics.store(control, 1, next);
  Atomics.notify(control, 1);
}`;

class HashThread {
  constructor() {
    this.ring = new Uint8Array(new SharedArrayBuffer(RING_BYTES));
    this.control = new Int32Array(new SharedArrayBuffer(4 * (2 + 2 * SLOTS)));
    this.ranges = new Int32Array(new SharedArrayBuffer(4 * 4 * RANGES));
    this.sleeping = new Int32Array(new SharedArrayBuffer(4));
    this.digests = new Uint8Array(new SharedArrayBuffer(32 * SLOTS));
    this.posted = 0;
    this.collected = 0;
    this.head = 0; // where the next block goes, in bytes since the first (its place: head % RING_BYTES)
    this.starts = new Float64Array(SLOTS);
    this.rangeHead = 0; // where the next block's ranges go, in ranges since the first (their place: rangeHead % RANGES)
    this.rangeStarts = new Float64Array(SLOTS);
    this.waiting = new Array(SLOTS); // each slot's { resolve, reject }
    this.online = false;
    this.failed = false;
    this.watching = false;
    this.worker = new workerThreads.Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { ring: this.ring, control: this.control, ranges: this.ranges, sleeping: this.sleeping, digests: this.digests, slots: SLOTS },
    });
    this.worker.unref();
    this.worker.once('online', () => { this.online = true; });
    // The worker loops for ever; should it die, what it held is hashed by no one: fail those
    // blocks (their tables' cidOf rejects) and let later blocks go to WebCrypto.
    const fail = (error) => {
      this.failed = true;
      while (this.collected < this.posted) {
        const slot = this.collected++ % SLOTS;
        this.waiting[slot].reject(error instanceof Error ? error : new Error(`arrowcid: the hash thread stopped (${error})`));
        this.waiting[slot] = undefined;
      }
    };
    this.worker.once('error', fail);
    this.worker.once('exit', fail);
  }

  /**
   * A promise of the 32-byte SHA-256 of the block whose bytes are `parts` (byteLength in all),
   * copied into the ring before this returns; null when the worker is not up or the ring is full.
   */
  tryDigest(parts, byteLength) {
    if (!this.online || this.failed) return null;
    this.collect();
    if (byteLength > RING_BYTES / 4) return null;
    if (this.posted - this.collected >= SLOTS) { this.wake(); return null; }
    // A block of more parts than a quarter of the ranges is copied whole, as one range.
    const aligned = parts.length <= RANGES / 4;
    let span = byteLength; // with the gaps, at most, and the transforms' tables
    if (aligned) {
      span += 7 * parts.length;
      for (const part of parts) if (part instanceof Int32Transform && part.table !== null) span += part.table.byteLength + 8;
    }
    const rangeCount = aligned ? parts.length : 1; // at most
    let start = this.head;
    if ((start % RING_BYTES) + span > RING_BYTES) start += RING_BYTES - (start % RING_BYTES); // no block wraps
    let firstRange = this.rangeHead;
    if ((firstRange % RANGES) + rangeCount > RANGES) firstRange += RANGES - (firstRange % RANGES);
    const waiting = this.posted > this.collected;
    const oldest = waiting ? this.starts[this.collected % SLOTS] : start;
    const oldestRange = waiting ? this.rangeStarts[this.collected % SLOTS] : firstRange;
    if (start + span - oldest > RING_BYTES || firstRange + rangeCount - oldestRange > RANGES) { this.wake(); return null; }
    const { ring, ranges } = this;
    let at = start % RING_BYTES;
    let range = firstRange % RANGES;
    let from = at; // where the open range of bytes hashed as they are begins
    const close = (base, table) => {
      ranges[4 * range] = from;
      ranges[4 * range + 1] = at - from;
      ranges[4 * range + 2] = base;
      ranges[4 * range + 3] = table;
      range++;
      from = at;
    };
    for (const part of parts) {
      if (!aligned) {
        if (part instanceof Int32Transform) part.writeTo(ring, at); else ring.set(part, at);
        at += part.length;
        continue;
      }
      const transform = part instanceof Int32Transform;
      const gap = (part.byteOffset - at) & 7;
      if (transform || (gap !== 0 && part.length >= ALIGN_FROM_BYTES)) {
        if (at > from) close(0, PLAIN);
        let table = -1;
        if (transform && part.table !== null) {
          table = (at + 7) & ~7;
          ring.set(new Uint8Array(part.table.buffer, part.table.byteOffset, part.table.byteLength), table);
          at = table + part.table.byteLength;
        }
        at += (part.byteOffset - at) & 7;
        from = at;
        if (transform) {
          ring.set(new Uint8Array(part.source.buffer, part.source.byteOffset, part.length), at);
          at += part.length;
          close(part.base, table);
          continue;
        }
      }
      ring.set(part, at);
      at += part.length;
    }
    if (at > from) close(0, PLAIN);
    const slot = this.posted % SLOTS;
    this.starts[slot] = start;
    this.rangeStarts[slot] = firstRange;
    this.control[2 + 2 * slot] = firstRange % RANGES;
    this.control[3 + 2 * slot] = range - (firstRange % RANGES);
    this.head = start + (at - (start % RING_BYTES));
    this.rangeHead = firstRange + (range - (firstRange % RANGES));
    const digest = new Promise((resolve, reject) => { this.waiting[slot] = { resolve, reject }; });
    this.posted++;
    Atomics.store(this.control, 0, this.posted);
    const hashed = Atomics.load(this.control, 1);
    if (this.posted - hashed >= WAKE_DEPTH || this.head - this.starts[hashed % SLOTS] >= WAKE_BYTES) this.wake();
    this.watch();
    return digest;
  }

  /**
   * How many digests, and of how many bytes, a caller may keep waiting: enough to leave the worker
   * WAKE_DEPTH blocks and more, few enough for the ring to hold them (blocks it cannot take go to
   * WebCrypto, which costs this thread a copy and a call per block).
   */
  get inFlight() {
    return this.online && !this.failed ? { count: 3 * WAKE_DEPTH, bytes: RING_BYTES / 2 } : null;
  }

  /** Wakes the worker if it sleeps (blocks posted since are hashed). */
  wake() {
    if (Atomics.load(this.sleeping, 0) === 1) Atomics.notify(this.control, 0);
  }

  /** Hands out the digests of the blocks hashed since the last call. */
  collect() {
    const hashed = Atomics.load(this.control, 1);
    while (this.collected < hashed) {
      const slot = this.collected++ % SLOTS;
      const { resolve } = this.waiting[slot];
      this.waiting[slot] = undefined;
      resolve(this.digests.slice(32 * slot, 32 * slot + 32));
    }
  }

  /**
   * Waits, without blocking, for the blocks posted to be hashed; the worker keeps the process alive
   * meanwhile. Starts once this thread turns to its event loop (setImmediate): while it is busy
   * making blocks, their digests are collected by tryDigest and the worker is woken only every
   * WAKE_DEPTH blocks, without a wake-up of this thread per block; once it waits (for a digest, or
   * at the end of a table), the worker is woken for the blocks left and each block hashed wakes it.
   */
  watch() {
    if (this.watching) return;
    this.watching = true;
    this.worker.ref();
    const next = () => {
      if (this.failed) return;
      this.collect();
      if (this.collected === this.posted) {
        this.watching = false;
        this.worker.unref();
        return;
      }
      this.wake();
      const wait = Atomics.waitAsync(this.control, 1, this.collected);
      if (wait.async) wait.value.then(next); else next();
    };
    setImmediate(next);
  }
}

/**
 * Bytes hashed elsewhere before the thread is started: starting it costs the main thread 8–16 ms
 * (and it is online 140–200 ms later on the loaded development machine), more than hashing a
 * small table's blocks.
 */
const START_AFTER_BYTES = 8 << 20;
let bytesBeforeStart = 0;
let thread;

/**
 * The hash thread (Node with worker_threads), started once `byteLength`s of blocks to hash, summed
 * over calls, reach START_AFTER_BYTES (at once when omitted); null before, elsewhere, or when it
 * cannot start.
 */
export function hashThread(byteLength = Infinity) {
  if (thread !== undefined) return thread;
  bytesBeforeStart += byteLength;
  if (bytesBeforeStart < START_AFTER_BYTES) return null;
  thread = null;
  if (workerThreads !== null && typeof SharedArrayBuffer === 'function' && typeof Atomics.waitAsync === 'function') {
    try {
      thread = new HashThread();
    } catch {
      thread = null; // e.g. a permission model that forbids workers: WebCrypto does the hashing
    }
  }
  return thread;
}
