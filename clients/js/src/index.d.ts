// Types of ArrowCid's JavaScript client (docs/js.md); each module's declarations follow, one block each.

// ---- cidOf: the canonical form and chunking of docs/canonical-form.md (src/cid.js) ----
// Namespaced imports so the other modules' declaration blocks cannot collide with these names.
import type * as ArrowForCid from 'apache-arrow';
import type * as CidForCid from 'multiformats/cid';

/** Rows to name: an apache-arrow Table, or a schema with its batches (as readArrowIpc gives). */
export type TableLike = ArrowForCid.Table | { schema: ArrowForCid.Schema; batches: ArrowForCid.RecordBatch[]; numRows: number };

/** One content-defined chunk of a table: a canonical batch block. */
export interface ChunkInfo {
  /** The chunk's raw CID (bafkrei…). */
  cid: CidForCid.CID;
  /** The table row the chunk starts at. */
  firstRow: number;
  rows: number;
  /** Length of the chunk's canonical block. */
  bytes: number;
}

export interface TableDescription {
  /** The table CID: the chunk's raw CID for one chunk, else the manifest tree's root (bafyrei…). */
  cid: CidForCid.CID;
  rows: number;
  /** Sum of the chunk blocks' lengths (manifest nodes not counted). */
  bytes: number;
  chunks: ChunkInfo[];
  /** The root manifest block's length; 0 for a one-chunk table. */
  manifestBytes: number;
  /** With { blocks: true }: every chunk and manifest node, by CID string. */
  blocks?: Map<string, Uint8Array>;
}

/** The table CID of the rows (the CID `arrowcid cid` and `put` give the same rows). */
export function cidOf(table: TableLike): Promise<CidForCid.CID>;
/** Chunks and names a table; `{ blocks: true }` keeps every block it made. */
export function describeTable(table: TableLike, options?: { blocks?: boolean }): Promise<TableDescription>;
/** Reads Arrow IPC bytes (file or stream) keeping the schema exactly as written. */
export function readArrowIpc(bytes: Uint8Array): { schema: ArrowForCid.Schema; batches: ArrowForCid.RecordBatch[]; numRows: number };
/** The canonical bytes of all rows as one batch (docs/canonical-form.md §1–§4), without chunking. */
export function canonicalBatchBytes(tableOrBatch: TableLike | ArrowForCid.RecordBatch): Uint8Array;
/** CIDv1, raw codec, sha2-256 of bytes. */
export function rawCid(bytes: Uint8Array): Promise<CidForCid.CID>;
