// Builds the explorer's committed bundle, dist/: src/main.js with clients/js and apache-arrow bundled
// by esbuild into one ES module (explorer.js), src/early.js into a small classic script (early.js,
// run first: on a table page it asks the node for the table while explorer.js loads), and src/'s
// page, style sheet and icon as they are.
// The gateway embeds dist/ (src/ArrowCid.Gateway/ExplorerEndpoints.cs), so a node serves the
// explorer with no npm. `node build.mjs --check` builds in memory and fails, naming the files, when
// dist/ is not what the sources make (a test runs it: the committed bundle never goes stale).
import { readFile, readdir, writeFile, mkdir } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, 'dist');
const copied = ['index.html', 'explorer.css', 'icon.svg'];

// Bare imports from our sources (and clients/js's) resolve from this folder's node_modules, so the
// bundle is the same whether or not clients/js has its own node_modules installed.
const packagesFromHere = {
  name: 'packages-from-explorer',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.pluginData?.fromHere || args.importer.includes('/node_modules/')) return undefined;
      const resolved = await build.resolve(args.path, { kind: args.kind, resolveDir: here, pluginData: { fromHere: true } });
      return resolved.errors.length ? { errors: resolved.errors } : { path: resolved.path, sideEffects: resolved.sideEffects };
    });
  },
};

/** Every file of dist/ as the sources make it: name → bytes. */
async function build() {
  const files = new Map();
  for (const [entry, output, format] of [['main.js', 'explorer.js', 'esm'], ['early.js', 'early.js', 'iife']]) {
    for (const [name, bytes] of await bundle(entry, output, /** @type {'esm' | 'iife'} */ (format))) files.set(name, bytes);
  }
  for (const name of copied) files.set(name, await readFile(join(here, 'src', name)));
  return files;
}

/** One entry of src/ bundled into dist/`output`: name → bytes. @param {string} entry @param {string} output @param {'esm' | 'iife'} format */
async function bundle(entry, output, format) {
  const result = await esbuild.build({
    entryPoints: [join(here, 'src', entry)],
    outfile: join(dist, output),
    bundle: true,
    format,
    platform: 'browser',
    target: ['es2022'],
    minify: true,
    charset: 'utf8',
    legalComments: 'eof',
    write: false,
    logLevel: 'warning',
    plugins: [packagesFromHere],
  });
  return result.outputFiles.map((f) => [relative(dist, f.path), Buffer.from(f.contents)]);
}

const files = await build();
if (process.argv.includes('--check')) {
  const committed = new Set(await readdir(dist).catch(() => []));
  const stale = [];
  for (const [name, bytes] of files) {
    const current = committed.has(name) ? await readFile(join(dist, name)) : undefined;
    if (!current || !current.equals(bytes)) stale.push(name);
    committed.delete(name);
  }
  stale.push(...[...committed].map((name) => `${name} (not made by the sources)`));
  if (stale.length) {
    console.error(`clients/explorer/dist is stale: ${stale.join(', ')}. Run \`node clients/explorer/build.mjs\` and commit dist/.`);
    process.exit(1);
  }
  console.log(`clients/explorer/dist is what the sources make (${files.size} files)`);
} else {
  await mkdir(dist, { recursive: true });
  for (const [name, bytes] of files) await writeFile(join(dist, name), bytes);
  console.log(`wrote ${[...files].map(([name, bytes]) => `dist/${name} (${bytes.length} bytes)`).join(', ')}`);
}
