// Types of ArrowCid's JavaScript client (docs/js.md); each module's declarations follow, one block each.

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
}

/** A table's CID (text or object), a dataset name, or `NAME@N`. */
export type TableRef = string | CID;

/**
 * The table's record batches in row order, each yielded once its chunk has arrived and its hash,
 * length, schema and row count verified against the manifest tree; breaking out aborts the rest.
 */
export function fetchTable(table: TableRef, options?: FetchTableOptions): AsyncIterableIterator<RecordBatch>;
/** The whole table, verified, as one apache-arrow Table. */
export function readTable(table: TableRef, options?: FetchTableOptions): Promise<Table>;
/** The CID a reference names (a name through the gateway's /names/{name}/versions). */
export function resolveTable(table: TableRef, options?: GatewayOptions): Promise<CID>;

export interface NameVersion {
  version: number;
  cid: string;
  created: string;
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
/** An error status from the gateway, with its RFC 9457 problem when it sent one. */
export class GatewayError extends ArrowCidError {
  readonly url: string;
  /** The block asked for, when the request was for one (a node refuses a block corrupted on its disk: 500). */
  readonly cid?: string;
  readonly status: number;
  readonly problem?: { title?: string; status?: number; detail?: string; [key: string]: unknown };
}
