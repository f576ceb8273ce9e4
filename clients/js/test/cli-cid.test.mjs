// arrowcid-js cid on input that is not Arrow IPC: it says what the file is and what reads it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { notArrowIpc } from '../bin/commands/cid.mjs';

const run = promisify(execFile);
const bin = fileURLToPath(new URL('../bin/arrowcid-js.mjs', import.meta.url));

test('the first bytes tell Parquet, text and Arrow IPC apart', () => {
  const bytes = (text) => new Uint8Array([...text].map((c) => c.charCodeAt(0)));
  assert.equal(notArrowIpc(bytes('PAR1\u0015\u0004')), 'this is a Parquet file');
  assert.equal(notArrowIpc(bytes('id,v\n1,2\n')), 'this looks like text (CSV?)');
  assert.equal(notArrowIpc(bytes('ARROW1\0\0')), null);
  assert.equal(notArrowIpc(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x10, 0, 0, 0])), null);
  assert.equal(notArrowIpc(new Uint8Array([0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87])), 'this is not Arrow IPC (a stream or a file)');
});

test('cid of a CSV or Parquet file exits 1 saying what it is and what reads it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'arrowcid-js-cid-'));
  try {
    const csv = join(dir, 'readings.csv');
    writeFileSync(csv, 'time,sensor,reading\n2026-01-01T00:00:00Z,s01,20.5\n');
    await assert.rejects(run(process.execPath, [bin, 'cid', csv]), (e) => e.code === 1 && /looks like text \(CSV\?\)/.test(e.stderr) && /arrowcid cid/.test(e.stderr));
    const parquet = join(dir, 'x.parquet');
    writeFileSync(parquet, Buffer.from('PAR1\u0015\u0004\u0015\u0000PAR1', 'latin1'));
    await assert.rejects(run(process.execPath, [bin, 'cid', parquet]), (e) => e.code === 1 && /Parquet file/.test(e.stderr));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
