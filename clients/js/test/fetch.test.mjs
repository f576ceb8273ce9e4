// fetchTable/readTable against a node of our own: small and multi-chunk tables, names, versions,
// a block that does not verify, breaking out early.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { fetchTable, fetchChunks, decodeChunk, readTable, versions, ArrowCidError, BlockVerificationError, GatewayError, TableWalkLimitError } from '../src/index.js';
import { findCli, cliOrSkip } from './helpers/cli.mjs';
import { nodeForTests, blockPath, putFile } from './helpers/node.mjs';
import { makeTable, writeStream, rowsOf } from './helpers/tables.mjs';

// No test may hang CI: a node that stops answering fails the test instead.
const LIMIT = { timeout: 240_000 };


const f = nodeForTests({
  args: [],
  tables: {
    small: [makeTable(100, 3), ['--name', 'small']],
    big: [makeTable(400_000, 5), ['--name', 'big']], // about 12 MiB: a manifest tree of many chunks
    v2: [makeTable(150, 9), ['--name', 'small']],
  },
});

test('a one-chunk table comes back with the rows put', LIMIT, async (t) => {
  if (!cliOrSkip(t)) return;
  const table = await readTable(f.put.smallResult.cid, { gateway: f.node.gateway });
  assert.equal(table.numRows, 100);
  assert.deepEqual(rowsOf(table), rowsOf(f.put.small));
});

test('a multi-chunk table streams its batches in row order, verified', LIMIT, async (t) => {
  if (!cliOrSkip(t)) return;
  assert.match(f.put.bigResult.cid, /^bafyrei/);
  const batches = [];
  for await (const batch of fetchTable(f.put.bigResult.cid, { gateway: f.node.gateway, concurrency: 4 })) batches.push(batch);
  assert.ok(batches.length > 5, `${batches.length} batches`);
  assert.equal(batches.reduce((n, b) => n + b.numRows, 0), 400_000);
  assert.deepEqual(rowsOf(batches), rowsOf(f.put.big));
});

test('fetchChunks yields the verified chunk blocks in row order, bytes that decodeChunk reads', LIMIT, async (t) => {
  if (!cliOrSkip(t)) return;
  const batches = [];
  let chunks = 0;
  for await (const { entry, bytes } of fetchChunks(f.put.bigResult.cid, { gateway: f.node.gateway, concurrency: 3 })) {
    assert.ok(bytes instanceof Uint8Array);
    assert.equal(bytes.length, entry.bytes, 'the length the manifest gives');
    const decoded = decodeChunk(entry, bytes);
    assert.equal(decoded.reduce((n, b) => n + b.numRows, 0), entry.rows, 'the rows the manifest gives');
    batches.push(...decoded);
    chunks++;
  }
  assert.ok(chunks > 5, `${chunks} chunks`);
  assert.deepEqual(rowsOf(batches), rowsOf(f.put.big));
});

test('a table naming more chunks than maxChunks stops at the limit, naming the table', LIMIT, async (t) => {
  if (!cliOrSkip(t)) return;
  let yielded = 0;
  await assert.rejects(async () => {
    for await (const _ of fetchChunks(f.put.bigResult.cid, { gateway: f.node.gateway, maxChunks: 3 })) yielded++;
  }, (e) => e instanceof TableWalkLimitError && e.cid === f.put.bigResult.cid && e.limit === 3 && /more than 3 chunks/.test(e.message));
  assert.ok(yielded <= 3, `${yielded} chunks before the error`);
  await assert.rejects(readTable(f.put.bigResult.cid, { gateway: f.node.gateway, maxChunks: 2 }), TableWalkLimitError);
  // At the table's own count it passes.
  const table = await readTable(f.put.bigResult.cid, { gateway: f.node.gateway, maxChunks: f.put.bigResult.chunks.length });
  assert.equal(table.numRows, 400_000);
});

test('decodeChunk refuses a chunk whose rows are not its entry\'s, naming it', LIMIT, async (t) => {
  if (!cliOrSkip(t)) return;
  for await (const { entry, bytes } of fetchChunks(f.put.smallResult.cid, { gateway: f.node.gateway })) {
    assert.throws(() => decodeChunk({ ...entry, rows: 99 }, bytes), (e) => e instanceof BlockVerificationError && e.cid === entry.cid.toString() && /100 rows where the manifest says 99/.test(e.message));
  }
});

test('names resolve to their latest or a given version', LIMIT, async (t) => {
  if (!cliOrSkip(t)) return;
  const listing = await versions('small', { gateway: f.node.gateway });
  assert.equal(listing.latest, 2);
  assert.deepEqual(listing.versions.map((v) => v.cid), [f.put.smallResult.cid, f.put.v2Result.cid]);
  assert.deepEqual(rowsOf(await readTable('small', { gateway: f.node.gateway })), rowsOf(f.put.v2));
  assert.deepEqual(rowsOf(await readTable('small@1', { gateway: f.node.gateway })), rowsOf(f.put.small));
  await assert.rejects(readTable('no-such-name', { gateway: f.node.gateway }), (e) => e instanceof GatewayError && e.status === 404);
  await assert.rejects(readTable('small@9', { gateway: f.node.gateway }), (e) => e instanceof ArrowCidError && /small has no version 9/.test(e.message));
});

test('breaking out of the loop stops the fetch', LIMIT, async (t) => {
  if (!cliOrSkip(t)) return;
  const requested = [];
  const countingFetch = (url, init) => {
    requested.push(String(url));
    return fetch(url, init);
  };
  let seen = 0;
  for await (const batch of fetchTable('big', { gateway: f.node.gateway, concurrency: 2, fetch: countingFetch })) {
    seen += batch.numRows;
    break;
  }
  assert.ok(seen > 0 && seen < 400_000);
  const chunkRequests = requested.filter((u) => u.includes('/ipfs/bafkrei')).length;
  // The first chunk and at most `concurrency` more were asked for, of 23.
  assert.ok(chunkRequests <= 3, `${chunkRequests} chunk requests`);
  assert.ok(f.put.bigResult.chunks.length > 10);
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
  const victim = f.put.bigResult.chunks[3].cid;
  const proxy = await tamperingProxy(f.node.gateway, victim);
  try {
    await assert.rejects(readTable(f.put.bigResult.cid, { gateway: proxy.url }), (e) => {
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
  const proxy = await tamperingProxy(f.node.gateway, f.put.bigResult.cid);
  try {
    await assert.rejects(readTable(f.put.bigResult.cid, { gateway: proxy.url }), (e) => e instanceof BlockVerificationError && e.cid === f.put.bigResult.cid);
  } finally {
    await proxy.close();
  }
});

test('a block corrupted on the node\'s disk is refused, naming that block', LIMIT, async (t) => {
  if (!cliOrSkip(t)) return;
  // One chunk over the repository's pack threshold (64 KiB: smaller blocks live in pack files),
  // so the block has a file of its own to damage.
  const table = makeTable(2600, 77);
  const result = await putFile(findCli(), f.node, writeStream(f.work, 'doomed.arrows', table));
  assert.equal(result.chunks.length, 1, 'the table is one chunk');
  const path = blockPath(f.node.repo, result.cid);
  const bytes = readFileSync(path);
  bytes[bytes.length >> 1] ^= 0x01;
  writeFileSync(path, bytes);
  await assert.rejects(readTable(result.cid, { gateway: f.node.gateway }), (e) => {
    assert.ok(e instanceof GatewayError, String(e));
    assert.equal(e.status, 500);
    assert.equal(e.cid, result.cid);
    return true;
  });
});
