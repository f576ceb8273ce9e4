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
// --- fetch.js, errors.js: verified fetch through the HTTP gateway ---
import type { RecordBatch, Table } from 'apache-arrow';
import type { CID } from 'multiformats/cid';

/** Where and how to reach a node's HTTP gateway. */
export interface GatewayOptions {
  /** The gateway's base URL, e.g. `http://127.0.0.1:8816` ('' or absent: the page's own origin). */
  gateway?: string;
  /** A bearer token (`Authorization: Bearer …`) for a node that requires one. */
  token?: string;
  /** Aborts the call (and every request it has in flight). */
  signal?: AbortSignal;
  /** A fetch implementation to use instead of `globalThis.fetch`. */
  fetch?: typeof globalThis.fetch;
}

export interface FetchTableOptions extends GatewayOptions {
  /** Chunk blocks fetched at once, ahead of the one being yielded (default 8). */
  concurrency?: number;
  /**
   * The most chunks the table's manifest tree may name (default 1,048,576); past it the walk stops
   * with TableWalkLimitError (a tree whose nodes link one child thousands of times names billions).
   */
  maxChunks?: number;
}

/** A table's CID (text or object), a dataset name, or `NAME@N`. */
export type TableRef = string | CID;

/**
 * The table's record batches in row order, each yielded once its chunk has arrived and its hash,
 * length, schema and row count verified against the manifest tree; breaking out aborts the rest.
 */
export function fetchTable(table: TableRef, options?: FetchTableOptions): AsyncIterableIterator<RecordBatch>;
/** A chunk entry of a table's manifest (a raw CID: a one-chunk table, whose rows and bytes are not known ahead). */
export interface ChunkEntry {
  cid: CID;
  rows: number | undefined;
  bytes: number | undefined;
}
/**
 * The table's chunk blocks in row order, each yielded once its hash, length and schema message are
 * verified against the manifest tree, not yet decoded (no apache-arrow needed); decodeChunk decodes one.
 */
export function fetchChunks(table: TableRef, options?: FetchTableOptions): AsyncIterableIterator<{ entry: ChunkEntry; bytes: Uint8Array }>;
/** A verified chunk's record batches (apache-arrow); a BlockVerificationError when it is no Arrow IPC stream or its row count is not the entry's. */
export function decodeChunk(entry: ChunkEntry, bytes: Uint8Array): RecordBatch[];
/** The whole table, verified, as one apache-arrow Table. */
export function readTable(table: TableRef, options?: FetchTableOptions): Promise<Table>;
/** The CID a reference names (a name through the gateway's /names/{name}/versions; `/ipns/k51…` once its record and chain verify). */
export function resolveTable(table: TableRef, options?: GatewayOptions): Promise<CID>;

/** A signed name resolved and verified (docs/names.md). */
export interface ResolvedName {
  /** The IPNS name, `k51…`. */
  ipns: string;
  /** The table name the chain's head carries. */
  name: string;
  /** The head's version (the record's sequence). */
  version: number;
  /** The table the head names. */
  table: CID;
  /** The head's version node. */
  node: CID;
  /** When the record stops being valid. */
  validity: Date;
  /** How many version nodes were verified, back to version 1. */
  versions: number;
  /** The verified nodes, newest first. */
  chain: { name: string; version: number; node: CID; table: CID; signer: string }[];
}
/**
 * Fetches an IPNS name's record from the gateway's /routing/v1/ipns/, checks its Ed25519
 * signatureV2 and validity, and walks its chain of version nodes (each hashed against its CID)
 * back to version 1; a NameVerificationError says what failed. fetchTable('/ipns/k51…') does the same first.
 */
export function resolveName(ipnsName: string, options?: GatewayOptions & { now?: Date }): Promise<ResolvedName>;
/** The IPNS name in base36 and the 32-byte Ed25519 public key it is; a TypeError for other text. */
export function ipnsPublicKey(ipnsName: string): { name: string; publicKey: Uint8Array };

export interface NameVersion {
  name: string;
  version: number;
  cid: string;
  /** ISO 8601 round-trip form, e.g. 2026-11-25T21:01:53.1234567+00:00. */
  created: string;
  /** The table's rows, when the node has its record. */
  rows?: number;
}
/** GET /names/{name}/versions: every version of a dataset name, oldest first. */
export function versions(name: string, options?: GatewayOptions): Promise<{ name: string; latest: number; versions: NameVersion[] }>;

/** The base of every error this client throws on purpose. */
export class ArrowCidError extends Error {}
/** A block whose bytes do not hash to its CID or do not match what its manifest says of it. */
export class BlockVerificationError extends ArrowCidError {
  /** The CID of the block that failed, as text. */
  readonly cid: string;
  readonly reason: string;
}
/** A manifest node (or chunk) that verifies but breaks docs/canonical-form.md §7.5. */
export class ManifestFormatError extends BlockVerificationError {
  /** The field at fault, e.g. `entries[3].rows`. */
  readonly field: string;
}
/** A table whose manifest tree names more chunks than options.maxChunks allows. */
export class TableWalkLimitError extends ArrowCidError {
  /** The table's CID, as text. */
  readonly cid: string;
  /** The limit it passed. */
  readonly limit: number;
}
/** A signed name whose record or chain does not verify. */
export class NameVerificationError extends ArrowCidError {
  /** What failed: bad-signature, expired, too-large, bad-record, malformed, missing, tampered, broken or wrong-signer. */
  readonly code: string;
}
/** An error status from the gateway, with its RFC 9457 problem when it sent one. */
export class GatewayError extends ArrowCidError {
  readonly url: string;
  /** The block asked for, when the request was for one (a node refuses a block corrupted on its disk: 500). */
  readonly cid?: string;
  readonly status: number;
  readonly problem?: { title?: string; status?: number; detail?: string; [key: string]: unknown };
}

// --- tables.js, subscribe.js: puts, listings and the live feed ---
/** Tags as `{ key: value }`, one `'key=value'` or a list of them. */
export type Tags = Record<string, string> | string | string[];

/** A table's CID and totals, as every report of it gives them. */
export interface TableTotals {
  cid: string;
  rows: number;
  /** Bytes of its chunk blocks (manifest nodes not counted). */
  bytes: number;
  chunks: number;
  /** Bytes of the root manifest block: 0 for a one-chunk table. */
  manifest_bytes: number | null;
}

/** The put report: what `arrowcid put --json` prints per input (without its `input`). */
export interface PutResult {
  table: TableTotals;
  /** Each chunk in row order. */
  chunks: { cid: string; rows: number; bytes: number }[];
  name?: string;
  version?: number;
  /** With a name: whether this put added the version (false: the name's latest version already named the table). */
  version_added?: boolean;
}
/**
 * POST /api/v1/tables (write role): an apache-arrow Table, or the bytes of an Arrow IPC stream.
 * Unchanged content under its name adds no version unless `forceVersion`.
 */
export function putTable(table: Table | Uint8Array | ArrayBuffer, options?: GatewayOptions & { name?: string; tags?: Tags; forceVersion?: boolean }): Promise<PutResult>;

export interface ListTablesOptions extends GatewayOptions {
  tag?: Tags;
  tags?: Tags;
  name?: string;
  kind?: 'batch' | 'table' | 'dataset' | 'arrow-stream' | Array<'batch' | 'table' | 'dataset' | 'arrow-stream'>;
  q?: string;
  /** The `next` cursor of the page before. */
  after?: string;
  /** Page size, 1–1000 (the node's default 100). */
  limit?: number;
}
export interface TableItem {
  cid: string;
  kind: string;
  rows?: number;
  bytes?: number;
  chunks?: number;
  tags?: Record<string, string>;
  created?: string;
  pinned?: boolean;
  names?: Array<{ name: string; version: number }>;
}
/** One page of GET /api/v1/tables, oldest first; `next` is absent on the last page. */
export function listTables(options?: ListTablesOptions): Promise<{ items: TableItem[]; next?: string }>;
/** Every table listTables selects, following `next` page after page. */
export function allTables(options?: ListTablesOptions): AsyncIterableIterator<TableItem>;
/** GET /api/v1/tables/{cid}: schema, rows, bytes, blocks, a page of chunks, tags, versions. */
export function tableInfo(cid: string | CID, options?: GatewayOptions & { chunkOffset?: number; chunkLimit?: number }): Promise<Record<string, unknown>>;

/** One change of the node's feed (GET /api/v1/events). */
export interface Change {
  /** The event ID (the change's sequence number as text): resume after it with `lastEventId`. */
  id: string;
  /** registered, updated, pinned, unpinned, tagged, location_added, location_removed, deleted or versioned. */
  event: string;
  sequence: number;
  change: string;
  cid: string;
  kind: string;
  at: string;
  rows?: number;
  bytes?: number;
  tags?: Record<string, string>;
  name?: string;
  version?: number;
}
export interface SubscribeOptions extends GatewayOptions {
  tag?: Tags;
  tags?: Tags;
  /** Only these changes (default all). */
  changes?: string[];
  /** Only these kinds (the node's default: batch, dataset, arrow-stream). */
  kinds?: string[];
  /** Resume after this event ID (sent as Last-Event-ID). */
  lastEventId?: string | number;
  /** Told of each dropped connection before the client reconnects. */
  onError?: (error: unknown) => void;
}
export interface Subscription {
  /** Ends the subscription (and its connection). */
  stop(): void;
  /** Settles when it has ended; rejects with a GatewayError when the node refused it (4xx), or with what onTable threw. */
  readonly closed: Promise<void>;
  /** The last event ID seen: pass it as `lastEventId` to resume later. */
  readonly lastEventId: string | undefined;
}
/** Server-Sent Events over fetch (the token as a header); reconnects with Last-Event-ID, so nothing is lost. */
export function subscribe(options: SubscribeOptions, onTable: (change: Change) => void | Promise<void>): Subscription;
