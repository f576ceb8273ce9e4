// fetchTable/readTable against a node of our own: small and multi-chunk tables, names, versions,
// a block that does not verify, breaking out early.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fetchTable, readTable, versions, BlockVerificationError, GatewayError } from '../src/index.js';
import { findCli, cliOrSkip } from './helpers/cli.mjs';
import { startNode, blockPath, putFile } from './helpers/node.mjs';
import { makeTable, writeStream, rowsOf } from './helpers/tables.mjs';

// No test may hang CI: a node that stops answering fails the test instead.
const LIMIT = { timeout: 240_000 };

let node;
let work;
const put = {};

before(async () => {
  const cli = findCli();
  if (!cli) return;
  work = mkdtempSync(join(tmpdir(), 'arrowcid-js-fetch-'));
  node = await startNode(cli);
  put.small = makeTable(100, 3);
  put.big = makeTable(400_000, 5); // about 12 MiB: a manifest tree of many chunks
  put.v2 = makeTable(150, 9);
  put.smallResult = await putFile(cli, node, writeStream(work, 'small.arrows', put.small), ['--name', 'small']);
  put.bigResult = await putFile(cli, node, writeStream(work, 'big.arrows', put.big), ['--name', 'big']);
  put.v2Result = await putFile(cli, node, writeStream(work, 'v2.arrows', put.v2), ['--name', 'small']);
}, LIMIT);

after(async () => {
  await node?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
}, LIMIT);

test('a one-chunk table comes back with the rows put', LIMIT, async (t) => {
  if (!cliOrSkip(t)) return;
  const table = await readTable(put.smallResult.cid, { gateway: node.gateway });
  assert.equal(table.numRows, 100);
  assert.deepEqual(rowsOf(table), rowsOf(put.small));
});

test('a multi-chunk table streams its batches in row order, verified', LIMIT, async (t) => {
  if (!cliOrSkip(t)) return;
  assert.match(put.bigResult.cid, /^bafyrei/);
  const batches = [];
  for await (const batch of fetchTable(put.bigResult.cid, { gateway: node.gateway, concurrency: 4 })) batches.push(batch);
  assert.ok(batches.length > 5, `${batches.length} batches`);
  assert.equal(batches.reduce((n, b) => n + b.numRows, 0), 400_000);
  assert.deepEqual(rowsOf(batches), rowsOf(put.big));
});

test('names resolve to their latest or a given version', LIMIT, async (t) => {
  if (!cliOrSkip(t)) return;
  const listing = await versions('small', { gateway: node.gateway });
  assert.equal(listing.latest, 2);
  assert.deepEqual(listing.versions.map((v) => v.cid), [put.smallResult.cid, put.v2Result.cid]);
  assert.deepEqual(rowsOf(await readTable('small', { gateway: node.gateway })), rowsOf(put.v2));
  assert.deepEqual(rowsOf(await readTable('small@1', { gateway: node.gateway })), rowsOf(put.small));
  await assert.rejects(readTable('no-such-name', { gateway: node.gateway }), (e) => e instanceof GatewayError && e.status === 404);
});

test('breaking out of the loop stops the fetch', LIMIT, async (t) => {
  if (!cliOrSkip(t)) return;
  const requested = [];
  const countingFetch = (url, init) => {
    requested.push(String(url));
    return fetch(url, init);
  };
  let seen = 0;
  for await (const batch of fetchTable('big', { gateway: node.gateway, concurrency: 2, fetch: countingFetch })) {
    seen += batch.numRows;
    break;
  }
  assert.ok(seen > 0 && seen < 400_000);
  const chunkRequests = requested.filter((u) => u.includes('/ipfs/bafkrei')).length;
  // The first chunk and at most `concurrency` more were asked for, of 23.
  assert.ok(chunkRequests <= 3, `${chunkRequests} chunk requests`);
  assert.ok(put.bigResult.chunks.length > 10);
});

/** A proxy in front of the gateway that flips one byte of the block `victim` on its way. */
async function tamperingProxy(target, victim) {
  const server = createServer(async (req, res) => {
    const upstream = await fetch(new URL(req.url, target), { headers: { authorization: req.headers.authorization ?? '' } });
    let body = new Uint8Array(await upstream.arrayBuffer());
    if (req.url.startsWith(`/ipfs/${victim}`)) {
      body = body.slice();
      body[body.length >> 1] ^= 0x01;
    }
    res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/octet-stream' });
    res.end(body);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) };
}

test('a chunk that does not hash to its CID is an error naming that chunk', LIMIT, async (t) => {
  if (!cliOrSkip(t)) return;
  const victim = put.bigResult.chunks[3].cid;
  const proxy = await tamperingProxy(node.gateway, victim);
  try {
    await assert.rejects(readTable(put.bigResult.cid, { gateway: proxy.url }), (e) => {
      assert.ok(e instanceof BlockVerificationError, String(e));
      assert.equal(e.cid, victim);
      assert.match(e.message, new RegExp(victim));
      return true;
    });
  } finally {
    await proxy.close();
  }
});

test('a manifest root that does not hash to its CID is an error naming the root', LIMIT, async (t) => {
  if (!cliOrSkip(t)) return;
  const proxy = await tamperingProxy(node.gateway, put.bigResult.cid);
  try {
    await assert.rejects(readTable(put.bigResult.cid, { gateway: proxy.url }), (e) => e instanceof BlockVerificationError && e.cid === put.bigResult.cid);
  } finally {
    await proxy.close();
  }
});

test('a block corrupted on the node\'s disk is refused, naming that block', LIMIT, async (t) => {
  if (!cliOrSkip(t)) return;
  const table = makeTable(50, 77);
  const result = await putFile(findCli(), node, writeStream(work, 'doomed.arrows', table));
  const path = blockPath(node.repo, result.cid);
  const bytes = readFileSync(path);
  bytes[bytes.length >> 1] ^= 0x01;
  writeFileSync(path, bytes);
  await assert.rejects(readTable(result.cid, { gateway: node.gateway }), (e) => {
    assert.ok(e instanceof GatewayError, String(e));
    assert.equal(e.status, 500);
    assert.equal(e.cid, result.cid);
    return true;
  });
});
