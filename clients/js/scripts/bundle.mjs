// npm run bundle [-- OUTFILE]: the package's index (src/index.js) as one ESM file for browsers,
// built with esbuild for the browser platform (multiformats' WebCrypto SHA-256, apache-arrow's DOM
// build). The build fails if anything the index reaches imports a Node built-in, which is how
// the package checks that it runs unchanged in a browser.
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/** An esbuild plugin that turns any import of a Node built-in into a build error naming the importer. */
const noNodeBuiltins = {
  name: 'no-node-builtins',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.path.startsWith('node:') || builtins.has(args.path)) {
        return { errors: [{ text: `${args.importer} imports the Node built-in '${args.path}': the browser bundle cannot hold it` }] };
      }
      return undefined;
    });
  },
};

/** Builds the bundle; resolves to esbuild's metafile. */
export async function bundle(outfile = `${root}dist/arrowcid-client.mjs`, entry = `${root}src/index.js`) {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    outfile,
    metafile: true,
    logLevel: 'silent',
    plugins: [noNodeBuiltins],
  });
  return result.metafile;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const outfile = process.argv[2];
  try {
    const metafile = await bundle(outfile);
    for (const [file, info] of Object.entries(metafile.outputs)) console.log(`${file} ${info.bytes} bytes`);
  } catch (e) {
    for (const error of e.errors ?? [e]) console.error(error.text ?? error.message);
    process.exitCode = 1;
  }
}
