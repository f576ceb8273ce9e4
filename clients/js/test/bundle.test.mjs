// The browser bundle: the index reaches no Node built-in (the build fails otherwise, as it does
// for the Node-only Flight module), and the bundle itself fetches and verifies a table using only
// web APIs (fetch, WebCrypto, TextDecoder), which Node provides too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bundle } from '../scripts/bundle.mjs';
import { findCli, cliOrSkip } from './helpers/cli.mjs';
import { startNode, putFile } from './helpers/node.mjs';
import { makeTable, writeStream, rowsOf } from './helpers/tables.mjs';

// No test may hang CI: a node that stops answering fails the test instead.
const LIMIT = { timeout: 240_000 };

test('the index bundles for the browser with no Node built-in; the Flight module does not', LIMIT, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'arrowcid-js-bundle-'));
  try {
    const out = join(dir, 'client.mjs');
    const metafile = await bundle(out);
    assert.ok(Object.keys(metafile.inputs).some((input) => input.includes('sha2-browser')), 'multiformats resolved to its WebCrypto SHA-256');
    assert.doesNotMatch(readFileSync(out, 'utf8'), /from\s*["']node:/);
    const flight = fileURLToPath(new URL('../src/flight.js', import.meta.url));
    await assert.rejects(bundle(join(dir, 'flight.mjs'), flight), (e) => e.errors.some((x) => /Node built-in/.test(x.text)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the bundle fetches and verifies a multi-chunk table', LIMIT, async (t) => {
  if (!cliOrSkip(t)) return;
  const dir = mkdtempSync(join(tmpdir(), 'arrowcid-js-bundle-'));
  const node = await startNode(findCli());
  try {
    const out = join(dir, 'client.mjs');
    await bundle(out);
    const client = await import(pathToFileURL(out).href);
    const table = makeTable(120_000, 61);
    const { cid, chunks } = await putFile(findCli(), node, writeStream(dir, 't.arrows', table));
    assert.ok(chunks.length > 1);
    const got = await client.readTable(cid, { gateway: node.gateway });
    assert.equal(got.batches.length, chunks.length);
    assert.deepEqual(rowsOf(got), rowsOf(table));
  } finally {
    await node.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
