// Builds the explorer's committed bundle, dist/: src/main.js with clients/js bundled by esbuild into
// ES modules split at its dynamic imports: explorer.js (the entry: everything a page needs to show
// a table's first rows, verified, and the rest of the app), the modules it imports (shared with
// the lazy parts), and the lazy parts (arrow-rows-HASH.js: apache-arrow's reader, loaded only for
// the types the entry does not read itself); src/early.js into a small classic script (early.js,
// run first: on a table page it asks the node for the table while explorer.js loads, then runs
// explorer.js); src/'s page, which preloads explorer.js, with a modulepreload link added for each
// module explorer.js imports (so they load with it, not after it); style sheet and icon as they are. Building removes from dist/ what the sources no longer make.
// The gateway embeds dist/ (src/ArrowCid.Gateway/ExplorerEndpoints.cs), so a node serves the
// explorer with no npm. `node build.mjs --check` builds in memory and fails, naming the files, when
// dist/ is not what the sources make (a test runs it: the committed bundle never goes stale).
import { readFile, readdir, writeFile, mkdir, rm } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, 'dist');
const copied = ['explorer.css', 'icon.svg'];

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
  const app = await bundle('main.js', { format: 'esm', splitting: true, entryNames: 'explorer', chunkNames: '[name]-[hash]' });
  for (const [name, bytes] of app.files) files.set(name, bytes);
  for (const [name, bytes] of (await bundle('early.js', { format: 'iife', entryNames: 'early' })).files) files.set(name, bytes);
  files.set('index.html', Buffer.from(withModulePreloads(await readFile(join(here, 'src', 'index.html'), 'utf8'), app.staticImports)));
  for (const name of copied) files.set(name, await readFile(join(here, 'src', name)));
  return files;
}

/**
 * One entry of src/ bundled into dist/: its files (name → bytes) and the files the entry imports
 * statically (what its page should preload).
 * @param {string} entry @param {import('esbuild').BuildOptions} options
 */
async function bundle(entry, options) {
  const result = await esbuild.build({
    entryPoints: [join(here, 'src', entry)],
    // esbuild names chunks by a hash that covers paths relative to the working directory: fixing it
    // here makes the bundle the same from any folder the build is started in.
    absWorkingDir: here,
    outdir: dist,
    bundle: true,
    platform: 'browser',
    target: ['es2022'],
    minify: true,
    charset: 'utf8',
    legalComments: 'eof',
    write: false,
    metafile: true,
    logLevel: 'warning',
    plugins: [packagesFromHere],
    ...options,
  });
  const entryOutput = Object.values(result.metafile.outputs).find((o) => o.entryPoint);
  const staticImports = (entryOutput?.imports ?? []).filter((i) => i.kind === 'import-statement').map((i) => relative(dist, resolve(here, i.path)));
  return { files: result.outputFiles.map((f) => [relative(dist, f.path), Buffer.from(f.contents)]), staticImports };
}

/** The page with a modulepreload link for each of `modules`, after the entry's own (early.js runs the entry). @param {string} page @param {string[]} modules */
function withModulePreloads(page, modules) {
  const tag = '<link rel="modulepreload" href="/explorer/explorer.js">';
  if (!page.includes(tag)) throw new Error(`src/index.html has no ${tag}`);
  return page.replace(tag, [tag, ...modules.map((m) => `<link rel="modulepreload" href="/explorer/${m}">`)].join('\n'));
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
  for (const name of await readdir(dist)) if (!files.has(name)) await rm(join(dist, name));
  console.log(`wrote ${[...files].map(([name, bytes]) => `dist/${name} (${bytes.length} bytes)`).join(', ')}`);
}
