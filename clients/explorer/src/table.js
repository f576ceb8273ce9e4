// @ts-check
// A table's page: what the node says of it (schema, rows, bytes, blocks, chunks, tags, versions and
// what each shares with the one before), downloads, a copyable CID, and a preview of its first rows
// fetched and verified here in the browser.
import { getJson, headers, token } from './api.js';
import { resolveName } from '../../js/src/names.js';
import { bytes, copyButton, count, h, kindLabel, replace, shortCid, when } from './dom.js';
import { chunkPage, tableJsonPath } from './early-requests.js';
import { fetchFirstRows, showPreview } from './preview.js';

/** The formats a table downloads as (GET /ipfs/CID?format=…), with a file extension each. */
const downloads = [
  { format: 'arrow', label: 'Arrow stream', extension: 'arrows' },
  { format: 'arrow-file', label: 'Arrow file', extension: 'arrow' },
  { format: 'parquet', label: 'Parquet', extension: 'parquet' },
  { format: 'csv', label: 'CSV', extension: 'csv' },
  { format: 'car', label: 'CAR', extension: 'car' },
];

/**
 * @param {HTMLElement} main
 * @param {string} cid
 * @param {AbortSignal} signal
 * @returns {(change: any) => void} what the live feed calls on a change
 */
export function showTable(main, cid, signal) {
  // The first rows are fetched while the node describes the table, and shown as soon as they
  // verify: the two do not wait for each other. The preview's section is made now and kept when the
  // page is drawn from the node's answer.
  const preview = [h('h2', { id: 'preview-title' }, 'First rows'), h('section', { id: 'preview', 'aria-labelledby': 'preview-title' })];
  replace(main, h('p', { class: 'muted' }, h('a', { href: '#/' }, '← Tables')), h('h1', { class: 'cid' }, cid), h('p', { class: 'muted' }, 'Loading…'), preview);
  /** @type {any} */
  let detail;
  let rowsToken = token();
  let describeRows = showPreview(preview[1], fetchFirstRows(cid, signal), signal);
  const load = async () => {
    try {
      detail = await getJson(tableJsonPath(cid), signal);
      // The reader has left this page meanwhile: it is not ours to draw on any more.
      if (signal.aborted) return;
      // The node asked for a token meanwhile (a 401): fetch the rows again with it.
      if (token() !== rowsToken) {
        rowsToken = token();
        describeRows = showPreview(preview[1], fetchFirstRows(cid, signal), signal);
      }
      render(main, detail, preview, signal);
      describeRows(detail);
    } catch (error) {
      if (signal.aborted) return;
      replace(main, h('p', { class: 'muted' }, h('a', { href: '#/' }, '← Tables')), h('h1', { class: 'cid' }, cid),
        h('p', { class: 'error', role: 'alert' }, `This table cannot be shown: ${error instanceof Error ? error.message : error}`));
    }
  };
  load();
  // A new version of one of its names changes what this table's versions say: ask again.
  return (change) => {
    if (change.type === 'versioned' && detail?.versions?.some((/** @type {any} */ v) => v.name === change.name)) load();
  };
}

/** @param {HTMLElement} main @param {any} t @param {HTMLElement[]} preview its title and section, kept as they are @param {AbortSignal} signal */
function render(main, t, preview, signal) {
  const title = t.versions.length ? t.versions.map((/** @type {any} */ v) => `${v.name}@${v.version}`).join(', ') : shortCid(t.cid);
  const cidText = h('code', { class: 'cid', id: 'table-cid' }, t.cid);
  const chunkRows = h('tbody', {});
  const chunkMore = h('div', {});
  appendChunks(t.cid, t.chunks, chunkRows, chunkMore, signal);

  replace(main,
    h('p', { class: 'muted' }, h('a', { href: '#/' }, '← Tables')),
    h('h1', { id: 'table-title' }, title),
    h('p', {}, cidText, ' ', copyButton(t.cid, 'Copy CID')),
    h('dl', { class: 'facts', id: 'facts' },
      fact('Rows', count(t.rows), 'rows'),
      fact('Data', bytes(t.bytes), 'bytes'),
      fact('Chunks', count(t.chunks.count), 'chunks'),
      t.blocks ? fact('Blocks', `${count(t.blocks.count)} (${bytes(t.blocks.bytes)} with the manifest)`, 'blocks') : null,
      fact('Kind', kindLabel(t.kind), 'kind'),
      fact('Created', when(t.created), 'created'),
      fact('Pinned', t.pinned ? 'yes' : 'no', 'pinned'),
      t.producer ? fact('Producer', t.producer, 'producer') : null,
      t.provenance ? fact('Provenance', t.provenance, 'provenance') : null,
      Object.keys(t.tags).length ? fact('Tags', Object.entries(t.tags).map(([k, v]) => h('a', { class: 'tag', href: `#/?q=${encodeURIComponent(`${k}=${v}`)}` }, `${k}=${v}`)), 'tags') : null),
    h('h2', {}, 'Download'),
    h('div', { class: 'downloads', id: 'downloads' }, downloads.map((d) => downloadLink(t.cid, d))),
    preview,
    h('h2', {}, 'Schema'),
    schemaTable(t.schema),
    h('h2', {}, 'Versions'),
    versionsView(t),
    h('h2', {}, 'Chunks'),
    h('div', { class: 'scroll' }, h('table', { class: 'grid cards', id: 'chunks' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col', class: 'num' }, '#'), h('th', { scope: 'col' }, 'CID'), h('th', { scope: 'col', class: 'num' }, 'First row'),
        h('th', { scope: 'col', class: 'num' }, 'Rows'), h('th', { scope: 'col', class: 'num' }, 'Bytes'))),
      chunkRows)),
    chunkMore);
}

/** @param {string} label @param {any} value @param {string} id */
const fact = (label, value, id) => [h('dt', {}, label), h('dd', { 'data-fact': id }, value)];

/**
 * A link that downloads the table in one format. With a token the link cannot carry it, so a click
 * fetches with the header and saves what arrives.
 * @param {string} cid @param {{ format: string, label: string, extension: string }} d
 */
function downloadLink(cid, d) {
  const href = `/ipfs/${cid}?format=${d.format}`;
  const file = `${cid}.${d.extension}`;
  return h('a', {
    class: 'button', href, download: file, 'data-format': d.format,
    'on:click': async (/** @type {MouseEvent} */ e) => {
      if (!token()) return;
      e.preventDefault();
      const response = await fetch(href, { headers: headers() });
      if (!response.ok) {
        alert(`The download failed: ${response.status} ${response.statusText}`);
        return;
      }
      const url = URL.createObjectURL(await response.blob());
      const save = h('a', { href: url, download: file });
      save.click();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    },
  }, d.label);
}

/** The schema's fields, nested ones indented. @param {any} schema */
function schemaTable(schema) {
  /** @type {HTMLElement[]} */
  const rows = [];
  /** @param {any[]} fields @param {number} depth */
  const add = (fields, depth) => {
    for (const f of fields) {
      rows.push(h('tr', {},
        h('td', { 'data-label': 'Field' }, h('span', { class: `depth-${Math.min(depth, 4)}` }, f.name)),
        h('td', { 'data-label': 'Type' }, h('code', {}, f.type)),
        h('td', { 'data-label': 'Nullable' }, f.nullable ? 'nullable' : 'not null'),
        h('td', { 'data-label': 'Metadata' }, Object.entries(f.metadata ?? {}).map(([k, v]) => h('div', { class: 'mono' }, `${k}: ${v}`)))));
      if (f.children) add(f.children, depth + 1);
    }
  };
  add(schema.fields, 0);
  return [
    h('div', { class: 'scroll' }, h('table', { class: 'grid cards', id: 'schema' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Field'), h('th', { scope: 'col' }, 'Type'), h('th', { scope: 'col' }, 'Nulls'), h('th', { scope: 'col' }, 'Metadata'))),
      h('tbody', {}, rows))),
    Object.keys(schema.metadata ?? {}).length
      ? h('dl', { class: 'facts' }, Object.entries(schema.metadata).map(([k, v]) => [h('dt', { class: 'mono' }, k), h('dd', { class: 'mono' }, v)]))
      : null,
  ];
}

/** Each version of a name that points here, and what it shares with the version before. @param {any} t */
function versionsView(t) {
  if (t.versions.length === 0) return h('p', { class: 'muted', id: 'versions' }, 'No name points at this table.');
  return h('div', { class: 'scroll' }, h('table', { class: 'grid cards', id: 'versions' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Version'), h('th', { scope: 'col' }, 'Recorded'), h('th', { scope: 'col' }, 'Previous'),
      h('th', { scope: 'col' }, 'Shared with previous'), h('th', { scope: 'col' }, 'New'), h('th', { scope: 'col' }, 'Removed'), h('th', { scope: 'col' }, 'Signed'))),
    h('tbody', {}, t.versions.map((/** @type {any} */ v) => h('tr', {},
      h('td', { 'data-label': 'Version' }, `${v.name}@${v.version}`, v.latest ? h('span', { class: 'tag' }, 'latest') : null),
      h('td', { 'data-label': 'Recorded' }, when(v.created)),
      h('td', { 'data-label': 'Previous' }, v.previous ? h('a', { href: `#/table/${v.previous.cid}` }, `@${v.previous.version}`) : h('span', { class: 'muted' }, 'none (first version)')),
      h('td', { 'data-label': 'Shared' }, v.shared ? [blockCount(v.shared), shareBar(v)] : h('span', { class: 'muted' }, v.previous ? 'unknown (blocks not here)' : '–')),
      h('td', { 'data-label': 'New' }, v.new ? blockCount(v.new) : '–'),
      h('td', { 'data-label': 'Removed' }, v.removed ? blockCount(v.removed) : '–'),
      h('td', { 'data-label': 'Signed' }, signature(t.cid, v)))))));
}

/**
 * Whether the version is in the history its name's key signed: the record and the chain are fetched
 * and verified here (resolveName), not taken from the node. Shows "signed by k51… ✓" or what failed.
 * @param {string} cid @param {any} v
 */
function signature(cid, v) {
  if (!v.signer) return h('span', { class: 'muted', 'data-signed': 'unknown' }, 'not linked yet');
  const cell = h('span', { class: 'muted', 'data-signed': 'checking', title: v.signer }, 'checking…');
  const short = `${v.signer.slice(0, 9)}…${v.signer.slice(-4)}`;
  resolveName(v.signer, { token: token() }).then(
    (resolved) => {
      const inChain = resolved.chain.some((/** @type {any} */ c) => c.name === v.name && c.version === v.version && String(c.table) === cid && String(c.node) === v.node);
      replace(cell, inChain ? `signed by ${short} ✓` : `✗ not in the history ${short} signed`);
      cell.className = inChain ? 'signed' : 'error';
      cell.dataset.signed = inChain ? 'verified' : 'absent';
    },
    (/** @type {any} */ error) => {
      replace(cell, `✗ ${error.code ?? 'failed'}: ${error.message}`);
      cell.className = 'error';
      cell.dataset.signed = error.code ?? 'failed';
    });
  return cell;
}

/** @param {{ count: number, bytes: number }} b */
const blockCount = (b) => `${count(b.count)} block${b.count === 1 ? '' : 's'}, ${bytes(b.bytes)}`;

/** A bar: the share of this version's bytes it already had in the one before. @param {any} v */
function shareBar(v) {
  const total = v.shared.bytes + v.new.bytes;
  const shared = total === 0 ? 0 : Math.round((100 * v.shared.bytes) / total);
  const sharedPart = h('span', { class: 'shared' });
  const addedPart = h('span', { class: 'added' });
  // Widths through the CSSOM: the Content-Security-Policy allows no inline style attributes.
  sharedPart.style.width = `${shared}%`;
  addedPart.style.width = `${100 - shared}%`;
  return h('div', { class: 'bar', role: 'img', 'aria-label': `${shared}% of its bytes shared with the previous version`, title: `${shared}% shared` }, sharedPart, addedPart);
}

/**
 * Appends a page of chunks, with a button for the next page.
 * @param {string} cid @param {any} page @param {HTMLElement} rows @param {HTMLElement} more @param {AbortSignal} signal
 */
function appendChunks(cid, page, rows, more, signal) {
  page.items.forEach((/** @type {any} */ c, /** @type {number} */ i) => rows.appendChild(h('tr', {},
    h('td', { class: 'num', 'data-label': '#' }, count(page.offset + i)),
    h('td', { 'data-label': 'CID', class: 'cid' }, h('a', { href: `/ipfs/${c.cid}?format=raw`, download: `${c.cid}.bin`, title: 'Download the raw block' }, c.cid)),
    h('td', { class: 'num', 'data-label': 'First row' }, count(c.first_row)),
    h('td', { class: 'num', 'data-label': 'Rows' }, count(c.rows)),
    h('td', { class: 'num', 'data-label': 'Bytes' }, bytes(c.bytes)))));
  replace(more, page.next_offset == null ? null : h('button', {
    type: 'button',
    'on:click': async () => {
      const next = await getJson(`/api/v1/tables/${cid}?chunkOffset=${page.next_offset}&chunkLimit=${chunkPage}`, signal);
      appendChunks(cid, next.chunks, rows, more, signal);
    },
  }, `More chunks (${count(page.count - page.next_offset)} left)`));
}
