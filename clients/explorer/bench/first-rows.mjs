// How soon the explorer's table page shows a table's first rows, verified, in Debian's chromium
// (issue 15: within 1 s for a 1 GiB table on loopback; it fetches only the first chunks).
//   node clients/explorer/bench/first-rows.mjs --json --arrowcid PATH/arrowcid --repo R --name big [--runs 5]
//   node clients/explorer/bench/first-rows.mjs --json --gateway http://127.0.0.1:8816 --cid bafy… [--runs 5]
// With --arrowcid and --repo it starts `arrowcid serve` on that repository itself (and stops it);
// the table is --cid, or the latest version of --name. Each run opens a fresh browser context (no
// cache) at /#/table/CID and reads, from the page's own clock (ms since navigation began), when each
// phase ended: the main script loaded and evaluated (its 'arrowcid:script-evaluated' mark), the table's JSON
// answered, the first block answered (Resource Timing), and the preview's "verified" state shown
// (its 'arrowcid:preview-verified' mark); it counts the blocks and bytes fetched from /ipfs/. Then,
// in that page, it goes back to the listing and opens the table again as a reader does (a hash
// change: the script is loaded already) and times that too. Prints one JSON object (with --json
// only that; otherwise a table of medians too); a measurement, not a test.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

const { values } = parseArgs({
  options: {
    gateway: { type: 'string' },
    cid: { type: 'string' },
    name: { type: 'string' },
    arrowcid: { type: 'string' },
    repo: { type: 'string' },
    runs: { type: 'string', default: '5' },
    chromium: { type: 'string', default: '/usr/bin/chromium' },
    json: { type: 'boolean', default: false },
  },
});
if (!(values.gateway || (values.arrowcid && values.repo)) || !(values.cid || values.name)) {
  console.error('usage: first-rows.mjs [--json] (--gateway URL | --arrowcid PATH --repo DIR) (--cid CID | --name NAME) [--runs N] [--chromium PATH]');
  process.exit(2);
}

/** Starts `arrowcid serve` on the repository; resolves to its gateway URL and a stop function. */
async function serve() {
  const node = spawn(values.arrowcid, ['serve', '--repo', values.repo, '--listen', '127.0.0.1:0', '--no-shm'], { stdio: ['ignore', 'pipe', 'inherit'] });
  // Read to the end (never left unread: a full pipe would stall the node), watching for the gateway line.
  let said = '';
  const gateway = await new Promise((resolve, reject) => {
    node.stdout.on('data', (data) => {
      said += data;
      const found = /^gateway (\S+)/m.exec(said)?.[1];
      if (found) resolve(found);
    });
    node.on('exit', (code) => reject(new Error(`arrowcid serve exited (${code}) before saying where its gateway listens: ${said}`)));
  });
  return {
    gateway,
    stop: async () => {
      node.kill('SIGINT');
      await once(node, 'exit');
    },
  };
}

const server = values.gateway ? { gateway: values.gateway, stop: async () => {} } : await serve();
const browser = await chromium.launch({ executablePath: values.chromium, args: ['--no-sandbox', '--disable-gpu'] });
const runs = [];
let cid = values.cid;
try {
  if (!cid) {
    const listed = await (await fetch(new URL(`/names/${values.name}/versions`, server.gateway))).json();
    cid = listed.versions.at(-1).cid;
  }
  for (let run = 0; run < Number(values.runs); run++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(new URL(`/#/table/${cid}`, server.gateway).toString());
    const status = page.locator('#preview-status[data-state="verified"], #preview-status[data-state="error"]');
    await status.waitFor({ timeout: 60_000 });
    if ((await status.getAttribute('data-state')) !== 'verified') throw new Error(await status.textContent());
    // The table's JSON may come after the rows: wait for the facts drawn from it.
    await page.locator('#facts').waitFor({ timeout: 60_000 });
    const timing = await page.evaluate(() => {
      const at = (name) => performance.getEntriesByName(name)[0]?.startTime;
      const resources = performance.getEntriesByType('resource');
      const ended = (test) => Math.min(...resources.filter((r) => test(new URL(r.name).pathname)).map((r) => r.responseEnd));
      return {
        scriptLoadedMs: ended((p) => p === '/explorer/explorer.js'),
        scriptEvaluatedMs: at('arrowcid:script-evaluated'),
        tableJsonMs: ended((p) => p.startsWith('/api/v1/tables/')),
        firstBlockMs: ended((p) => p.startsWith('/ipfs/')),
        shownMs: at('arrowcid:preview-verified'),
        previewMs: Number(document.querySelector('#preview-status').dataset.ms),
        rows: document.querySelectorAll('#preview-table tbody tr').length,
        blocks: resources.filter((r) => new URL(r.name).pathname.startsWith('/ipfs/')).length,
        blockBytes: resources.filter((r) => new URL(r.name).pathname.startsWith('/ipfs/')).reduce((sum, r) => sum + r.decodedBodySize, 0),
      };
    });
    // In the app: back to the listing, then open the table again.
    await page.evaluate(() => { location.hash = '#/'; });
    await page.locator('#table-list').waitFor({ timeout: 60_000 });
    const opened = await page.evaluate(async (tableCid) => {
      const start = performance.now();
      location.hash = `#/table/${tableCid}`;
      for (;;) {
        const marks = performance.getEntriesByName('arrowcid:preview-verified');
        if (marks.length === 2) return marks[1].startTime - start;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }, cid);
    runs.push({ ...timing, openedInAppMs: opened });
    await context.close();
  }
} finally {
  await browser.close();
  await server.stop();
}
const round = (n) => (n === undefined || !Number.isFinite(n) ? null : Math.round(n * 10) / 10);
const median = (key) => round(runs.map((r) => r[key]).sort((a, b) => a - b)[Math.floor(runs.length / 2)]);
const max = (key) => round(Math.max(...runs.map((r) => r[key])));
const phases = ['scriptLoadedMs', 'scriptEvaluatedMs', 'tableJsonMs', 'firstBlockMs', 'shownMs'];
const result = {
  cid,
  runs: runs.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'number' ? round(v) : v]))),
  phases_ms_median: Object.fromEntries(phases.map((p) => [p, median(p)])),
  first_rows_ms_cold: median('shownMs'),
  first_rows_ms_cold_max: max('shownMs'),
  first_rows_ms_from_listing: median('openedInAppMs'),
  first_rows_ms_from_listing_max: max('openedInAppMs'),
  blocks_fetched_median: median('blocks'),
  block_bytes_median: median('blockBytes'),
};
console.log(JSON.stringify(result, null, values.json ? undefined : 1));
