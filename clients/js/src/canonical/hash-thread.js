// Node only: a worker thread that hashes blocks from a ring of shared memory. The main thread
// copies each block into the ring once and wakes the worker when a few wait; WebCrypto's digest would cost it a
// second copy and a call that costs more than the copy (about 45 µs per block of 300 KB against
// about 20 µs here, measured in docs/performance.md). Found at run time
// (process.getBuiltinModule) and its source given as text, so the browser bundle holds no Node
// module and no worker file; elsewhere, and until the worker is up, block-digest.js uses WebCrypto.

import { nodeBuiltin } from '../node-builtin.js';

const RING_BYTES = 6 << 20;
/** Blocks waiting at most (each slot: the block's place in the ring, its length, its digest). */
const SLOTS = 64;
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

// control: [blocks posted, blocks hashed, then each slot's offset and length in the ring];
// sleeping: [1 while the worker waits for blocks].
const WORKER_SOURCE = `
const { workerData } = require('worker_threads');
const { createHash } = require('crypto');
const { ring, control, sleeping, digests, slots } = workerData;
let next = 0;
for (;;) {
  if (Atomics.load(control, 0) === next) {
    // Set before the count is read again: a main thread that posts after that read sees it set.
    Atomics.store(sleeping, 0, 1);
    while (Atomics.load(control, 0) === next) Atomics.wait(control, 0, next);
    Atomics.store(sleeping, 0, 0);
  }
  const slot = next % slots;
  const offset = control[2 + 2 * slot];
  digests.set(createHash('sha256').update(ring.subarray(offset, offset + control[3 + 2 * slot])).digest(), 32 * slot);
  next++;
  Atomics.store(control, 1, next);
  Atomics.notify(control, 1);
}`;

class HashThread {
  constructor() {
    this.ring = new Uint8Array(new SharedArrayBuffer(RING_BYTES));
    this.control = new Int32Array(new SharedArrayBuffer(4 * (2 + 2 * SLOTS)));
    this.sleeping = new Int32Array(new SharedArrayBuffer(4));
    this.digests = new Uint8Array(new SharedArrayBuffer(32 * SLOTS));
    this.posted = 0;
    this.collected = 0;
    this.head = 0; // where the next block goes, in bytes since the first (its place: head % RING_BYTES)
    this.starts = new Float64Array(SLOTS);
    this.waiting = new Array(SLOTS); // each slot's { resolve, reject }
    this.online = false;
    this.failed = false;
    this.watching = false;
    this.worker = new workerThreads.Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { ring: this.ring, control: this.control, sleeping: this.sleeping, digests: this.digests, slots: SLOTS },
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
    let start = this.head;
    if ((start % RING_BYTES) + byteLength > RING_BYTES) start += RING_BYTES - (start % RING_BYTES); // no block wraps
    const oldest = this.posted > this.collected ? this.starts[this.collected % SLOTS] : start;
    if (start + byteLength - oldest > RING_BYTES) { this.wake(); return null; }
    let at = start % RING_BYTES;
    for (const part of parts) {
      this.ring.set(part, at);
      at += part.length;
    }
    const slot = this.posted % SLOTS;
    this.starts[slot] = start;
    this.control[2 + 2 * slot] = start % RING_BYTES;
    this.control[3 + 2 * slot] = byteLength;
    this.head = start + byteLength;
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
