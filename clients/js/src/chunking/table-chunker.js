// Content-defined chunks of a table (docs/canonical-form.md §7.3): row hashes and nominal sizes
// per batch, the rolling hash and the two-rate cut rule, then the block check on each chunk.

import { asData, canonicalize, DictionaryOverflowError, withDeferredTransforms, withRowForm } from '../canonical/normalize.js';
import { batchParts, joinParts, schemaFlatbuffer } from '../canonical/encode.js';
import { digestParts } from '../canonical/block-digest.js';
import { withScratch, takeScratch, giveBackScratch } from '../canonical/scratch.js';
import { Arena, seed, absorbWords, finishRoll, rowBits, releaseLargeMemory, readsKernelResults } from './row-hash.js';
import { giveBackKernel, rowHashThread, takeKernel } from './row-hash-thread.js';

export const RULE = Object.freeze({
  targetBytes: 262144,
  minBytes: 65536,
  maxNominalBytes: 983040,
  maxBlockBytes: 1048576,
  // A chunk ends before its row number maxRows whatever the rows' sizes (rows of no nominal size,
  // Null columns, would never fill one); rows of a bit or more reach maxNominalBytes first.
  maxRows: 8388608,
});

const MIN_BITS = 8 * RULE.minBytes;
const TARGET_BITS = 8 * RULE.targetBytes;
const MAX_NOMINAL_BITS = 8 * RULE.maxNominalBytes;

/** The high word of the cut threshold 2^41·|[s0,s)∩[Min,Target)| + 2^45·|[s0,s)∩[Target,∞)| (its low word is 0). */
function thresholdHigh(s0, s) {
  const low = Math.max(0, Math.min(s, TARGET_BITS) - Math.max(s0, MIN_BITS));
  const high = Math.max(0, s - Math.max(s0, TARGET_BITS));
  return low * 512 + high * 8192;
}

/**
 * The fields the table's data has: apache-arrow's Schema can disagree with its own batches (it
 * merges fields of the same name, e.g. two fields "ints" of int8 and int32 both read as int32),
 * so types come from the first batch's data and names, nullability and metadata from the schema.
 */
export function fieldsOf(table) {
  const first = table.batches.find((b) => b.data.children.length === table.schema.fields.length);
  return table.schema.fields.map((f, k) => ({
    name: f.name, nullable: f.nullable, metadata: f.metadata,
    type: first === undefined ? f.type : first.data.children[k].type,
  }));
}

/** The batches of an apache-arrow Table as { data (one child per column), start, rows }. */
function batchesOf(table) {
  const out = [];
  let start = 0;
  for (const batch of table.batches) {
    if (batch.numRows === 0) continue;
    out.push({ columns: [...batch.data.children], start, rows: batch.numRows });
    start += batch.numRows;
  }
  return out;
}

/**
 * Nominal bits and the rolling hash's high word of the rows not yet cut into chunks: rows
 * [base, base + length). Chunks are cut while the batches are read, so this holds about one batch
 * and one chunk of rows, not the table; it is kept for the next table (fresh memory costs more
 * than the work done in it).
 */
class FactsWindow {
  constructor() {
    this.bits = new Float64Array(0);
    this.rollHi = new Uint32Array(0);
    this.base = 0;
    this.length = 0;
  }

  /** Forgets rows before `first` and makes room for `rows` more; returns where they go. */
  append(first, rows) {
    const drop = Math.min(Math.max(0, first - this.base), this.length);
    if (drop > 0) {
      this.bits.copyWithin(0, drop, this.length);
      this.rollHi.copyWithin(0, drop, this.length);
      this.base += drop;
      this.length -= drop;
    }
    const needed = this.length + rows;
    if (needed > this.bits.length) {
      const capacity = Math.max(needed, Math.ceil(this.bits.length * 1.5));
      const bits = new Float64Array(capacity);
      const rollHi = new Uint32Array(capacity);
      bits.set(this.bits.subarray(0, this.length));
      rollHi.set(this.rollHi.subarray(0, this.length));
      this.bits = bits;
      this.rollHi = rollHi;
    }
    const at = this.length;
    this.length = needed;
    return at;
  }
}

let spareWindow = null;
const SPARE_WINDOW_MAX_ROWS = 1 << 21;

function takeWindow(base) {
  const w = spareWindow ?? new FactsWindow();
  spareWindow = null;
  w.base = base;
  w.length = 0;
  return w;
}

function giveBackWindow(w) {
  if (w.bits.length <= SPARE_WINDOW_MAX_ROWS && (spareWindow === null || spareWindow.bits.length < w.bits.length)) spareWindow = w;
}

/**
 * Normalises one batch (its columns are replaced by their canonical arrays, seen as Data, from
 * which chunks are then cut), absorbs its row hashes and writes its rows' nominal bits and rolling
 * hash high words to bits and rollHi from index `at`; `hashes` (or null) gets the row hashes at
 * 2·b.start. g_j = 2·g_(j−1) + rowHash(j) mod 2^64 (a BigInt) continues from g; returns the last g.
 */
function batchFacts(fields, b, g, bits, rollHi, at, hashes) {
  const arena = new Arena();
  const state = seed(arena, b.rows);
  const columns = fields.map((field, k) => {
    const column = withRowForm(true, () => canonicalize(field.type, [{ data: b.columns[k], start: 0, len: b.rows }]));
    absorbWords(arena, column, state);
    return column;
  });
  rowBits(columns, bits.subarray(at, at + b.rows));
  b.columns = columns.map(asData);
  // Only the high word of g is compared (the threshold's low word is 0).
  const last = finishRoll(arena, state, b.rows, g, rollHi, at);
  if (hashes !== null) hashes.set(arena.words(state, b.rows), 2 * b.start);
  return last;
}

/** Batches handed to the row-hash thread at most at a time, per table. */
const AHEAD = 3;

/**
 * Normalises batch b (its columns replaced as in batchFacts) and writes its rows' nominal bits to
 * kernel.bits, then hands its row hashes to the row-hash thread: a promise of { g, rollHi } (the
 * last g and the rows' rolling hash high words, from g, or with g null from the last g of the
 * batch handed before in `stream`), or null when a column's hash reads the
 * kernel's results back (unions, which chunkTable keeps off the thread: the caller then hashes
 * the batch itself with batchFacts, b's columns untouched).
 */
function batchFactsAhead(thread, kernel, fields, b, g, stream, final) {
  const columns = fields.map((field, k) => withRowForm(true, () => canonicalize(field.type, [{ data: b.columns[k], start: 0, len: b.rows }])));
  if (columns.some((c) => readsKernelResults(c.type))) return null;
  const arena = new Arena(kernel);
  const state = seed(arena, b.rows);
  for (const column of columns) absorbWords(arena, column, state);
  if (kernel.bits.length < b.rows) kernel.bits = new Float64Array(b.rows);
  rowBits(columns, kernel.bits.subarray(0, b.rows));
  b.columns = columns.map(asData);
  return thread.hash(kernel, arena.top, state, b.rows, g, stream, final);
}

/**
 * Nominal bits and the rolling hash's high word of every row of the table (and with
 * `{ hashes: true }` the row hashes, uint32 pairs lo, hi per row), for all rows at once.
 */
export function rowFacts(table, { hashes: withHashes = false } = {}) {
  const rows = table.numRows;
  const hashes = withHashes ? new Uint32Array(2 * rows) : null;
  const bits = new Float64Array(rows);
  const rollHi = new Uint32Array(rows);
  const fields = fieldsOf(table);
  let g = 0n;
  for (const b of batchesOf(table)) g = batchFacts(fields, b, g, bits, rollHi, b.start, hashes);
  releaseLargeMemory();
  return { hashes, bits, rollHi };
}

/**
 * One chunk's canonical block as the parts that follow each other in it (batchParts: byte arrays
 * and Int32Transforms), which may be views of the table's arrays and of scratch memory reused for
 * the next chunk.
 */
class Block {
  constructor({ parts, byteLength }, scratch) {
    this.parts = parts;
    this.byteLength = byteLength;
    this.scratch = scratch;
  }

  /** The block's bytes in a new array. */
  bytes() {
    return joinParts(this.parts, new Uint8Array(this.byteLength));
  }

  /** The block's sha2-256 multihash digest (multiformats), hashed off this thread; the bytes are copied before this returns. */
  digest() {
    return digestParts(this.parts, this.byteLength, this.scratch);
  }
}

/** The parts (batchParts) of rows [from, to) of the table as one canonical batch. */
export function encodeRows(context, from, to) {
  if (context.chunkScratch === undefined) return new Block(encodeRowsNow(context, from, to), context.scratch);
  // The chunk's canonical arrays are needed only until it is hashed: their memory is reused.
  context.chunkScratch.reset();
  return new Block(withScratch(context.chunkScratch, () => encodeRowsNow(context, from, to)), context.scratch);
}

function encodeRowsNow(context, from, to) {
  const { fields, batches, schemaFb } = context;
  // The chunk's arrays are only encoded: its offsets and indices are left to the block's consumer.
  const columns = withDeferredTransforms(true, () => fields.map((field, k) => {
    const segs = [];
    for (const b of batches) {
      const a = Math.max(from, b.start);
      const e = Math.min(to, b.start + b.rows);
      if (a < e) segs.push({ data: b.columns[k], start: a - b.start, len: e - a });
    }
    return canonicalize(field.type, segs);
  }));
  return batchParts(schemaFb, fields, columns, to - from);
}

/** The block of rows [from, to), or null when they cannot form one (a dictionary overflows). */
function tryEncode(context, from, to) {
  try {
    return encodeRows(context, from, to);
  } catch (e) {
    if (e instanceof DictionaryOverflowError) return null;
    throw e;
  }
}

const fits = (block) => block !== null && block.byteLength <= RULE.maxBlockBytes;

/**
 * Cuts the table into chunks; calls onChunk(block, firstRow, rows) for each in row order (awaited),
 * `block` a Block (its bytes(), digest(), byteLength) valid until onChunk's promise settles. Returns the encoding context (schema flatbuffer, fields). Each batch is normalised
 * and hashed in turn, and the chunks its rows decide are cut before the next batch is read.
 */
export async function chunkTable(table, onChunk) {
  const batches = batchesOf(table);
  const fields = fieldsOf(table);
  // scratch: one buffer a chunk's block is joined into where its digest needs one (fresh memory per chunk costs more than hashing it).
  const context = { fields, batches, schemaFb: schemaFlatbuffer({ fields, metadata: table.schema.metadata }), scratch: { bytes: new Uint8Array(0) } };
  const rows = table.numRows;
  if (rows === 0) {
    await onChunk(encodeRows(context, 0, 0), 0, 0);
    return context;
  }
  const window = takeWindow(0);
  // The batches' canonical arrays live until the last chunk is cut; each chunk's only until encoded.
  const tableScratch = takeScratch();
  context.chunkScratch = takeScratch();
  // Kernels of the row-hash thread: those a batch still in its hands holds are not given back.
  let spare = [];
  try {
    const cutter = new Cutter(context, window, onChunk);
    // A big table's row hashes are made by the row-hash thread one batch ahead: it hashes batch
    // i + 1 while this thread cuts and encodes the chunks of batch i.
    // Up to AHEAD batches are handed out at a time, so that this thread seldom waits for the
    // worker on a loaded machine; the worker carries g from one batch of the table to the next.
    const thread = rowHashThread(rows);
    const useThread = thread !== null && batches.length > 1 && !fields.some((f) => readsKernelResults(f.type));
    spare = useThread ? Array.from({ length: AHEAD }, takeKernel) : [];
    const stream = useThread ? thread.newStream() : 0;
    const ahead = []; // { kernel, hashed } of batches i + 1 … nextOut − 1, in order
    let nextOut = 1;
    let g = 0n;
    for (const [i, b] of batches.entries()) {
      const at = window.append(cutter.first, b.rows);
      if (ahead.length === 0) {
        g = withScratch(tableScratch, () => batchFacts(fields, b, g, window.bits, window.rollHi, at, null));
      } else {
        const { kernel, hashed } = ahead.shift();
        const facts = await hashed;
        window.bits.set(kernel.bits.subarray(0, b.rows), at);
        window.rollHi.set(facts.rollHi, at);
        g = facts.g;
        spare.push(kernel);
      }
      nextOut = Math.max(nextOut, i + 1);
      while (nextOut < batches.length && spare.length > 0 && thread.usable) {
        const kernel = spare.pop();
        const from = ahead.length === 0 ? g : null;
        const hashed = withScratch(tableScratch, () => batchFactsAhead(thread, kernel, fields, batches[nextOut], from, stream, nextOut === batches.length - 1));
        if (hashed === null) { spare.push(kernel); break; }
        ahead.push({ kernel, hashed });
        nextOut++;
      }
      await cutter.cut(b.start + b.rows, false);
    }
    releaseLargeMemory();
    await cutter.cut(rows, true);
  } finally {
    for (const kernel of spare) giveBackKernel(kernel);
    giveBackWindow(window);
    giveBackScratch(tableScratch);
    giveBackScratch(context.chunkScratch);
    context.chunkScratch = undefined;
  }
  return context;
}

/** The boundary rule (§7.3) over the rows' facts as they arrive, emitting each chunk's block. */
class Cutter {
  constructor(context, window, onChunk) {
    this.context = context;
    this.window = window;
    this.onChunk = onChunk;
    this.first = 0;
    // Where the scan for the current chunk's end stopped (row, nominal bits of rows first … row−1).
    this.next = 0;
    this.sum = 0;
  }

  /** Emits every chunk decided by the rows before `available` (all rows when `atEnd`). */
  async cut(available, atEnd) {
    while (this.first < available) {
      const end = this.scan(available);
      if (end < 0) {
        if (!atEnd) return;
        await this.emit(available);
      } else {
        await this.emit(end);
      }
    }
  }

  /** The end of the current chunk by the boundary rule, or −1 when rows up to `available` do not decide it. */
  scan(available) {
    const { bits, rollHi, base } = this.window;
    const first = this.first;
    let s = this.sum;
    for (let j = this.next; j < available; j++) {
      const b = bits[j - base];
      if (j > first && (s + b > MAX_NOMINAL_BITS || j - first >= RULE.maxRows)) return j;
      const s0 = s;
      s += b;
      // Below Min the threshold is 0 and nothing cuts: most rows skip computing it. A row wholly
      // in [Min, Target) or past Target adds b·2^9 or b·2^13 (thresholdHigh's two terms; the
      // sums are integers, exact in doubles); only rows that straddle Min or Target need it whole.
      if (s > MIN_BITS) {
        const t = s0 >= TARGET_BITS ? b * 8192 : s0 >= MIN_BITS && s <= TARGET_BITS ? b * 512 : thresholdHigh(s0, s);
        if (rollHi[j - base] < t) return j + 1;
      }
    }
    this.next = available;
    this.sum = s;
    return -1;
  }

  async emit(end) {
    const { context } = this;
    const first = this.first;
    let block = tryEncode(context, first, end);
    if (!fits(block) && end - first > 1) {
      // Shorten to the longest prefix that forms one block of at most MaxBlock bytes.
      let good = 1;
      let bad = end - first;
      while (bad - good > 1) {
        const mid = (good + bad) >>> 1;
        if (fits(tryEncode(context, first, first + mid))) good = mid; else bad = mid;
      }
      end = first + good;
      block = tryEncode(context, first, end); // again: the candidates shared one buffer
    }
    if (block === null) throw new Error(`arrowcid: row ${first} cannot be encoded as one batch`);
    await this.onChunk(block, first, end - first);
    this.first = end;
    this.next = end;
    this.sum = 0;
  }
}

/** The encapsulated canonical Schema message (continuation marker, length, flatbuffer). */
export function schemaMessage(schemaFb) {
  const out = new Uint8Array(8 + schemaFb.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, 0xffffffff, true);
  dv.setInt32(4, schemaFb.length, true);
  out.set(schemaFb, 8);
  return out;
}
