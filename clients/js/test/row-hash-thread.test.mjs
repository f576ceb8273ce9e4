// The row-hash thread (src/chunking/row-hash-thread.js) hashes a big table's batches one ahead of
// the main thread: tables of every type it takes get the chunk boundaries, blocks and CIDs they get
// with their rows hashed on one thread, alone and described at the same time; tables with unions
// (whose hashing reads the kernel's results back) stay on the main thread and keep theirs too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describeTable } from '../src/index.js';
import { rowHashThread } from '../src/chunking/row-hash-thread.js';
import { mixedTable } from './helpers/mixed-table.mjs';
import { KINDS, randomTable } from './helpers/random-table.mjs';

const noUnions = KINDS.filter(([name]) => !name.includes('union'));
const unions = KINDS.filter(([name]) => name.includes('union'));

const summary = (d) => ({ cid: d.cid.toString(), chunks: d.chunks.map((c) => [c.firstRow, c.rows, c.cid.toString()]) });

test('rows hashed by the row-hash thread give the boundaries and CIDs of rows hashed on one thread', async () => {
  const tables = [
    mixedTable(5, 40000, 4000),
    randomTable(21, { rows: 12000, kinds: noUnions }),
    randomTable(22, { rows: 12000, kinds: noUnions }),
    randomTable(23, { rows: 6000, kinds: [...unions, noUnions[0]] }),
  ];
  // Fewer rows than start the thread: these are hashed on this thread.
  assert.equal(rowHashThread(0), null, 'the thread is not started before');
  const alone = [];
  for (const t of tables) alone.push(summary(await describeTable(t)));
  assert.equal(rowHashThread(0), null, 'these tables were hashed on this thread');

  const thread = rowHashThread();
  assert.ok(thread, 'Node 20+ has worker_threads and SharedArrayBuffer');
  for (let i = 0; i < 500 && !thread.usable; i++) await sleep(10);
  assert.ok(thread.usable, 'the row-hash thread came up');
  for (const [i, t] of tables.entries()) {
    const before = thread.batches;
    assert.deepEqual(summary(await describeTable(t)), alone[i], `table ${i}`);
    if (i < 3) assert.equal(thread.batches - before, t.batches.filter((b) => b.numRows > 0).length - 1, `table ${i}: every batch after the first went to the thread`);
    else assert.equal(thread.batches, before, 'a table with unions stays on this thread');
  }
  assert.ok(alone[0].chunks.length > 3 && tables[1].batches.length > 2, 'the tables are chunked and in batches');
  // At the same time: their batches interleave on the one worker.
  const together = await Promise.all(tables.map((t) => describeTable(t)));
  for (const [i, d] of together.entries()) assert.deepEqual(summary(d), alone[i], `table ${i}, described together`);
});
