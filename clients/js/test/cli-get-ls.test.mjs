// arrowcid-js get and ls against a node of our own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { tableFromIPC } from 'apache-arrow';
import { findCli, cliOrSkip } from './helpers/cli.mjs';
import { nodeForTests } from './helpers/node.mjs';
import { makeTable, rowsOf } from './helpers/tables.mjs';

// No test may hang CI: a node that stops answering fails the test instead.
const LIMIT = { timeout: 240_000 };

const run = promisify(execFile);
const bin = fileURLToPath(new URL('../bin/arrowcid-js.mjs', import.meta.url));
const TOKEN = 'cli-token';

function js(args) {
  return run(process.execPath, [bin, ...args], { timeout: 120_000, maxBuffer: 1 << 28 });
}

const f = nodeForTests({
  args: ['--token', `${TOKEN}:read`],
  tables: {
    small: [makeTable(40, 51), ['--name', 'cli/small', '--tag', 'team=a']],
    big: [makeTable(150_000, 53), ['--name', 'cli/big', '--tag', 'team=b']],
  },
});

test('get writes the verified table as an Arrow stream, by CID and by name', LIMIT, async (t) => {
  if (!cliOrSkip(t)) return;
  const byName = join(f.work, 'big-out.arrows');
  const { stderr } = await js(['get', 'cli/big', '--gateway', f.node.gateway, '--token', TOKEN, '-o', byName]);
  assert.match(stderr, /150000 rows/);
  assert.deepEqual(rowsOf(tableFromIPC(readFileSync(byName))), rowsOf(f.put.big));
  const byCid = join(f.work, 'small-out.arrow');
  await js(['get', f.put.smallResult.cid, '--gateway', f.node.gateway, '--token', TOKEN, '-o', byCid, '--format', 'file']);
  assert.deepEqual(rowsOf(tableFromIPC(readFileSync(byCid))), rowsOf(f.put.small));
});

test('get refuses a file of several chunks with dictionaries, and bad usage is exit 2', LIMIT, async (t) => {
  if (!cliOrSkip(t)) return;
  await assert.rejects(js(['get', 'cli/big', '--gateway', f.node.gateway, '--token', TOKEN, '-o', join(f.work, 'x.arrow'), '--format', 'file']), (e) => e.code === 1 && /stream/.test(e.stderr));
  assert.equal(existsSync(join(f.work, 'x.arrow')), false);
  await assert.rejects(js(['get', 'cli/big', '-o', join(f.work, 'y.arrows')]), (e) => e.code === 2 && /--gateway/.test(e.stderr));
  await assert.rejects(js(['get', 'cli/big', '--gateway', f.node.gateway, '-o', join(f.work, 'z.arrows')]), (e) => e.code === 1 && /401/.test(e.stderr));
});

test('ls lists the tables with their tags and names; --tag filters; --json', LIMIT, async (t) => {
  if (!cliOrSkip(t)) return;
  const { stdout } = await js(['ls', '--gateway', f.node.gateway, '--token', TOKEN]);
  const lines = stdout.trim().split('\n');
  assert.equal(lines.length, 2);
  assert.match(lines[0], new RegExp(`^batch ${f.put.smallResult.cid} 40 \\d+ \\S+ pinned team=a cli/small@1$`));
  assert.match(lines[1], new RegExp(`^table ${f.put.bigResult.cid} 150000 \\d+ \\S+ pinned team=b cli/big@1$`));
  const filtered = await js(['ls', '--gateway', f.node.gateway, '--token', TOKEN, '--tag', 'team=b', '--json']);
  const items = JSON.parse(filtered.stdout);
  assert.deepEqual(items.map((i) => i.cid), [f.put.bigResult.cid]);
  const limited = await js(['ls', '--gateway', f.node.gateway, '--token', TOKEN, '--limit', '1']);
  assert.equal(limited.stdout.trim().split('\n').length, 1);
});
