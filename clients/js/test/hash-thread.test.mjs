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
import { joinParts } from '../src/canonical/encode.js';
import { Int32Transform } from '../src/canonical/int32-transform.js';

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

// Parts of every kind a chunk's block has: byte arrays at any offset of their buffers (large ones
// are placed in the ring at their source's offset modulo 8) and Int32Transforms (offsets rebased,
// indices renumbered), which the worker applies before it hashes them. The expected bytes are
// made here, independently of joinParts and the worker.
test('parts at any alignment and Int32Transforms hash as their bytes, in the thread and joined', async () => {
  const thread = hashThread();
  for (let i = 0; i < 200 && !thread.online; i++) await sleep(10);
  assert.ok(thread.online, 'the hash thread came up');
  const source = new Uint8Array(1 << 20);
  for (let i = 0; i < source.length; i++) source[i] = (i * 2654435761) >>> 24;
  const ints = new Int32Array(1 << 16);
  for (let i = 0; i < ints.length; i++) ints[i] = 1000 + 3 * i;
  const indices = new Int32Array(1 << 16);
  for (let i = 0; i < indices.length; i++) indices[i] = (i * 7) % 13;
  const table = new Int32Array(13);
  for (let j = 0; j < 13; j++) table[j] = (j * 5 + 3) % 13;
  const scratch = { bytes: new Uint8Array(0) };
  const blocks = [];
  for (let k = 0; k < 40; k++) {
    const parts = [];
    const expected = [];
    // Many parts in one block (k = 39): copied whole, as one range, transforms written in place.
    const many = k === 39;
    const count = many ? 2100 : 3 + (k % 7);
    const most = many ? 100 : 5000; // int32s in a transform (the block stays under the ring's quarter)
    for (let p = 0; p < count; p++) {
      const kind = (k + p) % 4;
      const offset = (k * 131 + p * 977) % 4096;
      if (kind === 0 || kind === 1) {
        const length = kind === 0 ? 1 + ((k * 31 + p) % 300) : 512 + ((k * 7919 + p * 104729) % (many ? 400 : 60000));
        const bytes = source.subarray(offset + (p % 8), offset + (p % 8) + length);
        parts.push(bytes);
        expected.push(Array.from(bytes));
      } else if (kind === 2) {
        const from = (offset + p) % 1000;
        const view = ints.subarray(from, from + 1 + ((k * 13 + p) % most));
        parts.push(Int32Transform.rebased(view, view[0]));
        expected.push(Array.from(new Uint8Array(Int32Array.from(view, (x) => x - view[0]).buffer)));
      } else {
        const view = indices.subarray(offset, offset + 1 + ((k * 17 + p) % most));
        parts.push(Int32Transform.renumbered(view, table));
        expected.push(Array.from(new Uint8Array(Int32Array.from(view, (x) => table[x]).buffer)));
      }
    }
    const bytes = Uint8Array.from(expected.flat());
    const before = thread.posted;
    const pending = digestParts(parts, bytes.length, scratch);
    assert.equal(thread.posted, before + 1, `block ${k} went to the thread`);
    blocks.push([k, bytes, await pending]);
    // Joined into memory at an odd offset too (writeTo's unaligned path).
    const out = new Uint8Array(bytes.length + 3);
    joinParts(parts, out.subarray(3));
    assert.deepEqual(out.subarray(3), bytes, `block ${k} joined`);
  }
  for (const [k, bytes, digest] of blocks) assert.deepEqual(digest.digest, sha256(bytes), `block ${k}`);
});
