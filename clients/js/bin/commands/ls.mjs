// arrowcid-js ls --gateway URL [--token T] [--tag KEY=VALUE]... [--name NAME] [--limit N] [--json]:
// a node's tables, oldest first, one line each as `arrowcid ls` prints them
// (`<kind> <cid> <rows> <bytes> <created> [pinned] [k=v…]`) plus the names that point at them
// (`name@N`); every page of GET /api/v1/tables is followed. --json: one JSON array of the items.
import { allTables } from '../../src/index.js';
import { parseCommand } from '../command-args.mjs';

const USAGE = 'usage: arrowcid-js ls --gateway URL [--token T] [--tag KEY=VALUE]... [--name NAME] [--limit N] [--json]\n';

function check(values, positionals) {
  if (positionals.length > 0) throw new Error(`unexpected argument '${positionals[0]}'`);
  const badTag = values.tag.find((t) => !/^[^=]+=/.test(t));
  if (badTag !== undefined) throw new Error(`--tag takes KEY=VALUE, not '${badTag}'`);
  let limit;
  if (values.limit !== undefined) {
    limit = Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`--limit is a positive integer, not '${values.limit}'`);
  }
  return { ...values, limit };
}

function line(item) {
  const parts = [item.kind, item.cid, item.rows ?? 0, item.bytes ?? 0, item.created ?? '-'];
  if (item.pinned) parts.push('pinned');
  for (const [key, value] of Object.entries(item.tags ?? {})) parts.push(`${key}=${value}`);
  for (const { name, version } of item.names ?? []) parts.push(`${name}@${version}`);
  return parts.join(' ');
}

export async function run(args) {
  const options = parseCommand('ls', USAGE, args, {
    tag: { type: 'string', multiple: true, default: [] },
    name: { type: 'string' },
    limit: { type: 'string' },
    json: { type: 'boolean', default: false },
  }, check);
  if (options === null) return 2;
  const { gateway, token, tag, name, json } = options;
  const items = [];
  let shown = 0;
  try {
    // --limit caps what is printed; pages are asked for at most 1000 (the node's bound) at a time.
    const pageSize = options.limit === undefined ? 1000 : Math.min(options.limit, 1000);
    for await (const item of allTables({ gateway, token, tag, name, limit: pageSize })) {
      if (options.limit !== undefined && shown >= options.limit) break;
      shown++;
      if (json) items.push(item);
      else process.stdout.write(`${line(item)}\n`);
    }
  } catch (e) {
    process.stderr.write(`arrowcid-js ls: ${e.message}\n`);
    return 1;
  }
  if (json) process.stdout.write(`${JSON.stringify(items, null, 2)}\n`);
  return 0;
}
