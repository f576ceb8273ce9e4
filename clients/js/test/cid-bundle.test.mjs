// cidOf as a browser gets it: src/index.js bundled by esbuild for the browser platform (no node:
// modules; multiformats' sha2 then hashes with WebCrypto), run here, names tables as src/ does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import * as arrow from 'apache-arrow';
import { describeTable } from '../src/index.js';
import { mixedTable } from './helpers/mixed-table.mjs';
import { repoRoot, tempDir } from './helpers/cli.mjs';

test('the browser bundle names a chunked table and a golden file as src/ does', async () => {
  const outfile = join(tempDir(), 'arrowcid-browser.mjs');
  const result = await esbuild.build({
    entryPoints: [join(repoRoot, 'clients', 'js', 'src', 'index.js')],
    bundle: true, format: 'esm', platform: 'browser', outfile, metafile: true, logLevel: 'silent',
  });
  const inputs = Object.keys(result.metafile.inputs);
  assert.ok(inputs.some((p) => p.includes('multiformats/dist/src/hashes/sha2-browser')), 'the browser sha2 (WebCrypto) is bundled');
  // A module specifier, not any text: a result's `node:` field (resolveName) is no import.
  assert.ok(!/(?:from\s*|import\s*\(\s*|require\s*\(\s*)["']node:/.test(readFileSync(outfile, 'utf8')), 'no node: module in the bundle');
  // As in a browser, the bundle finds no Node crypto (it looks for it when loaded): it joins each
  // block into one buffer for WebCrypto.
  const getBuiltinModule = process.getBuiltinModule;
  let browser;
  try {
    process.getBuiltinModule = undefined;
    browser = await import(pathToFileURL(outfile).href);
  } finally {
    process.getBuiltinModule = getBuiltinModule;
  }
  const table = mixedTable(4, 30000);
  const expected = await describeTable(table);
  // The bundle carries its own apache-arrow: hand it the rows as IPC bytes.
  const fromBundle = await browser.describeTable(browser.readArrowIpc(arrow.tableToIPC(table, 'stream')));
  assert.equal(fromBundle.cid.toString(), expected.cid.toString());
  assert.ok(expected.chunks.length > 1);
  const golden = join(repoRoot, 'testdata', 'arrow-ipc-golden', '1.0.0-littleendian', 'generated_nested.stream');
  const bytes = readFileSync(golden);
  assert.equal((await browser.cidOf(browser.readArrowIpc(bytes))).toString(), (await describeTable((await import('../src/index.js')).readArrowIpc(bytes))).cid.toString());
});
