// Types of @arrowcid/client/flight (Node only): verified fetch over Arrow Flight (docs/js.md).
import type { RecordBatch, Table } from 'apache-arrow';
import type { ChannelCredentials, ChannelOptions, ClientReadableStream } from '@grpc/grpc-js';
import type { ArrowCidError, TableRef } from './index.js';

export interface FlightOptions {
  /** The node's Flight address: `grpc+tcp://HOST:PORT` or `grpc+tls://HOST:PORT`. */
  server: string;
  /** A bearer token for a node that requires one. */
  token?: string;
  /** Aborts the call. */
  signal?: AbortSignal;
  /** grpc-js credentials (e.g. TLS with your own CA) instead of those the URL implies. */
  credentials?: ChannelCredentials;
  channelOptions?: ChannelOptions;
  /** The most chunks the table's manifest tree may name (default 1,048,576); past it TableWalkLimitError. */
  maxChunks?: number;
}

/** A Flight call that failed: `code` is the gRPC status code (grpc.status), `details` its message. */
export class FlightError extends ArrowCidError {
  readonly code: number;
  readonly details: string;
}

/**
 * DoGet of the table, each chunk rebuilt from the stream (schema message + its messages +
 * end-of-stream) and hashed against the CID the manifest tree lists at its position; the tree comes
 * from the `block` action, every node verified. Record batches in row order.
 */
export function fetchTable(table: TableRef, options: FlightOptions): AsyncIterableIterator<RecordBatch>;
/** The whole table over Flight, verified, as one apache-arrow Table. */
export function readTable(table: TableRef, options: FlightOptions): Promise<Table>;
/** One block by CID through the `block` action, verified against its CID. */
export function getBlock(cid: string, options: FlightOptions): Promise<Uint8Array>;

export interface FlightConnection {
  /** DoAction: the result bodies. */
  action(type: string, body?: string): Promise<Buffer[]>;
  /** A block's bytes from the `block` action, not verified. */
  getBlock(cid: string): Promise<Uint8Array>;
  /** DoGet: the raw FlightData stream. */
  doGet(ticket: string): ClientReadableStream<{ header: Buffer; body: Buffer; appMetadata: Buffer }>;
  close(): void;
}
/** A connection for lower-level calls. */
export function connect(server: string, options?: Omit<FlightOptions, 'server' | 'signal'>): FlightConnection;
