// Content-defined chunks of a table (docs/canonical-form.md §7.3): row hashes and nominal sizes
// per batch, the rolling hash and the two-rate cut rule, then the block check on each chunk.

import { asData, canonicalize, DictionaryOverflowError } from '../canonical/normalize.js';
import { encodeBatch, schemaFlatbuffer } from '../canonical/encode.js';
import { withScratch, takeScratch, giveBackScratch } from '../canonical/scratch.js';
import { Arena, seed, absorbWords, finish, roll, rowBits, releaseLargeMemory } from './row-hash.js';

export const RULE = Object.freeze({
  targetBytes: 262144,
  minBytes: 65536,
  maxNominalBytes: 983040,
  maxBlockBytes: 1048576,
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

/** Row facts kept for the next table: fresh memory is what costs most here, so it is reused. */
let spareFacts = null;
const SPARE_FACTS_MAX_ROWS = 1 << 22;

/** Per-row arrays for `rows` rows: the spare ones when large enough (taken, so concurrent calls never share). */
function takeFacts(rows) {
  const spare = spareFacts;
  if (spare !== null && spare.bits.length >= rows) {
    spareFacts = null;
    return spare;
  }
  return { bits: new Float64Array(rows), rollHi: new Uint32Array(rows) };
}

/** Hands per-row arrays back for the next table (kept when not too large). */
function giveBackFacts(facts) {
  if (facts.bits.length <= SPARE_FACTS_MAX_ROWS && (spareFacts === null || spareFacts.bits.length < facts.bits.length)) spareFacts = facts;
}

/**
 * Nominal bits and the rolling hash's high word of every row of the table (and with
 * `{ hashes: true }` the row hashes, uint32 pairs lo, hi per row). Each batch is normalised once
 * here; its columns are replaced by their canonical arrays (seen as Data), from which the chunks
 * are then cut. `facts`: arrays of at least numRows slots to write bits and rollHi to.
 */
export function rowFacts(table, { batches = batchesOf(table), hashes: withHashes = false, facts = null } = {}) {
  const rows = table.numRows;
  const hashes = withHashes ? new Uint32Array(2 * rows) : null;
  const bits = facts === null ? new Float64Array(rows) : facts.bits;
  const rollHi = facts === null ? new Uint32Array(rows) : facts.rollHi;
  const fields = fieldsOf(table);
  // g_j = 2·g_(j−1) + rowHash(j) mod 2^64; only the high word is compared (the threshold's low word is 0).
  let g = 0n;
  for (const b of batches) {
    const arena = new Arena();
    const state = seed(arena, b.rows);
    const columns = fields.map((field, k) => {
      const column = canonicalize(field.type, [{ data: b.columns[k], start: 0, len: b.rows }]);
      absorbWords(arena, column, state);
      return column;
    });
    rowBits(columns, bits.subarray(b.start, b.start + b.rows));
    b.columns = columns.map(asData);
    finish(arena, state, b.rows);
    if (hashes !== null) hashes.set(arena.words(state, b.rows), 2 * b.start);
    g = roll(arena, state, b.rows, g, rollHi, b.start);
  }
  releaseLargeMemory();
  return { hashes, bits, rollHi };
}

/** Encodes rows [from, to) of the table as one canonical batch. */
export function encodeRows(context, from, to) {
  if (context.chunkScratch === undefined) return encodeRowsNow(context, from, to);
  // The chunk's canonical arrays are needed only until it is encoded: their memory is reused.
  context.chunkScratch.reset();
  return withScratch(context.chunkScratch, () => encodeRowsNow(context, from, to));
}

function encodeRowsNow(context, from, to) {
  const { fields, batches, schemaFb } = context;
  const columns = fields.map((field, k) => {
    const segs = [];
    for (const b of batches) {
      const a = Math.max(from, b.start);
      const e = Math.min(to, b.start + b.rows);
      if (a < e) segs.push({ data: b.columns[k], start: a - b.start, len: e - a });
    }
    return canonicalize(field.type, segs);
  });
  return encodeBatch(schemaFb, fields, columns, to - from, context.scratch);
}

/** Encodes rows [from, to), or null when they cannot form one block (a dictionary overflows). */
function tryEncode(context, from, to) {
  try {
    return encodeRows(context, from, to);
  } catch (e) {
    if (e instanceof DictionaryOverflowError) return null;
    throw e;
  }
}

const fits = (block) => block !== null && block.length <= RULE.maxBlockBytes;

/**
 * Cuts the table into chunks; calls onChunk(block, firstRow, rows) for each in row order (awaited).
 * The block's bytes are reused for the next chunk once onChunk's promise settles: copy them to
 * keep them. Returns the encoding context (schema flatbuffer, fields).
 */
export async function chunkTable(table, onChunk) {
  const batches = batchesOf(table);
  const fields = fieldsOf(table);
  // scratch: one buffer the chunks are encoded into in turn (fresh memory per chunk costs more than hashing it).
  const context = { fields, batches, schemaFb: schemaFlatbuffer({ fields, metadata: table.schema.metadata }), scratch: { bytes: new Uint8Array(0) } };
  const rows = table.numRows;
  if (rows === 0) {
    await onChunk(encodeRows(context, 0, 0), 0, 0);
    return context;
  }
  const facts = takeFacts(rows);
  // The batches' canonical arrays live until the last chunk is cut; each chunk's only until encoded.
  const tableScratch = takeScratch();
  context.chunkScratch = takeScratch();
  try {
    withScratch(tableScratch, () => rowFacts(table, { batches, facts }));
    await cutChunks(context, facts, rows, onChunk);
  } finally {
    giveBackFacts(facts);
    giveBackScratch(tableScratch);
    giveBackScratch(context.chunkScratch);
    context.chunkScratch = undefined;
  }
  return context;
}

/** The boundary rule (§7.3) over the rows' facts, emitting each chunk's block. */
async function cutChunks(context, { bits, rollHi }, rows, onChunk) {
  let first = 0;
  const emit = async (end) => {
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
    await onChunk(block, first, end - first);
    first = end;
  };
  while (first < rows) await emit(nextEnd(bits, rollHi, first, rows));
}

/** The end of the chunk that starts at row `first` by the boundary rule (§7.3), before any shortening. */
function nextEnd(bits, rollHi, first, rows) {
  let s = 0;
  for (let j = first; j < rows; j++) {
    const b = bits[j];
    if (j > first && s + b > MAX_NOMINAL_BITS) return j;
    const s0 = s;
    s += b;
    // Below Min the threshold is 0 and nothing cuts: most rows skip computing it.
    if (s > MIN_BITS && rollHi[j] < thresholdHigh(s0, s)) return j + 1;
  }
  return rows;
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
