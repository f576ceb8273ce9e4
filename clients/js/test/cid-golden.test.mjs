// Every Arrow golden file in testdata/ that apache-arrow reads gets arrowcid cid's CID
// (docs/canonical-form.md §7), as written upstream and as the C# side rewrites it from the
// case's integration JSON; and arrowcid-js cid prints arrowcid cid's lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describeTable, readArrowIpc } from '../src/index.js';
import { cliOrSkip, cliCids, cliRun, repoRoot, tempDir } from './helpers/cli.mjs';

const run = promisify(execFile);
const goldenRoot = join(repoRoot, 'testdata', 'arrow-ipc-golden');

// Files apache-arrow reads but changes: it names a map's entries "entries"/"key"/"value" whatever
// the file says, so the JS table is not the file's table (the .stream of this case was written
// upstream with the standard names and is checked; the C# side writes the JSON's names, so its
// .arrow of this case is left out too).
const LOSSY_IN_APACHE_ARROW = new Set(['generated_map_non_canonical.arrow_file', 'generated_map_non_canonical.arrow']);

function goldenFiles() {
  if (!existsSync(goldenRoot)) return [];
  return readdirSync(goldenRoot).flatMap((dir) => readdirSync(join(goldenRoot, dir))
    .filter((f) => f.endsWith('.arrow_file') || f.endsWith('.stream'))
    .map((f) => join(goldenRoot, dir, f)));
}

/** The files apache-arrow reads, with their bytes; the others are reported and left out. */
function readable(files) {
  const out = [];
  for (const path of files) {
    if (LOSSY_IN_APACHE_ARROW.has(path.split('/').pop())) continue;
    try {
      out.push({ path, ipc: readArrowIpc(readFileSync(path)) });
    } catch (e) {
      console.log(`not read by apache-arrow: ${path.slice(goldenRoot.length + 1)} (${e.message})`);
    }
  }
  return out;
}

const line = (d) => `table ${d.cid} ${d.rows} ${d.bytes} ${d.chunks.length}`;
const cliLine = (r) => `table ${r.table.cid} ${r.table.rows} ${r.table.bytes} ${r.table.chunks}`;

test('golden files: cidOf gives arrowcid cid', async (t) => {
  const cli = cliOrSkip(t);
  if (cli === null) return;
  const files = readable(goldenFiles());
  assert.ok(files.length >= 40, `only ${files.length} golden files read (is testdata/ there?)`);
  const expected = await cliCids(cli, files.map((f) => f.path));
  for (const [i, f] of files.entries()) {
    const js = await describeTable(f.ipc);
    assert.equal(line(js), cliLine(expected[i]), f.path);
    assert.deepEqual(js.chunks.map((c) => c.cid.toString()), expected[i].chunks.map((c) => c.cid), f.path);
  }
});

test('golden cases written by the C# side from their JSON: cidOf gives arrowcid cid', async (t) => {
  const cli = cliOrSkip(t);
  if (cli === null) return;
  const dir = tempDir();
  const written = [];
  for (const path of goldenFiles().filter((p) => p.endsWith('.stream'))) {
    const json = path.replace(/\.stream$/, '.json.gz');
    const out = join(dir, path.split('/').pop().replace(/\.stream$/, '.arrow'));
    try {
      await cliRun(cli, ['integration', 'json-to-arrow', '--json', json, '--arrow', out]);
      written.push(out);
    } catch (e) {
      console.log(`arrowcid did not write ${json}: ${e.stderr?.toString().trim()}`);
    }
  }
  const files = readable(written);
  assert.ok(files.length >= 25, `only ${files.length} cases written and read`);
  const expected = await cliCids(cli, files.map((f) => f.path));
  for (const [i, f] of files.entries()) assert.equal(line(await describeTable(f.ipc)), cliLine(expected[i]), f.path);
});

test('arrowcid-js cid prints the lines arrowcid cid prints', async (t) => {
  const cli = cliOrSkip(t);
  if (cli === null) return;
  const paths = readable(goldenFiles()).map((f) => f.path);
  const bin = join(repoRoot, 'clients', 'js', 'bin', 'arrowcid-js.mjs');
  const js = await run(process.execPath, [bin, 'cid', ...paths], { maxBuffer: 1 << 26 });
  assert.equal(js.stdout, await cliRun(cli, ['cid', ...paths]));
  const jsJson = await run(process.execPath, [bin, 'cid', '--json', ...paths.slice(0, 5)], { maxBuffer: 1 << 26 });
  assert.equal(jsJson.stdout, await cliRun(cli, ['cid', '--json', ...paths.slice(0, 5)]));
});

test('arrowcid-js: a missing file fails with its name, no file is a usage error', async () => {
  const bin = join(repoRoot, 'clients', 'js', 'bin', 'arrowcid-js.mjs');
  await assert.rejects(run(process.execPath, [bin, 'cid', '/nonexistent/x.arrow']),
    (e) => e.code === 1 && e.stderr.includes('/nonexistent/x.arrow: no such file'));
  await assert.rejects(run(process.execPath, [bin, 'cid']), (e) => e.code === 2);
  await assert.rejects(run(process.execPath, [bin, 'nonsense']), (e) => e.code === 2 && e.stderr.includes("unknown command 'nonsense'"));
});
