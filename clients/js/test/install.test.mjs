// The package installs as docs/js.md says, from its packed tarball into another folder, with no
// network, no npm cache and no build tools (every dependency is bundled in the tarball), and
// computes the same CID there as here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { tableFromArrays } from 'apache-arrow';
import { cidOf } from '../src/index.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));

test('npm pack, then npm install --offline of the tarball elsewhere, gives a working client', { timeout: 300_000 }, async () => {
  const work = mkdtempSync(join(tmpdir(), 'arrowcid-js-install-'));
  try {
    const packed = join(work, 'packed');
    const consumer = join(work, 'consumer');
    await run('npm', ['pack', '--pack-destination', (await mkdir(packed)), '--loglevel=error'], { cwd: root, maxBuffer: 1 << 26 });
    const tarball = readdirSync(packed).find((f) => f.endsWith('.tgz'));
    assert.ok(tarball, 'npm pack wrote no tarball');
    await mkdir(consumer);
    writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', type: 'module', private: true }));
    // --offline with an empty cache: nothing may come from a registry.
    await run('npm', ['install', join(packed, tarball), '--offline', '--cache', join(work, 'empty-cache'), '--no-audit', '--no-fund', '--loglevel=error'], { cwd: consumer, maxBuffer: 1 << 26 });
    writeFileSync(join(consumer, 'probe.mjs'), [
      "import { cidOf } from '@arrowcid/client';",
      "import { tableFromArrays } from './node_modules/@arrowcid/client/node_modules/apache-arrow/Arrow.node.mjs';",
      'console.log(String(await cidOf(tableFromArrays({ a: Int32Array.from([1, 2, 3]) }))));',
    ].join('\n'));
    const { stdout } = await run(process.execPath, ['probe.mjs'], { cwd: consumer });
    assert.equal(stdout.trim(), String(await cidOf(tableFromArrays({ a: Int32Array.from([1, 2, 3]) }))));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

async function mkdir(path) {
  const { mkdirSync } = await import('node:fs');
  mkdirSync(path, { recursive: true });
  return path;
}
