// The hash thread (src/canonical/hash-thread.js) gives node:crypto's digests for blocks of every
// size it takes, in parts, across the ring's wrap and in a burst of more blocks than its ring
// holds (those it cannot take go to WebCrypto), and callers may reuse their memory as soon as a
// digest is started.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { hashThread } from '../src/canonical/hash-thread.js';
import { digestParts } from '../src/canonical/block-digest.js';

const sha256 = (bytes) => new Uint8Array(createHash('sha256').update(bytes).digest());

test('blocks hashed by the hash thread have node:crypto\'s digests, the ring wrapping and filling', async () => {
  const thread = hashThread();
  assert.ok(thread, 'Node 20+ has worker_threads, SharedArrayBuffer and Atomics.waitAsync');
  for (let i = 0; i < 200 && !thread.online; i++) await sleep(10);
  assert.ok(thread.online, 'the hash thread came up');
  const scratch = { bytes: new Uint8Array(0) };
  const source = new Uint8Array(1 << 20);
  for (let i = 0; i < source.length; i++) source[i] = (i * 2654435761) >>> 24;
  const buffer = new Uint8Array(1 << 20); // the caller's memory, rewritten after each start
  const expected = [];
  const started = [];
  let viaThread = 0;
  // Sizes from 0 bytes to 1 MiB; 200 blocks (more than the ring's 64 slots and its 6 MiB) at once.
  for (let k = 0; k < 200; k++) {
    const size = k % 17 === 0 ? 0 : (k * 7919 * 13) % (1 << 20);
    const offset = (k * 104729) % (source.length - size + 1);
    buffer.set(source.subarray(offset, offset + size));
    const cut = size >> 1;
    const parts = [buffer.subarray(0, cut), buffer.subarray(cut, size)];
    const before = thread.posted;
    started.push(digestParts(parts, size, scratch));
    if (thread.posted > before) viaThread++;
    expected.push(sha256(source.subarray(offset, offset + size)));
    buffer.fill(0xee); // the started digest must not see this
  }
  const digests = await Promise.all(started);
  for (const [k, d] of digests.entries()) assert.deepEqual(d.digest, expected[k], `block ${k}`);
  assert.ok(viaThread > 0, 'the burst went (partly: how much depends on the worker\'s pace) to the thread');
  // One block at a time: the ring is empty at each start, so every block goes to the thread, and
  // 30 blocks of 0.5–0.9 MiB wrap the 6 MiB ring several times.
  for (let k = 0; k < 30; k++) {
    const size = (1 << 19) + ((k * 7919 * 31) % (3 << 17));
    buffer.set(source.subarray(k, k + size));
    const before = thread.posted;
    const pending = digestParts([buffer.subarray(0, 1000), buffer.subarray(1000, size)], size, scratch);
    assert.equal(thread.posted, before + 1, `block ${k} went to the thread`);
    buffer.fill(0xee);
    assert.deepEqual((await pending).digest, sha256(source.subarray(k, k + size)), `block ${k}`);
  }
});
