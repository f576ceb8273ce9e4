// @ts-check
// The preview grid: the table's first rows, fetched block by block through the gateway and verified
// here (every block hashed against its CID, the manifest tree checked) by the JavaScript client's
// fetchTable. It stops fetching once it has the rows it shows, so a large table costs its first chunks.
import { DataType } from 'apache-arrow';
import { BlockVerificationError, GatewayError, fetchTable } from '../../js/src/index.js';
import { token } from './api.js';
import { count, h, replace } from './dom.js';
import { fetchTakingEarly, previewConcurrency, previewRows } from './early-requests.js';

/**
 * Starts fetching and verifying the first rows of table `cid` at once (while the page asks the node
 * about the table): resolves to the batches, their rows and the time taken, or to the error.
 * @param {string} cid @param {AbortSignal} signal
 * @returns {Promise<{ batches: import('apache-arrow').RecordBatch[], rows: number, elapsed: number } | { error: unknown }>}
 */
export async function fetchFirstRows(cid, signal) {
  const started = performance.now();
  /** @type {import('apache-arrow').RecordBatch[]} */
  const batches = [];
  let rows = 0;
  try {
    for await (const batch of fetchTable(cid, { gateway: location.origin, token: token(), signal, concurrency: previewConcurrency, fetch: fetchTakingEarly })) {
      batches.push(batch);
      rows += batch.numRows;
      // Enough to show: leaving the loop stops fetching the rest of the table.
      if (rows >= previewRows) break;
    }
  } catch (error) {
    return { error };
  }
  return { batches, rows, elapsed: performance.now() - started };
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
  /** @type {{ batches: import('apache-arrow').RecordBatch[], rows: number, elapsed: number } | undefined} */
  let shown;
  const describe = () => {
    if (!shown) return;
    const { batches, rows, elapsed } = shown;
    const first = Math.min(rows, previewRows);
    const chunks = table?.chunks.items.filter((/** @type {any} */ c) => c.firstRow < rows).length || batches.length;
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
    const first = Math.min(result.rows, previewRows);
    replace(grid, gridOf(result.batches, first));
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

/** The grid of the first `limit` rows of `batches`. @param {import('apache-arrow').RecordBatch[]} batches @param {number} limit */
function gridOf(batches, limit) {
  const fields = batches[0]?.schema.fields ?? [];
  /** @type {HTMLElement[]} */
  const rows = [];
  let row = 0;
  for (const batch of batches) {
    for (let i = 0; i < batch.numRows && row < limit; i++, row++) {
      rows.push(h('tr', { 'data-row': row }, h('th', { scope: 'row', class: 'num muted' }, count(row)),
        fields.map((field, column) => cell(batch.getChildAt(column)?.get(i), field.type))));
    }
  }
  return h('table', { class: 'grid', id: 'preview-table' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col', class: 'num' }, '#'), fields.map((f) => h('th', { scope: 'col', title: String(f.type) }, f.name)))),
    h('tbody', {}, rows));
}

/** @param {any} value @param {import('apache-arrow').DataType} type */
function cell(value, type) {
  if (value === null || value === undefined) return h('td', { class: 'null' }, 'null');
  const numeric = typeof value === 'number' || typeof value === 'bigint';
  return h('td', { class: numeric && !DataType.isTimestamp(type) && !DataType.isDate(type) ? 'num' : null }, formatValue(value, type));
}

/** A value as text: dates in ISO form, bytes in hex, nested values as JSON; long text shortened. @param {any} value @param {import('apache-arrow').DataType} [type] */
export function formatValue(value, type) {
  let text;
  if (type && (DataType.isTimestamp(type) || DataType.isDate(type)) && typeof value === 'number') text = new Date(value).toISOString();
  else if (typeof value === 'string') text = value;
  else if (typeof value === 'bigint' || typeof value === 'number' || typeof value === 'boolean') text = String(value);
  else if (value instanceof Uint8Array) text = `0x${Array.from(value.subarray(0, 32), (b) => b.toString(16).padStart(2, '0')).join('')}${value.length > 32 ? '…' : ''}`;
  else if (value instanceof Date) text = value.toISOString();
  else text = JSON.stringify(typeof value.toJSON === 'function' ? value.toJSON() : value, (_, v) => (typeof v === 'bigint' ? v.toString() : v));
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
