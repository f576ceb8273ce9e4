// Signed names (docs/names.md): an IPNS name's record fetched from a node's delegated routing API
// (GET /routing/v1/ipns/{name}), its V2 signature checked with WebCrypto's Ed25519 against the key
// the name is, and its chain of version nodes fetched by CID, each hashed against its CID, back to
// version 1. Nothing the node says is trusted: a failure is a NameVerificationError naming it.
import { CID } from 'multiformats/cid';
import { base36 } from 'multiformats/bases/base36';
import * as dagCbor from '@ipld/dag-cbor';
import { gatewayBase, gatewayFetch, getRawBlock } from './http.js';
import { verifyBlock } from './manifest.js';
import { BlockVerificationError, NameVerificationError } from './errors.js';

const LIBP2P_KEY = 0x72;
const IDENTITY = 0x00;
const DAG_CBOR = 0x71;
const MAX_RECORD_BYTES = 10 * 1024;
// A libp2p protobuf PublicKey of type Ed25519 (1) with its 32-byte key: 08 01 12 20.
const ED25519_PREFIX = [0x08, 0x01, 0x12, 0x20];
const SIGNATURE_PREFIX = new TextEncoder().encode('ipns-signature:');

/** The Ed25519 public key an IPNS name (`k51…`, `/ipns/k51…`, or the CID in another base) is. */
export function ipnsPublicKey(name) {
  const text = String(name).replace(/^\/ipns\//, '');
  let cid;
  try {
    cid = text.startsWith('k') ? CID.parse(text, base36) : CID.parse(text);
  } catch (error) {
    throw new TypeError(`'${text}' is not an IPNS name (k51…)`, { cause: error });
  }
  const digest = cid.multihash.digest;
  if (cid.code !== LIBP2P_KEY || cid.multihash.code !== IDENTITY || digest.length !== 36 || ED25519_PREFIX.some((b, i) => digest[i] !== b)) {
    throw new TypeError(`'${text}' is not the IPNS name of an Ed25519 key`);
  }
  return { name: cid.toString(base36), publicKey: digest.subarray(4) };
}

/**
 * Resolves and verifies an IPNS name through a node's gateway: `{ ipns, name, version, table,
 * node, validity, versions, chain }`, where `table` is the CID the latest version names, `versions`
 * how many nodes were verified back to version 1, and `chain` those nodes, newest first
 * (`{ name, version, node, table, signer }`).
 */
export async function resolveName(ipnsName, { gateway, token, signal, fetch: fetchImpl, now = new Date() } = {}) {
  const { name, publicKey } = ipnsPublicKey(ipnsName);
  const url = `${gatewayBase(gateway)}/routing/v1/ipns/${name}`;
  const response = await gatewayFetch(url, { token, signal, fetchImpl, headers: { Accept: 'application/vnd.ipfs.ipns-record' } });
  const record = new Uint8Array(await response.arrayBuffer());
  const data = await verifyRecord(record, publicKey, name, now);
  const head = data.value.startsWith('/ipfs/') ? toCidOrNull(data.value.slice(6)) : null;
  if (!head || head.code !== DAG_CBOR) throw new NameVerificationError('malformed', `the record points at '${data.value}', not /ipfs/ and a version node`);

  let signer = name;
  let later;
  let first;
  const chain = [];
  for (let next = head; next;) {
    let bytes;
    try {
      bytes = await getRawBlock(next, { gateway, token, signal, fetchImpl });
      await verifyBlock(next, bytes, DAG_CBOR);
    } catch (error) {
      if (error instanceof BlockVerificationError) throw new NameVerificationError('tampered', `version node ${next}: ${error.reason}`, { cause: error });
      throw new NameVerificationError('missing', `version node ${next} cannot be fetched: ${error.message}`, { cause: error });
    }
    const node = versionNode(next, bytes);
    if (!later) {
      if (BigInt(node.version) !== data.sequence) throw new NameVerificationError('broken', `the record has sequence ${data.sequence} but points at version ${node.version}`);
      first = node;
    } else if (later.version === 1) {
      signer = node.signer; // a key's rotation: the chain it continues verifies by its own signer
    } else if (node.version !== later.version - 1 || node.name !== later.name) {
      throw new NameVerificationError('broken', `version ${later.version} of '${later.name}' links ${next}, which is version ${node.version} of '${node.name}'`);
    }
    if (node.signer !== signer) throw new NameVerificationError('wrong-signer', `version ${node.version} of '${node.name}' names the signer ${node.signer}, not ${signer}`);
    chain.push({ name: node.name, version: node.version, node: next, table: node.table, signer: node.signer });
    later = node;
    next = node.prev;
  }
  return { ipns: name, name: first.name, version: first.version, table: first.table, node: head, validity: data.validity, versions: chain.length, chain };
}

function toCidOrNull(text) {
  try {
    return CID.parse(text);
  } catch {
    return null;
  }
}

function versionNode(cid, bytes) {
  let node;
  try {
    node = dagCbor.decode(bytes);
  } catch (error) {
    throw new NameVerificationError('malformed', `version node ${cid} is not DAG-CBOR`, { cause: error });
  }
  const table = CID.asCID(node?.table);
  const prev = node?.prev === undefined ? undefined : CID.asCID(node.prev);
  if (node?.type !== 'arrowcid/version' || typeof node.name !== 'string' || !Number.isInteger(node.version) || node.version < 1
      || !table || typeof node.signer !== 'string' || (node.version > 1 && !prev) || (node.prev !== undefined && !prev)) {
    throw new NameVerificationError('malformed', `block ${cid} is not a version node`);
  }
  return { name: node.name, version: node.version, table, prev, signer: node.signer };
}

// The IPNS record's fields (ipns.proto): 1 value, 3 validityType, 4 validity, 5 sequence, 6 ttl, 7 pubKey, 8 signatureV2, 9 data.
function parseEntry(bytes) {
  const fields = {};
  let at = 0;
  const varint = () => {
    let value = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (at >= bytes.length || shift > 63n) throw new Error('truncated varint');
      const b = bytes[at++];
      value |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return value;
    }
  };
  while (at < bytes.length) {
    const key = Number(varint());
    const field = key >> 3;
    const wire = key & 7;
    if (wire === 0) fields[field] = varint();
    else if (wire === 2) {
      const length = Number(varint());
      if (at + length > bytes.length) throw new Error('truncated field');
      fields[field] = bytes.subarray(at, at + length);
      at += length;
    } else throw new Error(`wire type ${wire}`);
  }
  return fields;
}

function bytesEqual(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

async function verifyRecord(record, publicKey, name, now) {
  if (record.length > MAX_RECORD_BYTES) throw new NameVerificationError('too-large', `the record is ${record.length} bytes; a record is at most ${MAX_RECORD_BYTES}`);
  let entry;
  try {
    entry = parseEntry(record);
  } catch (error) {
    throw new NameVerificationError('bad-record', `not an IPNS record: ${error.message}`, { cause: error });
  }
  const signature = entry[8];
  const data = entry[9];
  if (!(signature instanceof Uint8Array) || !(data instanceof Uint8Array)) throw new NameVerificationError('bad-record', 'the record has no signatureV2 and data');
  if (entry[7] instanceof Uint8Array && !bytesEqual(entry[7], new Uint8Array([...ED25519_PREFIX, ...publicKey]))) {
    throw new NameVerificationError('bad-signature', `the record carries a public key that is not ${name}'s`);
  }
  const key = await globalThis.crypto.subtle.importKey('raw', publicKey, { name: 'Ed25519' }, false, ['verify']);
  const signed = new Uint8Array([...SIGNATURE_PREFIX, ...data]);
  if (!(await globalThis.crypto.subtle.verify({ name: 'Ed25519' }, key, signature, signed))) {
    throw new NameVerificationError('bad-signature', `the record's signatureV2 is not ${name}'s signature of its data`);
  }
  let fields;
  try {
    fields = dagCbor.decode(data);
  } catch (error) {
    throw new NameVerificationError('bad-record', 'the record\'s data is not DAG-CBOR', { cause: error });
  }
  const { Value, Validity, ValidityType, Sequence, TTL } = fields ?? {};
  if (!(Value instanceof Uint8Array) || !(Validity instanceof Uint8Array) || ValidityType !== 0) {
    throw new NameVerificationError('bad-record', 'the record\'s data is not the spec\'s Value, Validity and ValidityType 0');
  }
  const sequence = BigInt(Sequence);
  if ((entry[1] && !bytesEqual(entry[1], Value)) || (entry[4] && !bytesEqual(entry[4], Validity)) || (entry[5] !== undefined && entry[5] !== sequence)
      || (entry[6] !== undefined && entry[6] !== BigInt(TTL))) {
    throw new NameVerificationError('bad-record', 'the record\'s fields disagree with its signed data');
  }
  const validityText = new TextDecoder().decode(Validity);
  const validity = new Date(validityText.replace(/(\.\d{3})\d*Z$/, '$1Z'));
  if (Number.isNaN(validity.getTime())) throw new NameVerificationError('bad-record', `the validity '${validityText}' is not RFC 3339`);
  if (validity < now) throw new NameVerificationError('expired', `the record was valid until ${validityText}`);
  return { value: new TextDecoder().decode(Value), sequence, validity };
}
