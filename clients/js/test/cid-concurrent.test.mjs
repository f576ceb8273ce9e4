// cidOf reuses memory between tables (scratch blocks, per-row facts, the block buffer): tables named
// at the same time, their chunks interleaving at every await, get the CIDs they get one at a time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeTable, rawCid } from '../src/index.js';
import { randomTable } from './helpers/random-table.mjs';
import { mixedTable } from './helpers/mixed-table.mjs';

test('tables described concurrently get the CIDs and blocks they get one at a time', async () => {
  const tables = [mixedTable(42, 40000), mixedTable(7, 25000), randomTable(3), randomTable(11)];
  const one = [];
  for (const t of tables) one.push(await describeTable(t, { blocks: true }));
  const together = await Promise.all(tables.map((t) => describeTable(t, { blocks: true })));
  for (const [i, d] of together.entries()) {
    assert.equal(d.cid.toString(), one[i].cid.toString(), `table ${i}`);
    for (const [cid, bytes] of one[i].blocks) assert.deepEqual(d.blocks.get(cid), bytes, `table ${i} block ${cid}`);
    // Each kept chunk block still holds the bytes its CID names (the encoder reuses its buffer).
    for (const chunk of d.chunks) assert.equal((await rawCid(d.blocks.get(chunk.cid.toString()))).toString(), chunk.cid.toString());
  }
  assert.ok(one[0].chunks.length > 1, 'the first table is chunked');
});
