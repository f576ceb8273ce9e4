// An independent Flight client — @grpc/grpc-js loading proto/Flight.proto, apache-arrow for the
// data, multiformats for the CIDs — drives ArrowCid's Flight registry service: put, list, info,
// get with a sha-256 check of the reassembled stream against the CID, errors, auth, a 64 MiB table
// fetched chunk by chunk by a client with grpc-js's default 4 MiB receive limit (whole, and endpoint
// by endpoint) and concurrent clients. The C# test FlightNodeInteropTests starts the node (with tokens and a
// user) and sets ARROWCID_FLIGHT_TEST_URL; without it there is no node to call, so the tests skip.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';
import { tableFromArrays, tableFromIPC, tableToIPC, Message } from 'apache-arrow';
import { CID } from 'multiformats/cid';
import * as raw from 'multiformats/codecs/raw';
import { sha256 } from 'multiformats/hashes/sha2';

const serverUrl = process.env.ARROWCID_FLIGHT_TEST_URL;
const writeToken = process.env.ARROWCID_FLIGHT_WRITE_TOKEN;
const readToken = process.env.ARROWCID_FLIGHT_READ_TOKEN;
const skip = serverUrl ? false : 'ARROWCID_FLIGHT_TEST_URL is not set (run through the .NET test FlightNodeInteropTests)';
const here = path.dirname(fileURLToPath(import.meta.url));
const MiB = 1024 * 1024;

// grpc-js's own defaults (a 4 MiB receive limit) unless options are given.
function flightClient(options = {}) {
  const definition = protoLoader.loadSync(path.join(here, '../../../proto/Flight.proto'), {
    keepCase: true, longs: String, enums: String, defaults: true, oneofs: true,
  });
  const proto = grpc.loadPackageDefinition(definition);
  return new proto.arrow.flight.protocol.FlightService(new URL(serverUrl).host, grpc.credentials.createInsecure(), options);
}

// What a client sending one 64 MiB batch needs (grpc-js refuses messages over 4 MiB by default).
const largeMessages = {
  'grpc.max_receive_message_length': 256 * MiB,
  'grpc.max_send_message_length': 256 * MiB,
};

function auth(token) {
  const metadata = new grpc.Metadata();
  if (token) metadata.set('authorization', `Bearer ${token}`);
  return metadata;
}

function collect(call) {
  return new Promise((resolve, reject) => {
    const items = [];
    call.on('data', (item) => items.push(item));
    call.on('error', reject);
    call.on('end', () => resolve(items));
  });
}

function unary(client, method, request, metadata) {
  return new Promise((resolve, reject) => client[method](request, metadata, (error, response) => (error ? reject(error) : resolve(response))));
}

// Cuts an Arrow IPC stream into Flight messages: data_header is the Message flatbuffer, data_body its body.
function* ipcMessages(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  while (at + 8 <= bytes.length) {
    assert.equal(view.getUint32(at, true), 0xffffffff);
    const length = view.getInt32(at + 4, true);
    if (length === 0) return;
    const header = bytes.subarray(at + 8, at + 8 + length);
    const bodyLength = Number(Message.decode(header).bodyLength);
    yield { data_header: Buffer.from(header), data_body: Buffer.from(bytes.subarray(at + 8 + length, at + 8 + length + bodyLength)) };
    at += 8 + length + bodyLength;
  }
}

// Writes FlightData back as an IPC stream: 0xFFFFFFFF, int32 length, header, body; then end-of-stream.
function reassemble(messages) {
  const parts = [];
  for (const m of messages) {
    const prefix = Buffer.alloc(8);
    prefix.writeUInt32LE(0xffffffff, 0);
    prefix.writeInt32LE(m.data_header.length, 4);
    parts.push(prefix, m.data_header, m.data_body);
  }
  parts.push(Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]));
  return Buffer.concat(parts);
}

async function rawCid(bytes) {
  return CID.create(1, raw.code, await sha256.digest(bytes)).toString();
}

// The canonical block of every chunk in a table's DoGet: the schema message (sent once, first), then
// each chunk's dictionary messages and record batch; a chunk's block is the schema message, its
// messages and the end-of-stream marker, so it hashes to the chunk's CID.
function chunkBlocks(messages) {
  const blocks = [];
  let current = [];
  for (const m of messages.slice(1)) {
    current.push(m);
    if (Message.decode(m.data_header).isRecordBatch()) {
      blocks.push(reassemble([messages[0], ...current]));
      current = [];
    }
  }
  assert.equal(current.length, 0, 'the stream ends inside a chunk');
  return blocks;
}

// The chunks a put acknowledged, in row order: each batch's PutResult lists those it completed, the last one the rest.
function ackedChunks(results) {
  return results.flatMap((r) => r.chunks);
}

async function put(client, table, token = writeToken, tags = {}) {
  const call = client.DoPut(auth(token));
  const results = collect(call);
  const cmd = Buffer.from(JSON.stringify({ tags }));
  let first = true;
  for (const message of ipcMessages(tableToIPC(table, 'stream'))) {
    call.write(first ? { ...message, flight_descriptor: { type: 'CMD', cmd } } : message);
    first = false;
  }
  call.end();
  return (await results).map((r) => JSON.parse(Buffer.from(r.app_metadata).toString('utf8')));
}

async function get(client, cid, token = readToken) {
  return collect(client.DoGet({ ticket: Buffer.from(cid) }, auth(token)));
}

function demoTable(seed, rows = 100) {
  return tableFromArrays({
    id: Int32Array.from({ length: rows }, (_, i) => seed * 1000 + i),
    value: Float64Array.from({ length: rows }, (_, i) => (seed + i) / 4),
    name: Array.from({ length: rows }, (_, i) => (i % 5 === 0 ? null : `node-${seed}-${i}`)),
  });
}

test('put, then get: the reassembled DoGet stream hashes to the CID the put acknowledged', { skip }, async () => {
  const client = flightClient();
  try {
    const table = demoTable(1);
    const results = await put(client, table, writeToken, { from: 'node' });
    assert.equal(results.length, 2);
    // The batch's acknowledgement: its rows, no chunk completed yet; the final one completes the
    // only chunk, and a one-chunk table is named by that chunk's raw CID.
    assert.deepEqual(results[0], { rows: 100, chunks: [] });
    assert.equal(results[1].chunks.length, 1);
    const { cid, rows } = results[1].chunks[0];
    assert.equal(rows, 100);
    assert.equal(results[1].dataset, cid);
    assert.match(cid, /^bafkrei/);

    const stream = reassemble(await get(client, cid));
    assert.equal(await rawCid(stream), cid);
    const back = tableFromIPC(stream);
    assert.equal(back.numRows, 100);
    assert.deepEqual(back.getChild('name').toArray(), table.getChild('name').toArray());
    assert.deepEqual(Array.from(back.getChild('value').toArray()), Array.from(table.getChild('value').toArray()));

  } finally {
    client.close();
  }
});

test('ListFlights and GetFlightInfo describe the content with a CID ticket at the node location', { skip }, async () => {
  const client = flightClient();
  try {
    const [batch] = ackedChunks(await put(client, demoTable(2), writeToken, { suite: 'list' }));
    // A one-chunk table is its chunk: one flight.
    const listed = await collect(client.ListFlights({ expression: Buffer.from(JSON.stringify({ tags: { suite: 'list' } })) }, auth(readToken)));
    assert.deepEqual(listed.map((i) => Buffer.from(i.endpoint[0].ticket.ticket).toString()), [batch.cid]);

    const info = await unary(client, 'GetFlightInfo', { type: 'PATH', path: [batch.cid] }, auth(readToken));
    assert.equal(Buffer.from(info.endpoint[0].ticket.ticket).toString(), batch.cid);
    assert.equal(info.endpoint[0].location[0].uri, serverUrl);
    assert.equal(Number(info.total_records), 100);
    assert.equal(Number(info.total_bytes), batch.bytes);
    // The schema is an encapsulated IPC Schema message apache-arrow decodes.
    const schema = Buffer.from(info.schema);
    assert.equal(schema.readUInt32LE(0), 0xffffffff);
    const decoded = Message.decode(schema.subarray(8, 8 + schema.readInt32LE(4)));
    assert.deepEqual(decoded.header().fields.map((f) => f.name), ['id', 'value', 'name']);
  } finally {
    client.close();
  }
});

test('unknown CIDs are NOT_FOUND, malformed tickets INVALID_ARGUMENT', { skip }, async () => {
  const client = flightClient();
  try {
    const unknown = await rawCid(randomBytes(32));
    await assert.rejects(get(client, unknown), (e) => e.code === grpc.status.NOT_FOUND);
    await assert.rejects(unary(client, 'GetFlightInfo', { type: 'PATH', path: [unknown] }, auth(readToken)), (e) => e.code === grpc.status.NOT_FOUND);
    await assert.rejects(get(client, 'not-a-cid'), (e) => e.code === grpc.status.INVALID_ARGUMENT);
    await assert.rejects(collect(client.ListFlights({ expression: Buffer.from('{oops') }, auth(readToken))), (e) => e.code === grpc.status.INVALID_ARGUMENT);
  } finally {
    client.close();
  }
});

test('no token is UNAUTHENTICATED, a read token writing is PERMISSION_DENIED', { skip }, async () => {
  const client = flightClient();
  try {
    await assert.rejects(collect(client.ListFlights({ expression: Buffer.alloc(0) }, auth(null))), (e) => e.code === grpc.status.UNAUTHENTICATED);
    await assert.rejects(put(client, demoTable(3), readToken), (e) => e.code === grpc.status.PERMISSION_DENIED);
    await assert.rejects(put(client, demoTable(3), 'forged'), (e) => e.code === grpc.status.UNAUTHENTICATED);
  } finally {
    client.close();
  }
});

test('Basic credentials in a Handshake are exchanged for a bearer token that works', { skip }, async () => {
  const client = flightClient();
  try {
    const metadata = new grpc.Metadata();
    metadata.set('authorization', `Basic ${Buffer.from('node:interop').toString('base64')}`);
    const call = client.Handshake(metadata);
    const headers = new Promise((resolve) => call.on('metadata', resolve));
    const done = collect(call);
    call.end();
    await done;
    const bearer = (await headers).get('authorization')[0];
    assert.match(bearer, /^Bearer .+/);
    const results = await put(client, demoTable(4), bearer.slice('Bearer '.length));
    assert.equal(results.length, 2);
  } finally {
    client.close();
  }
});

// One 64 MiB table put as one batch, shared by the two tests below.
let largeTable;
async function putLargeTable() {
  if (!largeTable) {
    const rows = 8 * MiB;
    const values = Float64Array.from({ length: rows }, (_, i) => Math.sin(i));
    const writer = flightClient(largeMessages);
    try {
      const results = await put(writer, tableFromArrays({ v: values }));
      largeTable = { values, root: results.at(-1).dataset, chunks: ackedChunks(results) };
    } finally {
      writer.close();
    }
  }
  return largeTable;
}

function assertSmallMessages(messages) {
  assert.ok(Math.max(...messages.map((m) => m.data_header.length + m.data_body.length)) < 1.1 * MiB);
}

async function assertChunksHash(blocks, chunks) {
  assert.equal(blocks.length, chunks.length);
  for (let i = 0; i < blocks.length; i++) {
    assert.equal(await rawCid(blocks[i]), chunks[i].cid, `chunk ${i}`);
  }
}

test('a default-limit grpc-js client gets a 64 MiB table chunk by chunk, every chunk hashing to its CID', { skip }, async () => {
  const { values, root, chunks } = await putLargeTable();
  assert.match(root, /^bafyrei/);
  assert.ok(chunks.length > 64);
  assert.ok(chunks.every((c) => c.bytes <= MiB));
  const client = flightClient();
  try {
    const messages = await get(client, root);
    assertSmallMessages(messages);
    await assertChunksHash(chunkBlocks(messages), chunks);
    // apache-arrow reads the DoGet stream as the producer's rows.
    const back = tableFromIPC(reassemble(messages));
    assert.equal(back.numRows, values.length);
    assert.ok(Buffer.from(back.getChild('v').toArray().buffer).equals(Buffer.from(values.buffer)));
  } finally {
    client.close();
  }
});

test('the 64 MiB table\'s FlightInfo endpoints, fetched one by one by a default-limit client, make up the table', { skip }, async () => {
  const { root, chunks } = await putLargeTable();
  const client = flightClient();
  try {
    const info = await unary(client, 'GetFlightInfo', { type: 'PATH', path: [root] }, auth(readToken));
    assert.equal(info.ordered, true);
    assert.equal(Number(info.total_bytes), chunks.reduce((sum, c) => sum + c.bytes, 0));
    const blocks = [];
    for (const endpoint of info.endpoint) {
      assert.ok(Buffer.from(endpoint.ticket.ticket).toString().startsWith(root));
      const messages = await collect(client.DoGet(endpoint.ticket, auth(readToken)));
      assertSmallMessages(messages);
      blocks.push(...chunkBlocks(messages));
    }
    await assertChunksHash(blocks, chunks);
  } finally {
    client.close();
  }
});

test('concurrent clients put and get distinct content', { skip }, async () => {
  const clients = Array.from({ length: 8 }, () => flightClient());
  try {
    await Promise.all(clients.map(async (client, i) => {
      const [batch] = ackedChunks(await put(client, demoTable(100 + i, 500)));
      for (let round = 0; round < 3; round++) {
        assert.equal(await rawCid(reassemble(await get(client, batch.cid))), batch.cid);
      }
    }));
  } finally {
    clients.forEach((c) => c.close());
  }
});
