import * as arrow from 'apache-arrow';
import { KINDS, randomTable } from '../test/helpers/random-table.mjs';
import { describeTable } from '../src/index.js';
for (const k of KINDS) {
  try { const t = randomTable(1, { rows: 30, kinds: [k] }); const d = await describeTable(t); 
    const ipc = arrow.tableToIPC(new arrow.Table(t.schema, t.batches), 'stream');
    console.log('ok', k[0], d.cid.toString().slice(0, 20), ipc.length); }
  catch (e) { console.log('FAIL', k[0], e.message.slice(0, 150)); }
}
