// @ts-check
// The query page (#/sql?q=…): SQL over the node's tables through POST /api/v1/sql. The answer is
// stored by the node as a table: the page shows the CID it is stored under (a link to its table
// page, where its blocks are fetched and verified), whether an earlier run's result answered, the
// versions the query read, and its first rows.
import { postSql } from './api.js';
import { copyButton, count, h, replace, shortCid } from './dom.js';

/** Rows the page shows of an answer. */
export const shownRows = 100;

/**
 * Draws the query page into `main`; runs the query of the address (`q`) when there is one.
 * @param {HTMLElement} main
 * @param {URLSearchParams} params
 * @param {AbortSignal} signal
 * @param {(hash: string) => void} go
 */
export function showQuery(main, params, signal, go) {
  const text = params.get('q') ?? '';
  const input = /** @type {HTMLTextAreaElement} */ (h('textarea', {
    id: 'sql', rows: 6, spellcheck: 'false', autocapitalize: 'off', 'aria-label': 'SQL query',
    placeholder: 'SELECT * FROM "name" LIMIT 10',
  }));
  input.value = text;
  const submit = () => go(`#/sql?q=${encodeURIComponent(input.value)}`);
  // Ctrl+Enter (or ⌘+Enter) runs, as in other SQL editors.
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      submit();
    }
  });
  const form = h('form', { id: 'sql-form', 'on:submit': (/** @type {Event} */ event) => { event.preventDefault(); submit(); } },
    input, h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Run')));
  const result = h('section', { id: 'sql-result', 'aria-live': 'polite' });
  replace(main,
    h('h1', {}, 'SQL'),
    h('p', { class: 'muted' }, 'Name a table by its name, a version as "name@N", or any table by its CID. The answer is stored and named by its CID.'),
    form, result);
  if (text.trim()) run(text, result, signal);
  return undefined;
}

/** @param {string} text @param {HTMLElement} result @param {AbortSignal} signal */
async function run(text, result, signal) {
  replace(result, h('p', { class: 'muted' }, 'Running…'));
  let answer;
  try {
    answer = await postSql(text, shownRows, signal);
  } catch (error) {
    if (signal.aborted) return;
    replace(result, h('p', { class: 'error', role: 'alert', id: 'sql-error' }, /** @type {Error} */ (error).message));
    return;
  }
  if (signal.aborted) return;
  const { body, rows } = answer;
  const columns = /** @type {{ name: string, type: string }[]} */ (body.columns);
  const shown = /** @type {Record<string, unknown>[]} */ (body.rows);
  replace(result,
    h('p', { id: 'sql-cid' },
      'Result ', h('a', { href: `#/table/${body.cid}`, title: body.cid }, shortCid(body.cid)), ' ', copyButton(body.cid, 'Copy CID'),
      ` · ${count(rows)} ${rows === 1 ? 'row' : 'rows'}`,
      body.reused ? ' · answered by the result stored earlier over the same versions' : ''),
    body.inputs.length > 0
      ? h('p', { class: 'muted', id: 'sql-inputs' }, 'Read: ',
        body.inputs.map((/** @type {any} */ input, /** @type {number} */ i) => [
          i > 0 ? ', ' : '',
          h('a', { href: `#/table/${input.cid}`, title: input.cid }, input.name ? `${input.name}@${input.version}` : shortCid(input.cid)),
        ]))
      : null,
    h('div', { class: 'scroll' },
      h('table', { id: 'sql-rows', class: 'grid' },
        h('thead', {}, h('tr', {}, columns.map((c) => h('th', { title: c.type }, c.name)))),
        h('tbody', {}, shown.map((row) => h('tr', {}, columns.map((c) => h('td', {}, cell(row[c.name])))))))),
    body.truncated ? h('p', { class: 'muted' }, `The first ${count(shown.length)} rows; the whole answer is the table above.`) : null);
}

/** A value as the cell shows it. @param {unknown} value */
function cell(value) {
  if (value === null || value === undefined) return h('span', { class: 'null' }, 'null');
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}
