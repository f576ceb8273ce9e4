// The manifest tree, version 2 (docs/canonical-form.md §7.5): DAG-CBOR nodes over the chunks.

import * as dagCbor from '@ipld/dag-cbor';
import { CID } from 'multiformats/cid';
import { sha256 } from 'multiformats/hashes/sha2';

export const MAX_NODE_ENTRIES = 4096;

async function encodeNode(node) {
  const bytes = dagCbor.encode(node);
  const cid = CID.createV1(dagCbor.code, await sha256.digest(bytes));
  return { cid, bytes };
}

/** Cuts a level's entries into nodes: after a CID whose digest[0] & 0x3F is 0 (≥ 2 entries), at 4,096, at the end. */
function cutLevel(entries) {
  const nodes = [];
  let current = [];
  for (const entry of entries) {
    current.push(entry);
    if ((current.length >= 2 && (entry.cid.multihash.digest[0] & 0x3f) === 0) || current.length === MAX_NODE_ENTRIES) {
      nodes.push(current);
      current = [];
    }
  }
  if (current.length > 0) nodes.push(current);
  return nodes;
}

const sum = (entries, key) => entries.reduce((s, e) => s + e[key], 0);

/**
 * The tree over chunk entries ({ cid, rows, bytes }, in row order, at least 2) and the canonical
 * Schema message; returns { root: { cid, bytes }, nodes: [{ cid, bytes, level }] } (root last).
 */
export async function buildManifestTree(chunks, schemaMessage) {
  const written = [];
  let entries = chunks;
  for (let level = 0; ; level++) {
    const groups = cutLevel(entries);
    const body = (group) => ({
      version: 2,
      level,
      entries: group.map((e) => ({ cid: e.cid, rows: e.rows, bytes: e.bytes })),
      rows: sum(group, 'rows'),
      bytes: sum(group, 'bytes'),
    });
    if (groups.length === 1) {
      const root = await encodeNode({ type: 'arrowcid/dataset', schema: schemaMessage, ...body(groups[0]) });
      written.push({ ...root, level });
      return { root, nodes: written };
    }
    const next = [];
    for (const group of groups) {
      const node = await encodeNode({ type: 'arrowcid/dataset-node', ...body(group) });
      written.push({ ...node, level });
      next.push({ cid: node.cid, rows: sum(group, 'rows'), bytes: sum(group, 'bytes') });
    }
    entries = next;
  }
}
