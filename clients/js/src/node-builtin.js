// A Node built-in module found at run time, not imported: the browser bundle (esbuild) then holds
// no Node module, and code that uses one keeps a path for browsers.

/**
 * Node's built-in module `name` (process.getBuiltinModule), or null outside Node or where it is
 * not available.
 * @param {string} name
 * @returns {any}
 */
export const nodeBuiltin = (name) =>
  typeof globalThis.process?.getBuiltinModule === 'function' ? globalThis.process.getBuiltinModule(name) ?? null : null;
