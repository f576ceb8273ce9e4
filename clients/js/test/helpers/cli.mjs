// Finds the C# CLI for the interop tests: ARROWCID_CLI, else a built one under artifacts/. When
// there is none the tests print SKIPPED and pass, except under CI=true, where they fail.
import { existsSync, readdirSync, mkdtempSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const run = promisify(execFile);
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

export function findCli() {
  if (process.env.ARROWCID_CLI) return process.env.ARROWCID_CLI;
  const artifacts = join(repoRoot, 'artifacts');
  if (!existsSync(artifacts)) return null;
  for (const slot of readdirSync(artifacts)) {
    const candidate = join(artifacts, slot, 'bin', 'ArrowCid.Cli', 'release', 'arrowcid');
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

/** The CLI, or null after printing SKIPPED (throws under CI=true: CI must prove the check ran). */
export function cliOrSkip(t) {
  const cli = findCli();
  if (cli !== null) return cli;
  const why = 'the arrowcid CLI was not found (set ARROWCID_CLI or build src/ArrowCid.Cli -c Release)';
  if (process.env.CI === 'true') throw new Error(`${why}, and CI is true`);
  console.log(`SKIPPED: ${why}`);
  t.skip(why);
  return null;
}

/** `arrowcid cid --json` of the files, in one process: [{ input, table, chunks }]. */
export async function cliCids(cli, files) {
  const { stdout } = await run(cli, ['cid', '--json', ...files], { maxBuffer: 1 << 28 });
  return JSON.parse(stdout);
}

/** Runs the CLI with arguments; resolves to stdout. */
export async function cliRun(cli, args) {
  const { stdout } = await run(cli, args, { maxBuffer: 1 << 28 });
  return stdout;
}

export const tempDir = () => mkdtempSync(join(tmpdir(), 'arrowcid-js-'));
