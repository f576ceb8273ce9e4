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

// What the first bytes say the input is, when it is not Arrow IPC: the JS client reads Arrow IPC
// only, and a decoder's error ("Expected to read 1936614771 metadata bytes") says nothing useful.
export function notArrowIpc(bytes) {
  const head = bytes.subarray(0, 8);
  const text = (s) => head.length >= s.length && [...s].every((c, i) => head[i] === c.charCodeAt(0));
  if (text('PAR1')) return 'this is a Parquet file';
  if (text('ARROW1') || head.length === 0) return null;
  if (head.length >= 4 && head[0] === 0xff && head[1] === 0xff && head[2] === 0xff && head[3] === 0xff) return null;
  if (head.length >= 4) {
    const length = head[0] | (head[1] << 8) | (head[2] << 16) | (head[3] << 24);
    if (length > 0 && length < 1 << 24) return null;
  }
  return head.every((b) => b === 9 || b === 10 || b === 13 || (b >= 32 && b < 127)) ? 'this looks like text (CSV?)' : 'this is not Arrow IPC (a stream or a file)';
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
      const bytes = await readInput(path);
      const found = notArrowIpc(bytes);
      if (found !== null) {
        throw new Error(`${found}; arrowcid-js reads Arrow IPC files and streams only: \`arrowcid cid ${path}\` names CSV and Parquet, and \`arrowcid ipc convert ${path} out.arrows\` converts them`);
      }
      table = await describeTable(readArrowIpc(bytes));
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
