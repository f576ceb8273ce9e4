// Verification of blocks against their CIDs and the walk of a table's manifest tree
// (docs/canonical-form.md §7.5, docs/datasets.md for version 1). Transport-agnostic: the caller
// supplies getBlock(cid) → bytes (the gateway's /ipfs/{cid}?format=raw, or Flight's block action),
// and every block it returns is checked here before anything of it is believed.
import { CID } from 'multiformats/cid';
import { sha256 } from 'multiformats/hashes/sha2';
import * as dagCbor from '@ipld/dag-cbor';
import { BlockVerificationError, ManifestFormatError, TableWalkLimitError } from './errors.js';

export const RAW_CODE = 0x55;
export const DAG_CBOR_CODE = 0x71;
const SHA2_256_CODE = 0x12;
const MAX_BLOCK_BYTES = 1_048_576;
const MAX_ENTRIES = 4096;
const MAX_ROOT_LEVEL = 40;
const MAX_ROWS = 2 ** 31 - 1;
const ROOT_KEYS = ['bytes', 'entries', 'level', 'rows', 'schema', 'type', 'version'];
const NODE_KEYS = ['bytes', 'entries', 'level', 'rows', 'type', 'version'];
const V1_KEYS = ['batches', 'bytes', 'rows', 'schema', 'type', 'version'];
const ENTRY_KEYS = ['bytes', 'cid', 'rows'];

/** A CID from text, a CID object (of any multiformats copy) or bytes; null when it is none. */
export function toCid(value) {
  if (value === null || value === undefined) return null;
  const asCid = CID.asCID(value);
  if (asCid) return asCid;
  if (typeof value !== 'string') return null;
  try {
    return CID.parse(value.trim());
  } catch {
    return null;
  }
}

function bytesEqual(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Checks that `bytes` are the block `cid` names: CIDv1, sha2-256, the expected codec (when given)
 * and the digest of the bytes. Uses the platform's SHA-256 (node:crypto in Node, WebCrypto in a
 * browser) through multiformats.
 */
export async function verifyBlock(cid, bytes, expectedCodec) {
  if (cid.version !== 1) throw new BlockVerificationError(cid, 'not a CIDv1');
  if (cid.multihash.code !== SHA2_256_CODE) throw new BlockVerificationError(cid, `multihash 0x${cid.multihash.code.toString(16)} is not sha2-256`);
  if (expectedCodec !== undefined && cid.code !== expectedCodec) {
    throw new BlockVerificationError(cid, `codec 0x${cid.code.toString(16)} where 0x${expectedCodec.toString(16)} belongs`);
  }
  const digest = await sha256.digest(bytes);
  if (!bytesEqual(digest.digest, cid.multihash.digest)) {
    throw new BlockVerificationError(cid, `its ${bytes.length} bytes hash to ${CID.createV1(cid.code, digest)}`);
  }
}

function exactKeys(cid, where, value, keys) {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array || CID.asCID(value)) {
    throw new ManifestFormatError(cid, where, 'not a map');
  }
  const present = Object.keys(value).sort();
  if (present.length !== keys.length || present.some((k, i) => k !== keys[i])) {
    throw new ManifestFormatError(cid, where, `keys ${present.join(',')} where ${keys.join(',')} belong`);
  }
}

function integer(cid, field, value, min, max) {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new ManifestFormatError(cid, field, `${String(value)} is not an integer in ${min}…${max}`);
  }
  return value;
}

function decodeNode(cid, bytes) {
  if (bytes.length > MAX_BLOCK_BYTES) throw new ManifestFormatError(cid, 'size', `${bytes.length} bytes is over 1 MiB`);
  let node;
  try {
    node = dagCbor.decode(bytes);
  } catch (error) {
    throw new ManifestFormatError(cid, 'encoding', `not strict DAG-CBOR (${error.message})`, { cause: error });
  }
  // Strict DAG-CBOR has one encoding per value; anything else (key order, integer widths) re-encodes differently.
  if (!bytesEqual(dagCbor.encode(node), bytes)) throw new ManifestFormatError(cid, 'encoding', 'not in canonical DAG-CBOR form');
  return node;
}

function readEntries(cid, field, list, { min, max, linkCodec, minRows }) {
  const level0 = linkCodec === RAW_CODE;
  if (!Array.isArray(list)) throw new ManifestFormatError(cid, field, 'not a list');
  if (list.length < min || list.length > max) throw new ManifestFormatError(cid, field, `${list.length} entries, outside ${min}…${max}`);
  let rows = 0;
  let bytes = 0;
  const entries = list.map((entry, i) => {
    const where = `${field}[${i}]`;
    exactKeys(cid, where, entry, ENTRY_KEYS);
    const link = CID.asCID(entry.cid);
    if (!link) throw new ManifestFormatError(cid, `${where}.cid`, 'not a link');
    if (link.version !== 1 || link.code !== linkCodec || link.multihash.code !== SHA2_256_CODE) {
      throw new ManifestFormatError(cid, `${where}.cid`, `${link} is not a CIDv1 ${linkCodec === RAW_CODE ? 'raw' : 'dag-cbor'} sha2-256 link`);
    }
    const entryRows = integer(cid, `${where}.rows`, entry.rows, minRows, level0 ? MAX_ROWS : Number.MAX_SAFE_INTEGER);
    const entryBytes = integer(cid, `${where}.bytes`, entry.bytes, 1, Number.MAX_SAFE_INTEGER);
    if (level0 && entryBytes > MAX_BLOCK_BYTES && entryRows !== 1) {
      throw new ManifestFormatError(cid, `${where}.bytes`, `a chunk of ${entryRows} rows cannot be ${entryBytes} bytes`);
    }
    rows += entryRows;
    bytes += entryBytes;
    return { cid: link, rows: entryRows, bytes: entryBytes };
  });
  return { entries, rows, bytes };
}

function checkTotals(cid, node, sums) {
  if (integer(cid, 'rows', node.rows, 0, Number.MAX_SAFE_INTEGER) !== sums.rows) throw new ManifestFormatError(cid, 'rows', `${node.rows} is not the entries' sum ${sums.rows}`);
  if (integer(cid, 'bytes', node.bytes, 0, Number.MAX_SAFE_INTEGER) !== sums.bytes) throw new ManifestFormatError(cid, 'bytes', `${node.bytes} is not the entries' sum ${sums.bytes}`);
}

/** Decodes a verified root block: a version-2 tree root or a version-1 dataset manifest. */
function readRoot(cid, bytes) {
  const node = decodeNode(cid, bytes);
  if (node === null || typeof node !== 'object' || !('version' in node)) throw new ManifestFormatError(cid, 'version', 'missing');
  if (node.version === 1) {
    exactKeys(cid, 'root', node, V1_KEYS);
    if (node.type !== 'arrowcid/dataset') throw new ManifestFormatError(cid, 'type', `${JSON.stringify(node.type)} is not "arrowcid/dataset"`);
    if (!(node.schema instanceof Uint8Array)) throw new ManifestFormatError(cid, 'schema', 'not bytes');
    const sums = readEntries(cid, 'batches', node.batches, { min: 0, max: Number.MAX_SAFE_INTEGER, linkCodec: RAW_CODE, minRows: 0 });
    checkTotals(cid, node, sums);
    return { version: 1, level: 0, schema: node.schema, rows: node.rows, bytes: node.bytes, entries: sums.entries };
  }
  if (node.version !== 2) throw new ManifestFormatError(cid, 'version', `${String(node.version)} is not 1 or 2`);
  exactKeys(cid, 'root', node, ROOT_KEYS);
  if (node.type !== 'arrowcid/dataset') throw new ManifestFormatError(cid, 'type', `${JSON.stringify(node.type)} is not "arrowcid/dataset"`);
  if (!(node.schema instanceof Uint8Array)) throw new ManifestFormatError(cid, 'schema', 'not bytes');
  const level = integer(cid, 'level', node.level, 0, MAX_ROOT_LEVEL);
  const sums = readEntries(cid, 'entries', node.entries, { min: 2, max: MAX_ENTRIES, linkCodec: level === 0 ? RAW_CODE : DAG_CBOR_CODE, minRows: 1 });
  checkTotals(cid, node, sums);
  return { version: 2, level, schema: node.schema, rows: node.rows, bytes: node.bytes, entries: sums.entries };
}

/** Decodes a verified node below the root, checking it against its parent's entry. */
function readChild(cid, bytes, parentEntry, expectedLevel) {
  const node = decodeNode(cid, bytes);
  exactKeys(cid, 'node', node, NODE_KEYS);
  if (node.type !== 'arrowcid/dataset-node') throw new ManifestFormatError(cid, 'type', `${JSON.stringify(node.type)} is not "arrowcid/dataset-node"`);
  if (node.version !== 2) throw new ManifestFormatError(cid, 'version', `${String(node.version)} is not 2`);
  if (node.level !== expectedLevel) throw new ManifestFormatError(cid, 'level', `${String(node.level)} where its parent says ${expectedLevel}`);
  const sums = readEntries(cid, 'entries', node.entries, { min: 1, max: MAX_ENTRIES, linkCodec: expectedLevel === 0 ? RAW_CODE : DAG_CBOR_CODE, minRows: 1 });
  checkTotals(cid, node, sums);
  if (node.rows !== parentEntry.rows) throw new ManifestFormatError(cid, 'rows', `${node.rows} where its parent's entry says ${parentEntry.rows}`);
  if (node.bytes !== parentEntry.bytes) throw new ManifestFormatError(cid, 'bytes', `${node.bytes} where its parent's entry says ${parentEntry.bytes}`);
  return sums.entries;
}

/** The most chunks a walk yields unless told otherwise (as the .NET client's FlightClientOptions.MaxTableChunks). */
export const DEFAULT_MAX_CHUNKS = 1 << 20;

/**
 * Opens a table by its CID: `{ cid, schema, rows, bytes, chunks }` where `chunks()` is an async
 * iterator of the chunk entries `{ cid, rows, bytes }` in row order, fetching and verifying tree
 * nodes as it goes, and throwing TableWalkLimitError past `maxChunks` entries. A raw CID is a
 * one-chunk table (its rows and schema are known only once the chunk is read: `rows` and `schema`
 * are then undefined).
 */
export async function openTable(cid, getBlock, { maxChunks = DEFAULT_MAX_CHUNKS } = {}) {
  const limit = Math.max(1, Math.floor(maxChunks));
  if (cid.code === RAW_CODE) {
    return { cid, schema: undefined, rows: undefined, bytes: undefined, async *chunks() { yield { cid, rows: undefined, bytes: undefined }; } };
  }
  if (cid.code !== DAG_CBOR_CODE) throw new BlockVerificationError(cid, `codec 0x${cid.code.toString(16)} is neither a chunk (raw) nor a manifest (dag-cbor)`);
  const rootBytes = await getBlock(cid);
  await verifyBlock(cid, rootBytes, DAG_CBOR_CODE);
  const root = readRoot(cid, rootBytes);
  let walked = 0;
  async function* below(entries, level) {
    for (const entry of entries) {
      if (level === 0) {
        if (++walked > limit) throw new TableWalkLimitError(cid, limit);
        yield entry;
        continue;
      }
      const bytes = await getBlock(entry.cid);
      await verifyBlock(entry.cid, bytes, DAG_CBOR_CODE);
      yield* below(readChild(entry.cid, bytes, entry, level - 1), level - 1);
    }
  }
  return { cid, schema: root.schema, rows: root.rows, bytes: root.bytes, chunks: () => below(root.entries, root.level) };
}

/**
 * Checks a fetched chunk block against its manifest entry and the table's schema message: its
 * hash, its length, and (for a manifest's chunk) that it begins with the root's schema bytes.
 */
export async function verifyChunk(entry, bytes, schema) {
  await verifyBlock(entry.cid, bytes, RAW_CODE);
  if (entry.bytes !== undefined && bytes.length !== entry.bytes) {
    throw new BlockVerificationError(entry.cid, `${bytes.length} bytes where the manifest says ${entry.bytes}`);
  }
  if (schema && !bytesEqual(bytes.subarray(0, schema.length), schema)) {
    throw new ManifestFormatError(entry.cid, 'schema', "the chunk's schema message is not the table's");
  }
}
