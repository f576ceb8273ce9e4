// Verified fetch over Arrow Flight (docs/flight.md), Node only (@grpc/grpc-js): the manifest tree
// comes from the node's `block` action, each block hashed against its CID and checked as the
// gateway path checks it; DoGet streams the stored canonical messages, and each chunk is rebuilt
// (schema message + its messages + end-of-stream) and hashed against the CID the tree lists at its
// position before it is decoded. Every message is at most a chunk (≤ 1 MiB), so gRPC's default
// 4 MiB receive limit suffices.
import * as grpc from '@grpc/grpc-js';
import { ArrowCidError, BlockVerificationError } from './errors.js';
import { openTable, toCid, verifyBlock, verifyChunk } from './manifest.js';
import { collectTable, decodeChunk } from './fetch.js';
import { chooseVersion, parseNameRef } from './chunks.js';

const SERVICE = '/arrow.flight.protocol.FlightService';
const CONTINUATION = 0xffffffff;
const HEADER_SCHEMA = 1;
const HEADER_DICTIONARY = 2;
const HEADER_RECORD_BATCH = 3;

/** A Flight call that failed: `code` is the gRPC status code, `details` its message. */
export class FlightError extends ArrowCidError {
  constructor(what, error) {
    super(`${what}: ${error.details ?? error.message}`, { cause: error });
    this.code = error.code;
    this.details = error.details ?? error.message;
  }
}

// --- the few protobuf messages we speak, encoded by hand (fields per proto/Flight.proto) ---

function varint(value) {
  const out = [];
  let v = value;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

function bytesField(field, bytes) {
  return Buffer.concat([Buffer.from([...varint((field << 3) | 2), ...varint(bytes.length)]), Buffer.from(bytes)]);
}

/** Length-delimited fields of a protobuf message: Map field → last value (Buffer). */
function decodeFields(buffer) {
  const fields = new Map();
  let pos = 0;
  const readVarint = () => {
    let result = 0;
    let scale = 1;
    for (;;) {
      if (pos >= buffer.length) throw new Error('truncated protobuf varint');
      const byte = buffer[pos++];
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) return result;
      scale *= 128;
    }
  };
  while (pos < buffer.length) {
    const key = readVarint();
    const field = Math.floor(key / 8);
    const wireType = key & 7;
    if (wireType === 2) {
      const length = readVarint();
      if (pos + length > buffer.length) throw new Error('truncated protobuf field');
      fields.set(field, buffer.subarray(pos, pos + length));
      pos += length;
    } else if (wireType === 0) readVarint();
    else if (wireType === 1) pos += 8;
    else if (wireType === 5) pos += 4;
    else throw new Error(`protobuf wire type ${wireType} is not supported`);
  }
  return fields;
}

const encodeTicket = (ticket) => bytesField(1, Buffer.from(ticket, 'utf8'));
const encodeAction = ({ type, body }) => Buffer.concat([bytesField(1, Buffer.from(type, 'utf8')), bytesField(2, body ?? Buffer.alloc(0))]);
const decodeResult = (buffer) => decodeFields(buffer).get(1) ?? Buffer.alloc(0);
const EMPTY = Buffer.alloc(0);
const decodeFlightData = (buffer) => {
  const fields = decodeFields(buffer);
  return { header: fields.get(2) ?? EMPTY, body: fields.get(1000) ?? EMPTY, appMetadata: fields.get(3) ?? EMPTY };
};

/** The header type of an IPC Message flatbuffer (Message.header_type, field 1 of its table). */
function messageHeaderType(header) {
  if (header.length < 8) return 0;
  const table = header.readUInt32LE(0);
  const vtable = table - header.readInt32LE(table);
  const vtableLength = header.readUInt16LE(vtable);
  const slot = 4 + 2 * 1;
  if (slot + 2 > vtableLength) return 0;
  const offset = header.readUInt16LE(vtable + slot);
  return offset === 0 ? 0 : header[table + offset];
}

/** An encapsulated IPC message: continuation marker, header length, header, body. */
function frame(header, body) {
  const prefix = Buffer.alloc(8);
  prefix.writeUInt32LE(CONTINUATION, 0);
  prefix.writeInt32LE(header.length, 4);
  return [prefix, header, body];
}
const END_OF_STREAM = Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);

/** `grpc+tcp://host:port` (or grpc://, grpc+tls://, host:port) → grpc-js target and credentials. */
function parseServer(server) {
  const match = /^(grpc(?:\+tcp|\+tls)?):\/\/(.+?)\/?$/.exec(server);
  if (!match) return { target: server, credentials: grpc.credentials.createInsecure() };
  const tls = match[1] === 'grpc+tls';
  return { target: match[2], credentials: tls ? grpc.credentials.createSsl() : grpc.credentials.createInsecure() };
}

/**
 * A connection to a Flight node: `{ action(type, body), getBlock(cid), doGet(ticket), close() }`.
 * Options: token (Bearer), credentials (grpc-js ChannelCredentials for TLS with your own CA),
 * channelOptions (grpc-js channel options).
 */
export function connect(server, { token, credentials, channelOptions } = {}) {
  const parsed = parseServer(server);
  const client = new grpc.Client(parsed.target, credentials ?? parsed.credentials, channelOptions ?? {});
  const metadata = () => {
    const m = new grpc.Metadata();
    if (token) m.set('authorization', `Bearer ${token}`);
    return m;
  };
  const stream = (method, serialize, deserialize, request) =>
    client.makeServerStreamRequest(`${SERVICE}/${method}`, serialize, deserialize, request, metadata(), {});

  async function action(type, body) {
    const call = stream('DoAction', encodeAction, decodeResult, { type, body: Buffer.from(body ?? '', 'utf8') });
    const results = [];
    try {
      for await (const result of call) results.push(result);
    } catch (error) {
      throw new FlightError(`action ${type} ${body ?? ''}`.trim(), error);
    }
    return results;
  }

  return {
    action,
    /** A block's bytes from the `block` action (unverified; openTable and verifyBlock check them). */
    async getBlock(cid) {
      return new Uint8Array(Buffer.concat(await action('block', String(cid))));
    },
    /** DoGet: the raw FlightData stream `{ header, body, appMetadata }` (a grpc-js readable; cancel() stops it). */
    doGet(ticket) {
      return stream('DoGet', encodeTicket, decodeFlightData, ticket);
    },
    close() {
      client.close();
    },
  };
}

/** The CID a reference names: a CID as is, `NAME` or `NAME@N` through the `versions` action. */
async function resolve(connection, cidOrName) {
  const cid = toCid(cidOrName);
  if (cid) return cid;
  if (typeof cidOrName !== 'string' || cidOrName === '') throw new TypeError('a table is named by a CID or a table name');
  const { name, version } = parseNameRef(cidOrName);
  const listed = (await connection.action('versions', name)).map((body) => JSON.parse(body.toString('utf8')));
  return chooseVersion(name, version, listed);
}

/**
 * The table's record batches over Flight DoGet, in row order, each yielded once its chunk was
 * rebuilt and verified against the manifest tree (see above). Options: server
 * (`grpc+tcp://HOST:PORT`), token, signal, credentials, channelOptions.
 */
export async function* fetchTable(cidOrName, options = {}) {
  const { server, signal } = options;
  if (!server) throw new TypeError('fetchTable over Flight needs options.server (grpc+tcp://HOST:PORT)');
  const connection = connect(server, options);
  let call;
  const onAbort = () => call?.cancel();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    signal?.throwIfAborted();
    const cid = await resolve(connection, cidOrName);
    const table = await openTable(cid, (c) => connection.getBlock(c), { maxChunks: options.maxChunks });
    const entries = table.chunks();
    call = connection.doGet(String(cid));
    if (signal?.aborted) call.cancel();
    let schemaFrame;
    let pending = [];
    let index = 0;
    try {
      for await (const data of call) {
        const type = messageHeaderType(data.header);
        if (schemaFrame === undefined) {
          if (type !== HEADER_SCHEMA) throw new BlockVerificationError(cid, 'DoGet did not begin with a schema message');
          schemaFrame = Buffer.concat(frame(data.header, data.body));
          if (table.schema && !schemaFrame.equals(Buffer.from(table.schema))) {
            throw new BlockVerificationError(cid, "DoGet's schema message is not the manifest's");
          }
          continue;
        }
        if (type !== HEADER_DICTIONARY && type !== HEADER_RECORD_BATCH) {
          throw new BlockVerificationError(cid, `DoGet sent a message of header type ${type} in chunk ${index}`);
        }
        pending.push(...frame(data.header, data.body));
        if (type !== HEADER_RECORD_BATCH) continue;
        const next = await entries.next();
        if (next.done) throw new BlockVerificationError(cid, `DoGet sent more chunks than the manifest's ${index}`);
        const bytes = new Uint8Array(Buffer.concat([schemaFrame, ...pending, END_OF_STREAM]));
        pending = [];
        await verifyChunk(next.value, bytes, table.schema);
        yield* decodeChunk(next.value, bytes);
        index++;
      }
    } catch (error) {
      if (error instanceof ArrowCidError) throw error;
      if (signal?.aborted) throw signal.reason ?? error;
      throw new FlightError(`DoGet ${cid}`, error);
    }
    if (pending.length > 0) throw new BlockVerificationError(cid, `DoGet ended inside chunk ${index}`);
    if (!(await entries.next()).done) throw new BlockVerificationError(cid, `DoGet ended after ${index} chunks, before the manifest's last`);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    call?.cancel();
    connection.close();
  }
}

/** The whole table over Flight, verified, as one apache-arrow Table. */
export async function readTable(cidOrName, options = {}) {
  return collectTable(fetchTable(cidOrName, options));
}

/** One block by CID over the `block` action, verified against its CID. */
export async function getBlock(cid, options = {}) {
  const parsed = toCid(cid);
  if (!parsed) throw new TypeError(`${cid} is not a CID`);
  const connection = connect(options.server, options);
  try {
    const bytes = await connection.getBlock(parsed);
    await verifyBlock(parsed, bytes);
    return bytes;
  } finally {
    connection.close();
  }
}
