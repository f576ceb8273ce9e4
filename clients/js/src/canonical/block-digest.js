// The SHA-256 of a block given as the byte arrays that follow each other in it (encode.js
// batchParts). In Node, node:crypto's incremental hash takes the arrays as they are, so the block
// is never copied into one buffer; elsewhere (browsers) they are joined into one buffer for
// WebCrypto. Node's crypto is found at run time (process.getBuiltinModule), never imported, so
// the browser bundle holds no Node built-in.

import { sha256 } from 'multiformats/hashes/sha2';
import { create as createDigest } from 'multiformats/hashes/digest';
import { joinParts } from './encode.js';

const SHA2_256 = 0x12;
const nodeCrypto = typeof globalThis.process?.getBuiltinModule === 'function' ? globalThis.process.getBuiltinModule('crypto') ?? null : null;

/** Arrays shorter than this are gathered into `staging` first: a call into the hash costs more than copying them. */
const SMALL_PART_BYTES = 4096;
const staging = new Uint8Array(65536);

function nodeDigest(parts) {
  const hash = nodeCrypto.createHash('sha256');
  let staged = 0;
  for (const part of parts) {
    if (part.length < SMALL_PART_BYTES) {
      if (staged + part.length > staging.length) { hash.update(staging.subarray(0, staged)); staged = 0; }
      staging.set(part, staged);
      staged += part.length;
    } else {
      if (staged > 0) { hash.update(staging.subarray(0, staged)); staged = 0; }
      hash.update(part);
    }
  }
  if (staged > 0) hash.update(staging.subarray(0, staged));
  return createDigest(SHA2_256, new Uint8Array(hash.digest()));
}

/**
 * The sha2-256 multihash digest of the block whose bytes are `parts` (byteLength in all);
 * `scratch` ({ bytes }, grown when short) holds the joined block where one buffer is needed.
 */
export async function digestParts(parts, byteLength, scratch) {
  if (nodeCrypto !== null) return nodeDigest(parts);
  if (scratch.bytes.length < byteLength) scratch.bytes = new Uint8Array(Math.max(byteLength, Math.ceil(scratch.bytes.length * 1.5)));
  return sha256.digest(joinParts(parts, scratch.bytes.subarray(0, byteLength)));
}
