import * as arrow from 'apache-arrow';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { canonicalBatchBytes } from '../src/cid.js';
const cli = '../../artifacts/slot-jscid/bin/ArrowCid.Cli/release/arrowcid';
const path = process.argv[2];
const line = execFileSync(cli, ['put', '--repo', '/tmp/jscid/repo', path]).toString().trim().split(' ');
const cs = execFileSync(cli, ['get', '--repo', '/tmp/jscid/repo', line[1], '-o', '-']);
const js = canonicalBatchBytes(arrow.tableFromIPC(readFileSync(path)));
console.log(cs.length, js.length);
let first = -1; for (let i = 0; i < Math.max(cs.length, js.length); i++) if (cs[i] !== js[i]) { first = i; break; }
console.log('first diff', first, first.toString(16));
const hx = (b, a) => Buffer.from(b.subarray(a, a + 160)).toString('hex').replace(/(.{16})/g, '$1 ');
if (first >= 0) { const a = Math.max(0, (first & ~15) - 96); console.log('cs', hx(cs, a)); console.log('js', hx(js, a)); }
const diffs = []; for (let i = 0; i < cs.length; i++) if (cs[i] !== js[i]) diffs.push(i);
console.log('diffs', diffs.length, diffs.slice(0, 80).map(x => x.toString(16)).join(' '));
console.log('cs', hx(cs, 0x130).slice(0, 400)); console.log('js', hx(js, 0x130).slice(0,400));
console.log('cs', Buffer.from(cs.subarray(0, 0x300)).toString('latin1').replace(/[^\x20-\x7e]/g, '.'));
console.log('js', Buffer.from(js.subarray(0, 0x300)).toString('latin1').replace(/[^\x20-\x7e]/g, '.'));
const { dump } = await import('./fbdump.mjs');
const a = dump(cs), b = dump(js);
for (let i = 0; i < a.length; i++) console.log(a[i] === b[i] ? '  ' : '!!', a[i], a[i] === b[i] ? '' : '\n   js ' + b[i]);
