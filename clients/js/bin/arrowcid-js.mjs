#!/usr/bin/env node
// arrowcid-js <command> [args…]: ArrowCid's JavaScript command line. Each command is a module
// bin/commands/<name>.mjs exporting `run(args)` (args after the command name) that resolves to the
// exit code: 0 done, 1 failed (the message already on stderr), 2 usage error.

const COMMANDS = {
  cid: 'cid FILE... [--json]                 the table CID of Arrow IPC files or streams ("-" = stdin), as `arrowcid cid`',
  get: 'get CID|NAME --gateway URL -o FILE  fetch and verify a table through a node\'s HTTP gateway',
  ls: 'ls --gateway URL                      list a node\'s tables',
};

function usage(stream) {
  stream.write(`usage: arrowcid-js <command> [args…]\n\ncommands:\n${Object.values(COMMANDS).map((c) => `  ${c}`).join('\n')}\n`);
}

const [name, ...args] = process.argv.slice(2);
if (name === '--help' || name === '-h' || name === 'help') {
  usage(process.stdout);
} else if (name === undefined || !Object.hasOwn(COMMANDS, name)) {
  if (name !== undefined) process.stderr.write(`arrowcid-js: unknown command '${name}'\n`);
  usage(process.stderr);
  process.exitCode = 2;
} else {
  let command;
  try {
    command = await import(new URL(`./commands/${name}.mjs`, import.meta.url));
  } catch (e) {
    if (e?.code !== 'ERR_MODULE_NOT_FOUND') throw e;
    process.stderr.write(`arrowcid-js: the command '${name}' is not installed in this package\n`);
    process.exitCode = 2;
  }
  if (command !== undefined) process.exitCode = await command.run(args);
}
