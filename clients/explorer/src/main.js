// @ts-check
// The explorer's entry: a hash router (#/ the listing, #/table/CID a table, #/sql a query), the token prompt, and
// the live feed that every page hears.
import { followEvents, onUnauthorized, setToken, token } from './api.js';
import { h, replace } from './dom.js';
import { showListing } from './list.js';
import { showTable } from './table.js';
import { showQuery } from './query.js';
import { routeOf, tableOfRoute } from './early-requests.js';

const main = /** @type {HTMLElement} */ (document.getElementById('main'));
const live = /** @type {HTMLElement} */ (document.getElementById('live'));
const dialog = /** @type {HTMLDialogElement} */ (document.getElementById('token-dialog'));
const tokenInput = /** @type {HTMLInputElement} */ (document.getElementById('token-input'));
const tokenWhy = /** @type {HTMLElement} */ (document.getElementById('token-why'));

/** @type {AbortController | undefined} */
let page;
/** @type {((change: any) => void) | undefined} */
let onChange;

/** Goes to `hash` (a new history entry). @param {string} hash */
function go(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

function route() {
  page?.abort();
  page = new AbortController();
  const path = routeOf(location.hash);
  const query = location.hash.split('?', 2)[1];
  const table = tableOfRoute(path);
  if (table) {
    onChange = showTable(main, table, page.signal);
  } else if (path === '/sql') {
    onChange = showQuery(main, new URLSearchParams(query ?? ''), page.signal, go);
  } else if (path === '/') {
    onChange = showListing(main, new URLSearchParams(query ?? ''), page.signal, go);
  } else {
    onChange = undefined;
    replace(main, h('h1', {}, 'Not found'), h('p', {}, h('a', { href: '#/' }, 'Back to the tables')));
  }
  main.focus({ preventScroll: true });
}

/** @type {Promise<void> | undefined} */
let asking;

/** Asks for a token (one prompt at a time); resolves once one is kept. @param {string} why */
function askToken(why) {
  asking ??= new Promise((resolve) => {
    tokenWhy.textContent = `${why}. Give a read token: it is kept for this tab only and sent as a header.`;
    tokenInput.value = '';
    dialog.showModal();
    dialog.addEventListener('close', () => {
      asking = undefined;
      resolve();
    }, { once: true });
  });
  return asking;
}

dialog.addEventListener('submit', () => setToken(tokenInput.value.trim()));
document.getElementById('token-clear')?.addEventListener('click', () => {
  setToken(undefined);
  dialog.close();
});
document.getElementById('token-button')?.addEventListener('click', () => {
  tokenWhy.textContent = token() ? 'A token is kept for this tab; give another or forget it.' : 'No token is kept; this node may not need one.';
  tokenInput.value = '';
  dialog.showModal();
});
// Escape closes the dialog without a token: keep asking while the node refuses.
onUnauthorized(askToken);

const labels = { live: 'live', offline: 'offline: retrying' };
followEvents(
  (change) => onChange?.({ ...change, type: change.change }),
  (state) => {
    live.dataset.state = state;
    live.textContent = labels[/** @type {keyof typeof labels} */ (state)] ?? state;
  },
  new AbortController().signal);

window.addEventListener('hashchange', route);
// When the script (with everything it imports) has been evaluated: bench/first-rows.mjs reads it.
performance.mark('arrowcid:script-evaluated');
route();
