// Test support: finds the arrowcid CLI and starts a node of our own (arrowcid serve on port 0,
// a temporary repository), as the house rule for peers says: missing CLI → SKIPPED, unless CI.
import { spawn, execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '../../..');
const START_TIMEOUT_MS = 60_000;

/** The arrowcid CLI: $ARROWCID_CLI, else the newest build under artifacts/*\/bin/ArrowCid.Cli/release. */
export function findCli() {
  if (process.env.ARROWCID_CLI) return process.env.ARROWCID_CLI;
  const artifacts = join(repoRoot, 'artifacts');
  if (!existsSync(artifacts)) return null;
  for (const slot of readdirSync(artifacts).sort()) {
    const candidate = join(artifacts, slot, 'bin', 'ArrowCid.Cli', 'release', 'arrowcid');
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

/**
 * The CLI, or null after printing SKIPPED when it is absent; under CI=true its absence fails.
 * Call as `const cli = requireCli(t)` at the start of a test and return when null.
 */
export function requireCli(t) {
  const cli = findCli();
  if (cli) return cli;
  if (process.env.CI === 'true') throw new Error('the arrowcid CLI is required under CI: set ARROWCID_CLI or build src/ArrowCid.Cli');
  console.log('SKIPPED: no arrowcid CLI (set ARROWCID_CLI or build src/ArrowCid.Cli -c Release)');
  t.skip('no arrowcid CLI');
  return null;
}

/** Runs the CLI to completion and returns its stdout. */
export async function runCli(cli, args, { repo, timeout = 120_000 } = {}) {
  const env = { ...process.env };
  if (repo) env.ARROWCID_REPO = repo;
  const { stdout } = await execFileAsync(cli, args, { env, timeout, maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

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
      if (ownRepo) rmSync(repoDir, { recursive: true, force: true });
    },
  };
}

/** The path of a block's file in a repository (docs/repository.md: blocks/<ss>/<cid>). */
export function blockPath(repo, cid) {
  const text = String(cid);
  return join(repo, 'blocks', text.slice(-3, -1), text);
}
