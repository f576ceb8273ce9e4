// putTable, listTables, versions, tokens and subscribe against a node of our own that requires tokens.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { putTable, listTables, allTables, readTable, versions, subscribe, GatewayError } from '../src/index.js';
import { findCli, cliOrSkip } from './helpers/cli.mjs';
import { startNode } from './helpers/node.mjs';
import { makeTable, rowsOf } from './helpers/tables.mjs';

// No test may hang CI: a node that stops answering fails the test instead.
const LIMIT = { timeout: 240_000 };

const WRITER = 'writer-token';
const READER = 'reader-token';
let node;
let gw;

before(async () => {
  const cli = findCli();
  if (!cli) return;
  node = await startNode(cli, { args: ['--token', `${WRITER}:write`, '--token', `${READER}:read`] });
  gw = { gateway: node.gateway };
}, LIMIT);

after(async () => {
  await node?.stop();
}, LIMIT);

test('tokens: 401 without one, 403 for a reader putting, the writer puts and the reader reads', LIMIT, async (t) => {
  if (!cliOrSkip(t)) return;
  const table = makeTable(200, 11);
  await assert.rejects(putTable(table, gw), (e) => e instanceof GatewayError && e.status === 401);
  await assert.rejects(putTable(table, { ...gw, token: READER }), (e) => e instanceof GatewayError && e.status === 403);
  const result = await putTable(table, { ...gw, token: WRITER, name: 'tokens/t', tags: { team: 'a' } });
  assert.equal(result.table.rows, 200);
  assert.equal(result.chunks.length, result.table.chunks);
  assert.equal(result.name, 'tokens/t');
  assert.equal(result.version, 1);
  await assert.rejects(readTable(result.table.cid, gw), (e) => e instanceof GatewayError && e.status === 401);
  assert.deepEqual(rowsOf(await readTable('tokens/t', { ...gw, token: READER })), rowsOf(table));
});

test('a put of several MiB is chunked and reads back equal; its name has versions', LIMIT, async (t) => {
  if (!cliOrSkip(t)) return;
  const v1 = makeTable(200_000, 21);
  const v2 = makeTable(200_100, 21);
  const first = await putTable(v1, { ...gw, token: WRITER, name: 'sensors' });
  const second = await putTable(v2, { ...gw, token: WRITER, name: 'sensors' });
  assert.ok(first.table.chunks > 1, `${first.table.chunks} chunks`);
  assert.deepEqual(first.chunks.map((c) => typeof c.cid), Array(first.table.chunks).fill('string'));
  assert.equal(second.version, 2);
  assert.equal(second.version_added, true);
  const unchanged = await putTable(v2, { ...gw, token: WRITER, name: 'sensors' });
  assert.deepEqual([unchanged.version, unchanged.version_added], [2, false]);
  const listing = await versions('sensors', { ...gw, token: READER });
  assert.deepEqual(listing.versions.map((v) => [v.version, v.cid]), [[1, first.table.cid], [2, second.table.cid]]);
  assert.deepEqual(rowsOf(await readTable('sensors@1', { ...gw, token: READER })), rowsOf(v1));
  assert.deepEqual(rowsOf(await readTable('sensors', { ...gw, token: READER })), rowsOf(v2));
  const forced = await putTable(v2, { ...gw, token: WRITER, name: 'sensors', forceVersion: true });
  assert.deepEqual([forced.version, forced.version_added, forced.table.cid], [3, true, second.table.cid]);
});

test('listTables pages with next/after; allTables follows every page', LIMIT, async (t) => {
  if (!cliOrSkip(t)) return;
  const cids = [];
  for (let i = 0; i < 5; i++) cids.push((await putTable(makeTable(10 + i, 100 + i), { ...gw, token: WRITER, tags: { run: 'paging' } })).table.cid);
  const pages = [];
  let after;
  do {
    const page = await listTables({ ...gw, token: READER, tag: 'run=paging', limit: 2, after });
    pages.push(page.items.map((item) => item.cid));
    after = page.next;
  } while (after);
  assert.deepEqual(pages.map((p) => p.length), [2, 2, 1]);
  assert.deepEqual(pages.flat(), cids);
  const all = [];
  for await (const item of allTables({ ...gw, token: READER, tags: { run: 'paging' }, limit: 3 })) all.push(item.cid);
  assert.deepEqual(all, cids);
  const none = await listTables({ ...gw, token: READER, tag: 'run=nothing' });
  assert.deepEqual(none.items, []);
  assert.equal(none.next, undefined);
});

/** Waits for `count` changes delivered to the array, or fails after a generous bound. */
function waitFor(received, count) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = setInterval(() => {
      if (received.length >= count) {
        clearInterval(poll);
        resolve();
      } else if (Date.now() - started > 60_000) {
        clearInterval(poll);
        reject(new Error(`only ${received.length} of ${count} changes arrived`));
      }
    }, 20);
  });
}

test('subscribe sees a new table and resumes after the last event ID', LIMIT, async (t) => {
  if (!cliOrSkip(t)) return;
  const received = [];
  const subscription = subscribe({ ...gw, token: READER, tags: { feed: 'x' }, changes: ['versioned'] }, (change) => received.push(change));
  // The feed starts after the newest change once connected: put until the subscription has seen one.
  const first = await putUntilSeen(received, 'feed/a');
  subscription.stop();
  await subscription.closed;
  assert.equal(received.at(-1).cid, first.table.cid);
  assert.equal(received.at(-1).name, 'feed/a');
  const resumeFrom = subscription.lastEventId;
  assert.equal(resumeFrom, String(received.at(-1).sequence));

  const missed = await putTable(makeTable(30, 31), { ...gw, token: WRITER, name: 'feed/b', tags: { feed: 'x' } });
  const resumed = [];
  const again = subscribe({ ...gw, token: READER, tags: { feed: 'x' }, changes: ['versioned'], lastEventId: resumeFrom }, (change) => resumed.push(change));
  await waitFor(resumed, 1);
  again.stop();
  await again.closed;
  assert.equal(resumed[0].cid, missed.table.cid);
  assert.equal(resumed[0].version, 1);
  assert.ok(Number(resumed[0].id) > Number(resumeFrom));
});

async function putUntilSeen(received, name) {
  for (let attempt = 0; attempt < 100; attempt++) {
    const before = received.length;
    const result = await putTable(makeTable(20, 300 + attempt), { ...gw, token: WRITER, name, tags: { feed: 'x' } });
    await new Promise((r) => setTimeout(r, 100));
    if (received.length > before && received.at(-1).cid === result.table.cid) return result;
  }
  throw new Error('the subscription saw none of 100 puts');
}

test('subscribe without a token is refused (closed rejects with 401)', LIMIT, async (t) => {
  if (!cliOrSkip(t)) return;
  const subscription = subscribe({ ...gw }, () => {});
  await assert.rejects(subscription.closed, (e) => e instanceof GatewayError && e.status === 401);
});

/** A proxy for the event feed that records each request's Last-Event-ID and ends the first connection after its first event. */
async function cuttingProxy(target) {
  const lastEventIds = [];
  let connections = 0;
  const server = createServer(async (req, res) => {
    connections++;
    const cut = connections === 1;
    lastEventIds.push(req.headers['last-event-id']);
    const upstream = await fetch(new URL(req.url, target), {
      headers: { authorization: req.headers.authorization ?? '', accept: 'text/event-stream', ...(req.headers['last-event-id'] ? { 'last-event-id': req.headers['last-event-id'] } : {}) },
    });
    res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'text/plain' });
    const reader = upstream.body.getReader();
    let seen = '';
    res.on('close', () => reader.cancel().catch(() => {}));
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ done: true }));
      if (done) break;
      res.write(value);
      seen += Buffer.from(value).toString('utf8');
      if (cut && /\ndata: .*\n\n/.test(seen)) {
        // Ended cleanly after the first event, so the client has surely read it: it must resume after it.
        res.end();
        reader.cancel().catch(() => {});
        return;
      }
    }
    res.end();
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    lastEventIds,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }),
  };
}

test('a feed that ends reconnects with Last-Event-ID and loses nothing', LIMIT, async (t) => {
  if (!cliOrSkip(t)) return;
  const proxy = await cuttingProxy(node.gateway);
  const received = [];
  const errors = [];
  const start = await putTable(makeTable(5, 401), { ...gw, token: WRITER, name: 'drop/a', tags: { drop: 'y' } });
  const subscription = subscribe(
    { gateway: proxy.url, token: READER, tags: { drop: 'y' }, changes: ['versioned'], lastEventId: 0, onError: (e) => errors.push(e) },
    (change) => received.push(change),
  );
  try {
    await waitFor(received, 1);
    assert.equal(received[0].cid, start.table.cid);
    const next = await putTable(makeTable(6, 402), { ...gw, token: WRITER, name: 'drop/b', tags: { drop: 'y' } });
    await waitFor(received, 2);
    assert.equal(received[1].cid, next.table.cid);
    assert.equal(received.length, 2);
    assert.ok(proxy.lastEventIds.length >= 2);
    assert.equal(proxy.lastEventIds[0], '0');
    assert.equal(proxy.lastEventIds[1], received[0].id);
  } finally {
    subscription.stop();
    await subscription.closed;
    await proxy.close();
  }
});
