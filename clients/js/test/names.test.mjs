// Signed names through a node of our own (docs/names.md): resolveName verifies the record the node
// serves at /routing/v1/ipns/ and the chain back to version 1, readTable('/ipns/k51…') reads the
// table the record names, and a forged signature, a tampered version node or an expired record is
// refused with a NameVerificationError naming what failed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveName, readTable, ipnsPublicKey, NameVerificationError } from '../src/index.js';
import { cliOrSkip, cliRun, findCli } from './helpers/cli.mjs';
import { nodeForTests } from './helpers/node.mjs';
import { makeTable, rowsOf } from './helpers/tables.mjs';

const LIMIT = { timeout: 240_000 };

const f = nodeForTests({
  args: [],
  tables: {
    first: [makeTable(40, 3), ['--name', 'sensors']],
    second: [makeTable(60, 4), ['--name', 'sensors']],
  },
});

const ipnsOf = async () => {
  const [named] = JSON.parse(await cliRun(findCli(), ['--repo', f.node.repo, 'names', '--json']));
  return named.ipns;
};

// Where field 8 (signatureV2) of a protobuf IPNS record starts: walked field by field.
const signatureAt = (bytes) => {
  let at = 0;
  const varint = () => {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const b = bytes[at++];
      value += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return value;
    }
  };
  while (at < bytes.length) {
    const key = varint();
    if ((key & 7) === 0) { varint(); continue; }
    const length = varint();
    if (key >> 3 === 8) return at;
    at += length;
  }
  throw new Error('no signatureV2');
};

// fetch() with one answer changed on its way: `change(url, bytes)` returns the bytes to give.
const changing = (change) => async (url, init) => {
  const response = await fetch(url, init);
  const bytes = new Uint8Array(await response.arrayBuffer());
  return new Response(change(String(url), bytes), { status: response.status, headers: response.headers });
};

test('a name resolves to its latest table through its verified chain, and readTable reads it', LIMIT, async (t) => {
  if (!cliOrSkip(t)) return;
  const ipns = await ipnsOf();
  assert.match(ipns, /^k51qzi5uqu5/);
  assert.equal(ipnsPublicKey(`/ipns/${ipns}`).publicKey.length, 32);
  const resolved = await resolveName(`/ipns/${ipns}`, { gateway: f.node.gateway });
  assert.equal(resolved.ipns, ipns);
  assert.equal(resolved.name, 'sensors');
  assert.equal(resolved.version, 2);
  assert.equal(resolved.versions, 2);
  assert.equal(String(resolved.table), f.put.secondResult.cid);
  assert.ok(resolved.validity > new Date());

  const table = await readTable(`/ipns/${ipns}`, { gateway: f.node.gateway });
  assert.deepEqual(rowsOf(table), rowsOf(f.put.second));
});

test('a forged signature, a tampered version node and an expired record are refused, each by its code', LIMIT, async (t) => {
  if (!cliOrSkip(t)) return;
  const ipns = await ipnsOf();
  const gateway = f.node.gateway;
  const refused = async (options) => {
    const error = await resolveName(ipns, { gateway, ...options }).then(() => undefined, (e) => e);
    assert.ok(error instanceof NameVerificationError, String(error));
    return error.code;
  };

  // The signature's last byte flipped (the record's last field is its data; the signature is before it).
  const forged = changing((url, bytes) => {
    if (!url.includes('/routing/v1/ipns/')) return bytes;
    const copy = bytes.slice();
    copy[signatureAt(copy) + 10] ^= 1;
    return copy;
  });
  assert.equal(await refused({ fetch: forged }), 'bad-signature');

  const { node } = await resolveName(ipns, { gateway });
  const tampered = changing((url, bytes) => {
    if (!url.includes(`/ipfs/${node}`)) return bytes;
    const copy = bytes.slice();
    copy[copy.length - 3] ^= 1;
    return copy;
  });
  assert.equal(await refused({ fetch: tampered }), 'tampered');
  assert.equal(await refused({ now: new Date(Date.now() + 365 * 24 * 3600 * 1000) }), 'expired');
  assert.throws(() => ipnsPublicKey('not-a-name'), TypeError);
});
