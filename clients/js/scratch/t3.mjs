import * as arrow from 'apache-arrow';
import { readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { describeTable, readArrowIpc } from '../src/cid.js';
const cli = '../../artifacts/slot-jscid/bin/ArrowCid.Cli/release/arrowcid';
const root = '../../../shared/testdata/arrow-ipc-golden';
for (const dir of readdirSync(root)) for (const f of readdirSync(`${root}/${dir}`)) {
  if (!f.endsWith('.arrow_file') && !f.endsWith('.stream')) continue;
  const path = `${root}/${dir}/${f}`;
  let js, cs;
  try { const d = await describeTable(readArrowIpc(readFileSync(path))); js = `table ${d.cid} ${d.rows} ${d.bytes} ${d.chunks.length}`; } catch (e) { js = 'JSERR ' + e.message.slice(0, 100); }
  try { cs = execFileSync(cli, ['cid', path], { stdio: ['ignore', 'pipe', 'pipe'] }).toString().trim(); } catch (e) { cs = 'CSERR ' + e.stderr.toString().trim().slice(0, 150); }
  console.log(js === cs ? 'OK  ' : 'DIFF', dir, f, js === cs ? '' : `\n   js ${js}\n   cs ${cs}`);
}
