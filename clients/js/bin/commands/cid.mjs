// arrowcid-js cid FILE... [--json]: one line per input, `table <cid> <rows> <bytes> <chunks>`,
// exactly as `arrowcid cid` prints them (docs/cli.md); "-" reads standard input.

import { readFile } from 'node:fs/promises';
import { describeTable, readArrowIpc } from '../../src/index.js';

async function readInput(path) {
  if (path !== '-') return readFile(path);
  const parts = [];
  for await (const part of process.stdin) parts.push(part);
  return Buffer.concat(parts);
}

function reason(path, e) {
  if (e?.code === 'ENOENT') return `${path}: no such file`;
  if (e?.code === 'EISDIR') return `${path}: is a directory`;
  return `${path}: ${e?.message ?? e}`;
}

export async function run(args) {
  const json = args.includes('--json');
  const inputs = args.filter((a) => a !== '--json');
  const unknown = inputs.find((a) => a.startsWith('--'));
  if (inputs.length === 0 || unknown !== undefined) {
    process.stderr.write(unknown !== undefined ? `arrowcid-js cid: unknown option '${unknown}'\n` : 'arrowcid-js cid: at least one FILE is required\n');
    process.stderr.write('usage: arrowcid-js cid FILE... [--json]\n');
    return 2;
  }
  const results = [];
  for (const path of inputs) {
    let table;
    try {
      table = await describeTable(readArrowIpc(await readInput(path)));
    } catch (e) {
      if (json && results.length > 0) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
      process.stderr.write(`arrowcid-js: ${reason(path, e)}\n`);
      return 1;
    }
    if (json) {
      results.push({
        input: path,
        table: { cid: table.cid.toString(), rows: table.rows, bytes: table.bytes, chunks: table.chunks.length, manifest_bytes: table.manifestBytes },
        chunks: table.chunks.map((c) => ({ cid: c.cid.toString(), rows: c.rows, bytes: c.bytes })),
      });
    } else {
      process.stdout.write(`table ${table.cid} ${table.rows} ${table.bytes} ${table.chunks.length}\n`);
    }
  }
  if (json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  return 0;
}
