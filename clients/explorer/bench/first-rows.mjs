// How soon the explorer's table page shows a table's first rows, verified, in Debian's chromium
// (issue 15: within 1 s for a 1 GiB table on loopback; it fetches only the first chunks).
//   node clients/explorer/bench/first-rows.mjs --gateway http://127.0.0.1:8816 --cid bafy… [--runs 5] [--chromium /usr/bin/chromium]
// Each run opens a fresh browser context (no cache) at /#/table/CID and reads, from the page's own
// clock, when the preview's "verified" state appeared (ms since navigation began: the page, its
// script, the table's JSON, then the blocks), and counts the blocks and bytes fetched from /ipfs/.
// Then, in that page, it goes back to the listing and opens the table again as a reader does
// (a hash change: the script is loaded already) and times that too. Prints one JSON object; a
// measurement, not a test.
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

const { values } = parseArgs({
  options: {
    gateway: { type: 'string' },
    cid: { type: 'string' },
    runs: { type: 'string', default: '5' },
    chromium: { type: 'string', default: '/usr/bin/chromium' },
  },
});
if (!values.gateway || !values.cid) {
  console.error('usage: first-rows.mjs --gateway URL --cid CID [--runs N] [--chromium PATH]');
  process.exit(2);
}

const browser = await chromium.launch({ executablePath: values.chromium, args: ['--no-sandbox', '--disable-gpu'] });
const runs = [];
try {
  for (let run = 0; run < Number(values.runs); run++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    let blocks = 0;
    let blockBytes = 0;
    page.on('response', async (response) => {
      if (!new URL(response.url()).pathname.startsWith('/ipfs/')) return;
      blocks++;
      blockBytes += Number(response.headers()['content-length'] ?? 0);
    });
    await page.goto(new URL(`/#/table/${values.cid}`, values.gateway).toString());
    const status = page.locator('#preview-status[data-state="verified"], #preview-status[data-state="error"]');
    await status.waitFor({ timeout: 60_000 });
    if ((await status.getAttribute('data-state')) !== 'verified') throw new Error(await status.textContent());
    const timing = await page.evaluate(() => {
      const mark = performance.getEntriesByName('arrowcid:preview-verified')[0];
      const status = document.querySelector('#preview-status');
      return { shownMs: mark.startTime, previewMs: Number(status.dataset.ms), rows: document.querySelectorAll('#preview-table tbody tr').length };
    });
    // In the app: back to the listing, then open the table again.
    await page.evaluate(() => { location.hash = '#/'; });
    await page.locator('#table-list').waitFor({ timeout: 60_000 });
    const opened = await page.evaluate(async (cid) => {
      const start = performance.now();
      location.hash = `#/table/${cid}`;
      for (;;) {
        const marks = performance.getEntriesByName('arrowcid:preview-verified');
        if (marks.length === 2) return marks[1].startTime - start;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }, values.cid);
    runs.push({ ...timing, openedInAppMs: opened, blocks, blockBytes });
    await context.close();
  }
} finally {
  await browser.close();
}
const median = (key) => runs.map((r) => r[key]).sort((a, b) => a - b)[Math.floor(runs.length / 2)];
const max = (key) => Math.max(...runs.map((r) => r[key]));
console.log(JSON.stringify({
  cid: values.cid,
  runs,
  cold_page_first_rows_ms_median: median('shownMs'),
  cold_page_first_rows_ms_max: max('shownMs'),
  in_app_first_rows_ms_median: median('openedInAppMs'),
  in_app_first_rows_ms_max: max('openedInAppMs'),
  blocks_fetched_median: median('blocks'),
}, null, 1));
