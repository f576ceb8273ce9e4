// The SHA-256 of a block given as the byte arrays that follow each other in it (encode.js
// batchParts), hashed off the calling thread so that the caller encodes the next chunk meanwhile.
// In Node a worker thread hashes it from shared memory (hash-thread.js). Elsewhere (browsers), and
// while that worker starts or its ring is full, the parts are joined into one reused buffer and
// handed to WebCrypto's digest, which takes a copy of the bytes when it is called (WebCrypto's
// digest, step 2: "a copy of the bytes held by data") and hashes the copy on another thread
// (Node: libuv's thread pool; Chromium: its crypto thread). Either way the block's memory is free
// again when digestParts returns. No Node built-in is imported.

import { sha256 } from 'multiformats/hashes/sha2';
import { create as createDigest } from 'multiformats/hashes/digest';
import { joinParts } from './encode.js';
import { hashThread } from './hash-thread.js';

const SHA2_256 = 0x12;
const subtle = globalThis.crypto?.subtle ?? null;

/** The sha2-256 multihash digest of `bytes`, hashed off this thread where WebCrypto is there; `bytes` may be reused once this returns. */
export function startDigest(bytes) {
  // Without WebCrypto (a browser page served over plain http), multiformats hashes the bytes itself.
  if (subtle === null) return Promise.resolve(sha256.digest(bytes));
  return subtle.digest('SHA-256', bytes).then((digest) => createDigest(SHA2_256, new Uint8Array(digest)));
}

/**
 * Digests started and not yet awaited a caller may keep, { count, bytes } at most: each holds its block's bytes (a copy, up
 * to 1 MiB, or a place in the hash thread's ring) until hashed; a few keep the hashing thread busy
 * while the next blocks are made, and the hash thread, woken for several blocks at a time
 * (hash-thread.js), needs more. `ofParts`: for digestParts (false: startDigest, always WebCrypto).
 */
export function digestsInFlight(ofParts = true) {
  return (ofParts ? hashThread(0)?.inFlight : null) ?? IN_FLIGHT_ELSEWHERE;
}

const IN_FLIGHT_ELSEWHERE = Object.freeze({ count: 4, bytes: Infinity });

/**
 * The sha2-256 multihash digest of the block whose bytes are `parts` (byteLength in all), joined
 * into `scratch` ({ bytes }, grown when short), which is free again when this returns.
 */
export function digestParts(parts, byteLength, scratch) {
  const viaThread = hashThread(byteLength)?.tryDigest(parts, byteLength);
  if (viaThread) return viaThread.then((digest) => createDigest(SHA2_256, digest));
  if (scratch.bytes.length < byteLength) scratch.bytes = new Uint8Array(Math.max(byteLength, Math.ceil(scratch.bytes.length * 1.5)));
  return startDigest(joinParts(parts, scratch.bytes.subarray(0, byteLength)));
}
