import { mixedTable } from '../test/helpers/mixed-table.mjs';
import { describeTable } from '../src/cid.js';
import { readFileSync } from 'node:fs';
const v = JSON.parse(readFileSync('../../tests/ArrowCid.Content.Tests/Chunking/chunking-vectors.json'));
for (const t of v.tables) {
  let t0 = Date.now();
  const table = mixedTable(t.seed, t.rows);
  let t1 = Date.now();
  const d = await describeTable(table);
  console.log(t.name, d.cid.toString() === t.root, d.cid.toString(), t.root, d.chunks.length, t.chunks.length, t1-t0, Date.now()-t1);
  for (let i = 0; i < Math.min(d.chunks.length, t.chunks.length); i++) {
    const a = d.chunks[i], b = t.chunks[i];
    if (a.cid.toString() !== b.cid || a.rows !== b.rows) { console.log('first diff', i, a.firstRow, a.rows, a.bytes, a.cid.toString(), b); break; }
  }
}
