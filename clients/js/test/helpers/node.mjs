// Test support: a node of our own (arrowcid serve on port 0 with a temporary repository) and
// puts through the CLI into its repository. The CLI is found by helpers/cli.mjs.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, after } from 'node:test';
import { cliRun, findCli } from './cli.mjs';
import { writeStream } from './tables.mjs';

const START_TIMEOUT_MS = 60_000;

/**
 * Starts `arrowcid serve` on 127.0.0.1:0 with a fresh repository (or `repo`), resolves once it
 * printed both addresses: `{ gateway, flight, repo, stop() }`. Extra serve arguments in `args`.
 */
export async function startNode(cli, { args = [], repo } = {}) {
  const ownRepo = !repo;
  const repoDir = repo ?? mkdtempSync(join(tmpdir(), 'arrowcid-js-'));
  const child = spawn(cli, ['serve', '--listen', '127.0.0.1:0', '--repo', repoDir, '--no-shm', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ARROWCID_REPO: repoDir },
  });
  let output = '';
  const addresses = await new Promise((resolveStart, rejectStart) => {
    const found = {};
    const timer = setTimeout(() => rejectStart(new Error(`arrowcid serve did not start in time:\n${output}`)), START_TIMEOUT_MS);
    const onData = (chunk) => {
      output += chunk;
      const flight = /serving (grpc\+tcp:\/\/\S+)/.exec(output);
      const gateway = /gateway (http:\/\/\S+)/.exec(output);
      if (flight) found.flight = flight[1];
      if (gateway) found.gateway = gateway[1];
      if (found.flight && found.gateway) {
        clearTimeout(timer);
        resolveStart(found);
      }
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', (chunk) => { output += chunk; });
    child.on('exit', (code) => {
      clearTimeout(timer);
      rejectStart(new Error(`arrowcid serve exited (${code}) before it listened:\n${output}`));
    });
  });
  const exited = new Promise((resolveExit) => child.on('exit', resolveExit));
  // However the test process ends, its node goes with it.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  return {
    ...addresses,
    repo: repoDir,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      process.removeListener('exit', killOnExit);
      if (ownRepo) rmSync(repoDir, { recursive: true, force: true });
    },
  };
}

/** The path of a block's file in a repository (docs/repository.md: blocks/<ss>/<cid>). */
export function blockPath(repo, cid) {
  const text = String(cid);
  return join(repo, 'blocks', text.slice(-3, -1), text);
}

/** `arrowcid put FILE --json` into the node's repository: `{ cid, chunks, name, version }`. */
export async function putFile(cli, node, path, extra = []) {
  const [result] = JSON.parse(await cliRun(cli, ['--repo', node.repo, 'put', path, '--json', ...extra]));
  return { cid: result.table.cid, chunks: result.chunks, name: result.name, version: result.version };
}

/**
 * A node with tables put by the CLI: `tables` maps a key to `[table, putArguments]`. Resolves to
 * `{ node, work, put, stop() }` where `put[key]` is the table and `put[key + 'Result']` what the
 * put printed; `work` is a temporary folder removed by `stop()` with the node.
 */
export async function startNodeWithTables(cli, { args = [], tables = {} } = {}) {
  const work = mkdtempSync(join(tmpdir(), 'arrowcid-js-work-'));
  const node = await startNode(cli, { args });
  const put = {};
  try {
    for (const [key, [table, putArgs]] of Object.entries(tables)) {
      put[key] = table;
      put[`${key}Result`] = await putFile(cli, node, writeStream(work, `${key}.arrows`, table), putArgs);
    }
  } catch (e) {
    await node.stop();
    rmSync(work, { recursive: true, force: true });
    throw e;
  }
  return {
    node,
    work,
    put,
    async stop() {
      await node.stop();
      rmSync(work, { recursive: true, force: true });
    },
  };
}

/**
 * Registers before/after hooks that start a node with tables (startNodeWithTables) for the test
 * file and stop it; returns the object they fill: `{ node, work, put }` (empty without a CLI, when
 * the tests skip; under CI=true a missing CLI fails instead).
 */
export function nodeForTests(options, hookOptions = { timeout: 240_000 }) {
  const fixture = {};
  before(async () => {
    const cli = findCli();
    // Under CI=true a missing CLI fails the file (as cliOrSkip does), never a silent pass.
    if (!cli && process.env.CI === 'true') throw new Error('the arrowcid CLI was not found, and CI is true');
    if (cli) Object.assign(fixture, await startNodeWithTables(cli, options));
  }, hookOptions);
  after(() => fixture.stop?.(), hookOptions);
  return fixture;
}
