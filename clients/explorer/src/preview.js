// @ts-check
// The preview grid: the table's first rows, fetched block by block through the gateway and verified
// here (every block hashed against its CID, the manifest tree checked) by the JavaScript client's
// fetchChunks. It stops fetching once it has the rows it shows, so a large table costs its first
// chunks. The rows are read by ipc-rows.js (a few KB), or by apache-arrow (arrow-rows.js, loaded
// only then) for the types ipc-rows.js leaves to it.
import { BlockVerificationError, GatewayError } from '../../js/src/errors.js';
import { fetchChunks } from '../../js/src/chunks.js';
import { token } from './api.js';
import { count, h, replace } from './dom.js';
import { fetchTakingEarly, previewConcurrency, previewRows } from './early-requests.js';
import { readIpcRows } from './ipc-rows.js';

/**
 * What the preview shows: the fields, the first rows as cells, the rows of the chunks fetched, and
 * the chunks and time it took.
 * @typedef {{ fields: { name: string, type: string }[], cells: (import('./ipc-rows.js').Cell | null)[][], rows: number, chunks: number, elapsed: number }} FirstRows
 */

/**
 * Starts fetching and verifying the first rows of table `cid` at once (while the page asks the node
 * about the table): resolves to the rows and the time taken, or to the error.
 * @param {string} cid @param {AbortSignal} signal
 * @returns {Promise<FirstRows | { error: unknown }>}
 */
export async function fetchFirstRows(cid, signal) {
  const started = performance.now();
  /** @type {FirstRows['fields'] | undefined} */
  let fields;
  /** @type {FirstRows['cells']} */
  const cells = [];
  let rows = 0;
  let chunks = 0;
  try {
    for await (const { entry, bytes } of fetchChunks(cid, { gateway: location.origin, token: token(), signal, concurrency: previewConcurrency, fetch: fetchTakingEarly })) {
      const limit = previewRows - cells.length;
      const chunk = readIpcRows(entry, bytes, limit) ?? (await import('./arrow-rows.js')).readArrowRows(entry, bytes, limit);
      fields ??= chunk.fields;
      cells.push(...chunk.cells);
      rows += chunk.rows;
      chunks++;
      // Enough to show: leaving the loop stops fetching the rest of the table.
      if (rows >= previewRows) break;
    }
  } catch (error) {
    return { error };
  }
  return { fields: fields ?? [], cells, rows, chunks, elapsed: performance.now() - started };
}

/**
 * Shows the first rows in `section` once `firstRows` (from fetchFirstRows) settles, whether or not
 * the node has described the table yet. The status line says "verified" (data-state="verified") or
 * names the block that failed (data-state="error"); a 401 leaves it waiting (the page asks for a
 * token and starts again). Returns what completes the status line once the node's description of
 * the table (the JSON of GET /api/v1/tables/CID) has come: its row count and chunks.
 * @param {HTMLElement} section @param {ReturnType<typeof fetchFirstRows>} firstRows @param {AbortSignal} signal
 * @returns {(t: any) => void}
 */
export function showPreview(section, firstRows, signal) {
  const status = h('p', { class: 'status', id: 'preview-status', 'data-state': 'loading', role: 'status', 'aria-live': 'polite' },
    'Fetching the first rows and verifying their blocks…');
  const grid = h('div', { class: 'scroll', id: 'preview-grid' });
  replace(section, status, grid);
  /** @type {any} */
  let table;
  /** @type {FirstRows | undefined} */
  let shown;
  const describe = () => {
    if (!shown) return;
    const { cells, rows, elapsed } = shown;
    const first = cells.length;
    const chunks = table?.chunks.items.filter((/** @type {any} */ c) => c.first_row < rows).length || shown.chunks;
    replace(status, h('strong', {}, '✓ Verified'),
      `: the first ${count(first)}${table ? ` of ${count(table.rows)}` : ''} rows, from ${count(chunks)} chunk${chunks === 1 ? '' : 's'} whose blocks hashed to their CIDs, checked in this browser (${elapsed.toFixed(0)} ms).`);
  };
  firstRows.then((result) => {
    if (signal.aborted) return;
    if ('error' in result) {
      const { error } = result;
      if (error instanceof GatewayError && error.status === 401) {
        status.textContent = 'The node needs a token to send the rows.';
        return;
      }
      status.dataset.state = 'error';
      status.setAttribute('role', 'alert');
      replace(status, error instanceof BlockVerificationError
        ? [h('strong', {}, '✗ Verification failed'), ': block ', h('code', { class: 'cid', id: 'bad-block' }, error.cid), ` — ${error.reason}. Its rows are not shown.`]
        : [h('strong', {}, '✗ The rows could not be fetched'), `: ${error instanceof Error ? error.message : error}`]);
      console.warn('the preview failed:', error);
      return;
    }
    shown = result;
    const first = result.cells.length;
    replace(grid, gridOf(result));
    status.dataset.state = 'verified';
    status.dataset.ms = result.elapsed.toFixed(1);
    describe();
    performance.mark('arrowcid:preview-verified', { detail: { rows: first } });
  });
  return (t) => {
    table = t;
    describe();
  };
}

/** The grid of the first rows. @param {FirstRows} firstRows */
function gridOf({ fields, cells }) {
  return h('table', { class: 'grid', id: 'preview-table' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col', class: 'num' }, '#'), fields.map((f) => h('th', { scope: 'col', title: f.type }, f.name)))),
    h('tbody', {}, cells.map((row, i) => h('tr', { 'data-row': i }, h('th', { scope: 'row', class: 'num muted' }, count(i)),
      row.map((c) => (c === null ? h('td', { class: 'null' }, 'null') : h('td', { class: c.numeric ? 'num' : null }, c.text)))))));
}
