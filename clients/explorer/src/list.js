// @ts-check
// The home page: the node's tables and names, with search (text, and KEY=VALUE words as tag
// filters), paging, and live updates.
import { getJson } from './api.js';
import { bytes, count, h, kindLabel, replace, shortCid, when } from './dom.js';

const pageSize = 50;

/**
 * The search words split into tag filters (KEY=VALUE) and free text.
 * @param {string} search
 */
export function parseSearch(search) {
  const words = search.trim().split(/\s+/).filter(Boolean);
  return {
    tags: words.filter((w) => /^[^=]+=/.test(w)),
    text: words.filter((w) => !/^[^=]+=/.test(w)).join(' '),
  };
}

/**
 * Renders the listing into `main` for the search in the hash; returns what the live feed calls on a change.
 * @param {HTMLElement} main
 * @param {URLSearchParams} params q (the search), after (the page's cursor)
 * @param {AbortSignal} signal
 * @param {(hash: string) => void} go
 */
export function showListing(main, params, signal, go) {
  const search = params.get('q') ?? '';
  const after = params.get('after') ?? '';
  const { tags, text } = parseSearch(search);
  const query = new URLSearchParams({ limit: String(pageSize) });
  for (const tag of tags) query.append('tag', tag);
  if (text) query.set('q', text);
  const namesQuery = new URLSearchParams({ limit: '100' });
  if (text) namesQuery.set('q', text);

  const input = /** @type {HTMLInputElement} */ (h('input', {
    type: 'search', id: 'search', name: 'q', value: search, placeholder: 'Search CIDs, names, tags — KEY=VALUE filters by tag',
    'aria-label': 'Search tables',
  }));
  const form = h('form', {
    class: 'toolbar', role: 'search',
    'on:submit': (/** @type {Event} */ e) => {
      e.preventDefault();
      go(hashOf(input.value.trim(), ''));
    },
  }, input, h('button', { type: 'submit' }, 'Search'), search ? h('a', { class: 'button', href: '#/' }, 'Clear') : null);

  const banner = h('div', { id: 'banner', role: 'status', 'aria-live': 'polite' });
  const tables = h('section', { id: 'tables', 'aria-labelledby': 'tables-title' }, h('p', { class: 'muted' }, 'Loading tables…'));
  const names = h('section', { id: 'names', class: 'panel', 'aria-labelledby': 'names-title' }, h('h2', { id: 'names-title' }, 'Names'), h('p', { class: 'muted' }, 'Loading…'));
  replace(main, h('h1', {}, 'Tables'), form, h('div', { class: 'layout' }, h('div', {}, banner, tables), names));

  /** @type {Set<string>} */
  let shown = new Set();
  let firstLoad = true;
  // Whether a change arrived since the page was last listed.
  let changed = false;

  async function load() {
    try {
      const page = await getJson(`/api/v1/tables?${query}${after ? `&after=${encodeURIComponent(after)}` : ''}`, signal);
      renderTables(page, firstLoad ? new Set() : new Set(page.items.map((/** @type {any} */ t) => t.cid).filter((/** @type {string} */ c) => !shown.has(c))));
      shown = new Set(page.items.map((/** @type {any} */ t) => t.cid));
      firstLoad = false;
    } catch (error) {
      if (!signal.aborted) replace(tables, h('p', { class: 'error', role: 'alert' }, `The tables could not be listed: ${error instanceof Error ? error.message : error}`));
    }
    try {
      const page = await getJson(`/api/v1/names?${namesQuery}`, signal);
      renderNames(page);
    } catch (error) {
      if (!signal.aborted) replace(names, h('h2', { id: 'names-title' }, 'Names'), h('p', { class: 'error' }, `${error instanceof Error ? error.message : error}`));
    }
  }

  /** @param {any} page @param {Set<string>} fresh */
  function renderTables(page, fresh) {
    const rows = page.items.map((/** @type {any} */ t) => h('tr', { class: fresh.has(t.cid) ? 'new' : null, 'data-cid': t.cid },
      h('td', { 'data-label': 'Table' },
        h('a', { href: `#/table/${t.cid}`, class: 'cid', title: t.cid }, t.names?.length ? t.names.map((/** @type {any} */ n) => `${n.name}@${n.version}`).join(', ') : shortCid(t.cid)),
        t.names?.length ? h('div', { class: 'muted cid' }, shortCid(t.cid)) : null),
      h('td', { 'data-label': 'Kind' }, kindLabel(t.kind)),
      h('td', { class: 'num', 'data-label': 'Rows' }, count(t.rows)),
      h('td', { class: 'num', 'data-label': 'Bytes' }, bytes(t.bytes)),
      h('td', { class: 'num', 'data-label': 'Chunks' }, count(t.chunks)),
      h('td', { 'data-label': 'Tags' }, tagChips(t.tags, search, go)),
      h('td', { 'data-label': 'Created' }, when(t.created))));
    const pager = h('nav', { class: 'pager', 'aria-label': 'Pages' },
      h('button', { type: 'button', disabled: !after, 'on:click': () => history.back() }, '← Previous'),
      h('button', { type: 'button', disabled: !page.next, 'on:click': () => go(hashOf(search, page.next)) }, 'Next →'),
      h('span', { class: 'muted' }, `${page.items.length} table${page.items.length === 1 ? '' : 's'} on this page`));
    replace(tables,
      h('h2', { id: 'tables-title', class: 'visually-hidden' }, search ? `Tables matching “${search}”` : 'All tables'),
      page.items.length === 0
        ? h('p', { class: 'muted' }, search ? 'No table matches.' : 'No tables yet: put one (arrowcid put, or POST /api/v1/tables) and it appears here.')
        : h('div', { class: 'scroll' }, h('table', { class: 'grid cards', id: 'table-list' },
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Table'), h('th', { scope: 'col' }, 'Kind'), h('th', { scope: 'col', class: 'num' }, 'Rows'),
            h('th', { scope: 'col', class: 'num' }, 'Bytes'), h('th', { scope: 'col', class: 'num' }, 'Chunks'), h('th', { scope: 'col' }, 'Tags'), h('th', { scope: 'col' }, 'Created'))),
          h('tbody', {}, rows))),
      pager);
    if (fresh.size > 0) replace(banner, h('p', { class: 'banner' }, `${fresh.size} new table${fresh.size === 1 ? '' : 's'} arrived.`));
    else if (page.next && changed) replace(banner, h('p', { class: 'banner' }, 'The node has changed: new tables are listed on the last page.'));
    changed = false;
  }

  /** @param {any} page */
  function renderNames(page) {
    replace(names, h('h2', { id: 'names-title' }, 'Names'),
      page.items.length === 0 ? h('p', { class: 'muted' }, 'No names.') : h('ul', {}, page.items.map((/** @type {any} */ n) => h('li', {},
        h('a', { href: `#/table/${n.cid}` }, n.name),
        h('span', { class: 'muted' }, ` · ${n.versions} version${n.versions === 1 ? '' : 's'} · ${when(n.updated)}`)))),
      page.next ? h('p', { class: 'muted' }, 'More names: narrow the search.') : null);
  }

  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  load();
  // A change of the registry: list the page again (a burst of changes, e.g. a put's chunks, lists it once).
  return (/** @type {any} */ change) => {
    if (!['registered', 'versioned', 'tagged', 'deleted', 'updated'].includes(change.type)) return;
    changed = true;
    clearTimeout(timer);
    timer = setTimeout(load, 200);
  };
}

/** The hash of a listing. @param {string} search @param {string} after */
export function hashOf(search, after) {
  const params = new URLSearchParams();
  if (search) params.set('q', search);
  if (after) params.set('after', after);
  const text = params.toString();
  return text ? `#/?${text}` : '#/';
}

/**
 * Tag chips; choosing one adds KEY=VALUE to the search.
 * @param {Record<string, string> | undefined} tags
 * @param {string} search
 * @param {(hash: string) => void} go
 */
export function tagChips(tags, search, go) {
  return Object.entries(tags ?? {}).map(([key, value]) => h('button', {
    type: 'button', class: 'tag', title: `Show tables tagged ${key}=${value}`,
    'on:click': () => go(hashOf(`${search.split(/\s+/).filter((w) => w && w !== `${key}=${value}`).join(' ')} ${key}=${value}`.trim(), '')),
  }, `${key}=${value}`));
}
