// CPU-time comparison (the machine is loaded): cidOf vs node SHA-256 of the same bytes.
import { createHash } from 'node:crypto';
import { describeTable, cidOf } from '../src/index.js';
import { mixedTable } from '../test/helpers/mixed-table.mjs';
const t = mixedTable(3, 200000, 50000);
const d = await describeTable(t, { blocks: true });
const blocks = [...d.blocks.values()].slice(0, d.chunks.length);
let c0 = process.cpuUsage(); for (let i = 0; i < 5; i++) { const h = createHash('sha256'); for (const b of blocks) h.update(b); h.digest(); } const sha = process.cpuUsage(c0).user / 5;
c0 = process.cpuUsage(); for (let i = 0; i < 3; i++) await cidOf(t); const cid = process.cpuUsage(c0).user / 3;
console.log('bytes', d.bytes, 'sha ms', (sha/1000).toFixed(1), 'cid ms', (cid/1000).toFixed(1), 'ratio', (sha/cid).toFixed(3));
