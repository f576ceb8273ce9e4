// The package installs as docs/js.md says, from its packed tarball into another folder beside the
// application's own apache-arrow (a peer dependency; its other dependencies are bundled in the
// tarball, so they need no network, cache or build tools), computes the same CID there as here,
// and puts a table made with the application's apache-arrow as a stream that apache-arrow reads back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { tableFromArrays } from 'apache-arrow';
import { cidOf } from '../src/index.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));

test('npm pack, then npm install of the tarball beside apache-arrow elsewhere, gives a working client', { timeout: 300_000 }, async () => {
  const work = mkdtempSync(join(tmpdir(), 'arrowcid-js-install-'));
  try {
    const packed = join(work, 'packed');
    const consumer = join(work, 'consumer');
    await run('npm', ['pack', '--pack-destination', (await mkdir(packed)), '--loglevel=error'], { cwd: root, maxBuffer: 1 << 26 });
    const tarball = readdirSync(packed).find((f) => f.endsWith('.tgz'));
    assert.ok(tarball, 'npm pack wrote no tarball');
    await mkdir(consumer);
    writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', type: 'module', private: true }));
    // The application's apache-arrow, the version users install (from npm's cache when it has it).
    const arrowVersion = JSON.parse(readFileSync(join(root, 'node_modules', 'apache-arrow', 'package.json'), 'utf8')).version;
    await run('npm', ['install', join(packed, tarball), `apache-arrow@${arrowVersion}`, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: consumer, maxBuffer: 1 << 26 });
    writeFileSync(join(consumer, 'probe.mjs'), PROBE);
    const { stdout } = await run(process.execPath, ['probe.mjs'], { cwd: consumer });
    const expected = String(await cidOf(tableFromArrays({ a: Int32Array.from([1, 2, 3]), s: ['x', null, 'z'] })));
    assert.deepEqual(stdout.trim().split('\n'), [expected, expected, 'one apache-arrow']);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

// What an application does: its own apache-arrow's table, cidOf, and putTable to a gateway (here a
// stand-in that keeps the body, which the application's apache-arrow must read back as the table).
const PROBE = `
import { createServer } from 'node:http';
import { tableFromArrays, tableFromIPC } from 'apache-arrow';
import { cidOf, putTable } from '@arrowcid/client';
import { createRequire } from 'node:module';

const table = tableFromArrays({ a: Int32Array.from([1, 2, 3]), s: ['x', null, 'z'] });
console.log(String(await cidOf(table)));
let body;
const server = createServer((request, response) => {
  const parts = [];
  request.on('data', (part) => parts.push(part));
  request.on('end', () => {
    body = Buffer.concat(parts);
    response.writeHead(201, { 'Content-Type': 'application/json' });
    response.end(JSON.stringify({ table: { cid: 'stand-in' } }));
  });
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const answer = await putTable(table, { gateway: 'http://127.0.0.1:' + server.address().port });
server.close();
if (answer.table.cid !== 'stand-in') throw new Error('putTable answered ' + JSON.stringify(answer));
console.log(String(await cidOf(tableFromIPC(body))));
// The client resolves the application's apache-arrow, not a copy of its own.
const require = createRequire(import.meta.url);
const own = require.resolve('apache-arrow');
const clients = createRequire(require.resolve('@arrowcid/client')).resolve('apache-arrow');
console.log(own === clients ? 'one apache-arrow' : 'two: ' + own + ' and ' + clients);
`;

async function mkdir(path) {
  const { mkdirSync } = await import('node:fs');
  mkdirSync(path, { recursive: true });
  return path;
}
