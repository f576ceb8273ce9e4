// @ts-check
// Small DOM and formatting helpers: no framework, elements built with h().

/**
 * Makes an element. Attributes: `class`, `text`, `on:EVENT` handlers, `data-*`, anything else as an attribute
 * (false/null/undefined left out). Children: nodes, strings, or arrays of them (null/false skipped).
 * @param {string} tag
 * @param {Record<string, any>} [attributes]
 * @param {...any} children
 * @returns {HTMLElement}
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on:')) element.addEventListener(key.slice(3), value);
    else if (key === 'text') element.textContent = String(value);
    else element.setAttribute(key, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

/** @param {Node} parent @param {any[]} children */
function append(parent, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces the children of `parent`. @param {Element} parent @param {...any} children */
export function replace(parent, ...children) {
  parent.replaceChildren();
  append(parent, children);
}

const integer = new Intl.NumberFormat('en');

/** @param {number | bigint | null | undefined} n */
export const count = (n) => (n === null || n === undefined ? '–' : integer.format(n));

/** Bytes in binary units, e.g. "1.5 MiB". @param {number | null | undefined} n */
export function bytes(n) {
  if (n === null || n === undefined) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

/** A date and time in the reader's locale. @param {string | undefined} iso */
export const when = (iso) => (iso ? new Date(iso).toLocaleString() : '–');

/**
 * What a record's kind is, in the words a reader uses: every batch and dataset the API lists is a
 * table (a one-chunk table's CID is its chunk's, raw; a larger one's its manifest's).
 * @param {string} kind the API's kind: batch, dataset, arrow-stream
 */
export const kindLabel = (kind) => ({ batch: 'table (one chunk)', dataset: 'table', 'arrow-stream': 'Arrow stream (kept as sent)' })[kind] ?? kind;

/** The CID shortened for a list: its first 12 and last 6 characters. @param {string} cid */
export const shortCid = (cid) => (cid.length > 24 ? `${cid.slice(0, 12)}…${cid.slice(-6)}` : cid);

/** A copy-to-clipboard button for `text`. @param {string} text @param {string} label */
export function copyButton(text, label = 'Copy') {
  const note = h('span', { class: 'copied', role: 'status', 'aria-live': 'polite' });
  const button = h('button', {
    type: 'button',
    class: 'copy',
    'aria-label': `${label} to the clipboard`,
    'on:click': async () => {
      try {
        await navigator.clipboard.writeText(text);
        note.textContent = 'copied';
      } catch {
        // No clipboard permission (an insecure origin): select the text so the reader can copy it.
        const target = button.previousElementSibling;
        if (target) window.getSelection()?.selectAllChildren(target);
        note.textContent = 'selected: press Ctrl+C';
      }
      setTimeout(() => { note.textContent = ''; }, 2500);
    },
  }, label);
  return h('span', {}, button, note);
}
