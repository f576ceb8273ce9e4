// What the gateway commands (get, ls) share: their --gateway/--token options and one way to turn
// bad usage into a message and exit code 2.
import { parseArgs } from 'node:util';

/** parseArgs options every gateway command takes. */
export const gatewayOptions = {
  gateway: { type: 'string' },
  token: { type: 'string' },
};

/**
 * Parses `args` with parseArgs `options` and checks them with `check(values, positionals)` (which
 * throws an Error saying what is wrong); on bad usage prints `arrowcid-js NAME: …` and the usage
 * line and returns null.
 */
export function parseCommand(name, usage, args, options, check) {
  try {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { ...gatewayOptions, ...options } });
    if (!values.gateway) throw new Error('--gateway URL is required');
    return check(values, positionals);
  } catch (e) {
    process.stderr.write(`arrowcid-js ${name}: ${e.message}\n${usage}`);
    return null;
  }
}
