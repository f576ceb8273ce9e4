// Verified fetch over Flight DoGet (Node, grpc-js) against a node of our own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { fetchTable, readTable, getBlock, connect, FlightError } from '@arrowcid/client/flight';
import { openTable, toCid } from '../src/manifest.js';
import { BlockVerificationError, TableWalkLimitError } from '@arrowcid/client';
import { findCli, cliOrSkip } from './helpers/cli.mjs';
import { nodeForTests } from './helpers/node.mjs';
import { makeTable, rowsOf } from './helpers/tables.mjs';

// No test may hang CI: a node that stops answering fails the test instead.
const LIMIT = { timeout: 240_000 };

const TOKEN = 'flight-token';

const f = nodeForTests({
  args: ['--token', `${TOKEN}:read`],
  tables: {
    small: [makeTable(70, 41), ['--name', 'f/small']],
    big: [makeTable(300_000, 43), ['--name', 'f/big']],
  },
});

test('DoGet of a one-chunk table, by CID, is verified and equal to the rows put', LIMIT, async (t) => {
  if (!cliOrSkip(t)) return;
  const table = await readTable(f.put.smallResult.cid, { server: f.node.flight, token: TOKEN });
  assert.deepEqual(rowsOf(table), rowsOf(f.put.small));
});

test('DoGet of a multi-chunk table by name: every chunk rebuilt and checked against the tree', LIMIT, async (t) => {
  if (!cliOrSkip(t)) return;
  assert.ok(f.put.bigResult.chunks.length > 5);
  const batches = [];
  for await (const batch of fetchTable('f/big', { server: f.node.flight, token: TOKEN })) batches.push(batch);
  assert.equal(batches.length, f.put.bigResult.chunks.length);
  assert.deepEqual(rowsOf(batches), rowsOf(f.put.big));
  assert.deepEqual(rowsOf(await readTable('f/big@1', { server: f.node.flight, token: TOKEN })), rowsOf(f.put.big));
});

test('over Flight too a table naming more chunks than maxChunks is refused, naming it', LIMIT, async (t) => {
  if (!cliOrSkip(t)) return;
  await assert.rejects(readTable(f.put.bigResult.cid, { server: f.node.flight, token: TOKEN, maxChunks: 2 }), (e) => e instanceof TableWalkLimitError && e.cid === f.put.bigResult.cid && e.limit === 2);
});

test('the block action gives blocks verified against their CIDs', LIMIT, async (t) => {
  if (!cliOrSkip(t)) return;
  const bytes = await getBlock(f.put.bigResult.cid, { server: f.node.flight, token: TOKEN });
  assert.ok(bytes.length > 0);
});

test('without the token the node answers UNAUTHENTICATED', LIMIT, async (t) => {
  if (!cliOrSkip(t)) return;
  await assert.rejects(readTable(f.put.smallResult.cid, { server: f.node.flight }), (e) => e instanceof FlightError && e.code === grpc.status.UNAUTHENTICATED);
});

/**
 * A Flight proxy that forwards DoGet and DoAction as raw bytes and flips the last byte of the
 * `victim`-th FlightData of every DoGet (the end of that message's body).
 */
async function tamperingFlightProxy(target, victim) {
  const identity = (b) => b;
  const upstream = new grpc.Client(target.replace(/^grpc\+tcp:\/\//, ''), grpc.credentials.createInsecure());
  const forward = (method, tamper) => (call) => {
    const up = upstream.makeServerStreamRequest(`/arrow.flight.protocol.FlightService/${method}`, identity, identity, call.request, call.metadata, {});
    let index = 0;
    up.on('data', (message) => {
      const out = tamper && index++ === victim ? Buffer.from(message) : message;
      if (out !== message) out[out.length - 1] ^= 0x01;
      call.write(out);
    });
    up.on('end', () => call.end());
    up.on('error', (error) => call.destroy(error));
    call.on('cancelled', () => up.cancel());
  };
  const method = (name) => ({ path: `/arrow.flight.protocol.FlightService/${name}`, requestStream: false, responseStream: true, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity });
  const server = new grpc.Server();
  server.addService({ DoGet: method('DoGet'), DoAction: method('DoAction') }, { DoGet: forward('DoGet', true), DoAction: forward('DoAction', false) });
  const port = await new Promise((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  return { url: `grpc+tcp://127.0.0.1:${port}`, close: () => { upstream.close(); server.forceShutdown(); } };
}

test('a DoGet message altered on the way is an error naming the chunk it belongs to', LIMIT, async (t) => {
  if (!cliOrSkip(t)) return;
  // Message 0 is the schema; each chunk of this table is a dictionary (label) and a record batch, so message 4 is chunk 1's batch.
  const proxy = await tamperingFlightProxy(f.node.flight, 4);
  try {
    // The one-chunk table's stream has no message 4: through the proxy it arrives untouched.
    assert.deepEqual(rowsOf(await readTable(f.put.smallResult.cid, { server: proxy.url, token: TOKEN })), rowsOf(f.put.small));
    await assert.rejects(readTable(f.put.bigResult.cid, { server: proxy.url, token: TOKEN }), (e) => {
      assert.ok(e instanceof BlockVerificationError, String(e));
      assert.equal(e.cid, f.put.bigResult.chunks[1].cid);
      return true;
    });
  } finally {
    proxy.close();
  }
});

test('a block action that lies about a tree node is an error naming the node', LIMIT, async (t) => {
  if (!cliOrSkip(t)) return;
  // A node that serves the small table's chunk in place of the big table's root: it does not hash to the root's CID.
  const real = connect(f.node.flight, { token: TOKEN });
  const chunk = await real.getBlock(f.put.smallResult.cid);
  real.close();
  await assert.rejects(openTable(toCid(f.put.bigResult.cid), async () => chunk), (e) => e instanceof BlockVerificationError && e.cid === f.put.bigResult.cid);
});
