// Node only: a worker thread that runs the row-hash kernel of a batch while the main thread cuts
// and encodes the chunks of the batch before it. The main thread still normalises each batch and
// lays its columns out as the kernel reads them (the same copies it makes into the kernel's own
// memory on one thread), but into shared memory, recording the kernel calls instead of making
// them; the worker copies that memory into its own instance of the kernel, replays the calls,
// finishes the row hashes and rolls them, and sends back the rolling hash's high words. As in
// hash-thread.js, the worker is found at run time (process.getBuiltinModule) and its source is
// given as text, so the browser bundle holds no Node module and no worker file; elsewhere, on two
// cores, for small tables and until the worker is up, table-chunker.js hashes the rows itself.

import { nodeBuiltin } from '../node-builtin.js';
import { ROW_HASH_WASM_BASE64 } from './row-hash-wasm.js';

const workerThreads = nodeBuiltin('worker_threads');
/** Cores this process may use (Node's os.availableParallelism; 1 when unknown). */
const cores = nodeBuiltin('os')?.availableParallelism?.() ?? 1;

/** The kernel's exports that write only into its memory (replayed in order by the worker). */
const RECORDED_CALLS = ['seed', 'word', 'flag', 'bool', 'fixed', 'binary', 'views', 'items', 'itemHashesFixed', 'gather', 'finish'];

const WORKER_SOURCE = `
const { parentPort, workerData } = require('worker_threads');
const k = new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(workerData.wasm, 'base64')), {}).exports;
// The last g of each table's batch before (a table's batches come in order).
const lastG = new Map();
parentPort.on('message', ({ id, memory, top, calls, st, rows, g, stream, final }) => {
  try {
    const out = (top + 7) & ~7;
    const needed = out + 4 * rows;
    if (needed > k.memory.buffer.byteLength) k.memory.grow(Math.ceil((needed - k.memory.buffer.byteLength) / 65536));
    new Uint8Array(k.memory.buffer, 0, top).set(new Uint8Array(memory, 0, top));
    for (const [name, ...args] of calls) k[name](...args);
    const last = k.finishRoll(st, rows, g ?? lastG.get(stream), out);
    if (final) lastG.delete(stream); else lastG.set(stream, last);
    const rollHi = new Uint32Array(new Uint32Array(k.memory.buffer, out, rows));
    parentPort.postMessage({ id, g: last, rollHi }, [rollHi.buffer]);
  } catch (error) {
    parentPort.postMessage({ id, error: String(error) });
  }
});`;

/**
 * Stands in for the kernel's exports in an Arena (row-hash.js): its memory is shared memory the
 * worker copies from, and its calls are recorded for the worker to make. Reused batch after batch
 * of one table: the worker has copied the memory out before its answer arrives.
 */
export class RecordedKernel {
  constructor() {
    this.memory = {
      buffer: new SharedArrayBuffer(1 << 20),
      grow(pages) {
        const grown = new SharedArrayBuffer(this.buffer.byteLength + 65536 * pages);
        new Uint8Array(grown).set(new Uint8Array(this.buffer));
        this.buffer = grown;
      },
    };
    this.calls = [];
    for (const name of RECORDED_CALLS) this[name] = (...args) => { this.calls.push([name, ...args]); };
    // Nominal bits of the batch being hashed ahead (read by the main thread once its rows are due).
    this.bits = new Float64Array(0);
  }
}

const spareKernels = [];

/** A RecordedKernel, kept from an earlier table where there is one (fresh shared memory costs page faults). */
export function takeKernel() {
  return spareKernels.pop() ?? new RecordedKernel();
}

/** Keeps `kernel` for the next table: a few, each of at most 64 MiB. */
export function giveBackKernel(kernel) {
  kernel.calls = [];
  if (spareKernels.length < 8 && kernel.memory.buffer.byteLength <= 64 << 20) spareKernels.push(kernel);
}

class RowHashThread {
  constructor() {
    this.online = false;
    this.failed = null;
    this.nextId = 0;
    this.nextStream = 0;
    this.waiting = new Map();
    /** Batches the worker has hashed (tests check that it did). */
    this.batches = 0;
    this.worker = new workerThreads.Worker(WORKER_SOURCE, { eval: true, workerData: { wasm: ROW_HASH_WASM_BASE64 } });
    this.worker.unref();
    this.worker.once('online', () => { this.online = true; });
    this.worker.on('message', ({ id, g, rollHi, error }) => {
      const { resolve, reject } = this.waiting.get(id);
      this.waiting.delete(id);
      if (this.waiting.size === 0) this.worker.unref();
      if (error !== undefined) { reject(new Error(`arrowcid: the row-hash thread failed: ${error}`)); return; }
      this.batches++;
      resolve({ g, rollHi });
    });
    // Should the worker die, the batches it held fail (their tables' cidOf rejects) and later
    // tables hash their rows on their own thread.
    const fail = (error) => {
      this.failed = error instanceof Error ? error : new Error(`arrowcid: the row-hash thread stopped (${error})`);
      for (const { reject } of this.waiting.values()) reject(this.failed);
      this.waiting.clear();
    };
    this.worker.once('error', fail);
    this.worker.once('exit', fail);
  }

  /** Whether batches can be handed to the worker now. */
  get usable() {
    return this.online && this.failed === null;
  }

  /** A number naming one table's sequence of batches (hash's `stream`). */
  newStream() {
    return this.nextStream++;
  }

  /**
   * Runs the calls `kernel` recorded, then finishes and rolls the `rows` states at `st` from g
   * (a BigInt; null: the last g of the batch handed before in `stream`); a promise of { g: the last
   * g, rollHi: the rows' high words }. `top` bytes of the kernel's memory are used. `final`: no
   * batch of this stream follows.
   */
  hash(kernel, top, st, rows, g, stream, final) {
    const id = this.nextId++;
    const done = new Promise((resolve, reject) => { this.waiting.set(id, { resolve, reject }); });
    if (this.waiting.size === 1) this.worker.ref();
    this.worker.postMessage({ id, memory: kernel.memory.buffer, top, calls: kernel.calls, st, rows, g, stream, final });
    kernel.calls = [];
    return done;
  }
}

/**
 * Rows seen before the thread is started: starting it costs the main thread 8–16 ms, more than
 * hashing a small table's rows.
 */
const START_AFTER_ROWS = 1 << 19;
/**
 * Cores needed to start it unasked: with the hash thread (hash-thread.js) it makes three busy
 * threads, and on two cores the extra copy and hand-over (about 0.1 s of CPU per 256 MiB table)
 * cost more wall time than the main thread saves (docs/performance.md, 2026-11-23 05:20–06:15).
 */
const START_WITH_CORES = 3;
let rowsBeforeStart = 0;
let thread;

/**
 * The row-hash thread (Node with worker_threads), started once `rows`, summed over calls, reach
 * START_AFTER_ROWS on a machine of START_WITH_CORES cores or more (at once, whatever the cores,
 * when `rows` is omitted); null before, elsewhere, or when it cannot start.
 */
export function rowHashThread(rows = Infinity) {
  if (thread !== undefined) return thread;
  if (rows !== Infinity && cores < START_WITH_CORES) return null;
  rowsBeforeStart += rows;
  if (rowsBeforeStart < START_AFTER_ROWS) return null;
  thread = null;
  if (workerThreads !== null && typeof SharedArrayBuffer === 'function') {
    try {
      thread = new RowHashThread();
    } catch {
      thread = null; // e.g. a permission model that forbids workers: the rows are hashed here
    }
  }
  return thread;
}
