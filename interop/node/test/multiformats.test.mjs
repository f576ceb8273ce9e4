// Checks ArrowCid.Content's output with the reference JavaScript implementations.
// Fixtures come from the C# test InteropFixtureWriter:
//   ARROWCID_BUILD_SLOT=content dotnet test tests/ArrowCid.Content.Tests
//   cd interop/node && node --test test/multiformats.test.mjs
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { join, dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { CID } from 'multiformats/cid'
import { base58btc } from 'multiformats/bases/base58'
import { sha256 } from 'multiformats/hashes/sha2'
import { identity } from 'multiformats/hashes/identity'
import * as raw from 'multiformats/codecs/raw'
import * as dagCbor from '@ipld/dag-cbor'
import { CarReader } from '@ipld/car'

const here = dirname(fileURLToPath(import.meta.url))
const fixtures = process.env.ARROWCID_INTEROP_DIR
  ? resolve(process.env.ARROWCID_INTEROP_DIR)
  : join(here, '..', 'fixtures', 'content')
const missing = !existsSync(join(fixtures, 'car.json'))
const skipMessage = `no fixtures in ${fixtures}: run "ARROWCID_BUILD_SLOT=content dotnet test tests/ArrowCid.Content.Tests" first`

const codes = { raw: 0x55, 'dag-cbor': 0x71, 'dag-pb': 0x70 }
const readJson = (name) => JSON.parse(readFileSync(join(fixtures, name), 'utf8'))
const fromHex = (hex) => Uint8Array.from(Buffer.from(hex, 'hex'))

async function digestOf (code, bytes) {
  if (code === sha256.code) return (await sha256.digest(bytes)).digest
  if (code === identity.code) return identity.digest(bytes).digest
  throw new Error(`unexpected multihash code 0x${code.toString(16)}`)
}

// The same JSON view InteropFixtureWriter writes.
function view (value) {
  if (value === null) return null
  if (typeof value === 'bigint') {
    return value >= -(2n ** 53n - 1n) && value <= 2n ** 53n - 1n ? Number(value) : { $bigint: value.toString() }
  }
  if (typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value)) {
    return { $bigint: BigInt(value).toString() }
  }
  if (typeof value !== 'object') return value
  const cid = CID.asCID(value)
  if (cid) return { '/': cid.toString() }
  if (value instanceof Uint8Array) return { '/': { bytes: Buffer.from(value).toString('base64').replace(/=+$/, '') } }
  if (Array.isArray(value)) return value.map(view)
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, view(v)]))
}

test('multiformats parses our CIDs and computes the same CIDs from the data', { skip: missing && skipMessage }, async () => {
  const entries = readJson('cids.json')
  assert.ok(entries.length > 0)
  for (const entry of entries) {
    const parsed = entry.cid.startsWith('z') ? CID.parse(entry.cid, base58btc) : CID.parse(entry.cid)
    assert.equal(parsed.version, entry.version, entry.cid)
    assert.equal(parsed.code, codes[entry.codec], entry.cid)
    assert.equal(Buffer.from(parsed.bytes).toString('hex'), entry.bytesHex, entry.cid)
    const data = fromHex(entry.dataHex)
    const digest = entry.hash === 'identity' ? identity.digest(data) : await sha256.digest(data)
    const computed = entry.version === 0 ? CID.createV0(digest) : CID.createV1(codes[entry.codec], digest)
    assert.ok(computed.equals(parsed), `${entry.cid} vs ${computed}`)
    const expectedText = entry.cid.startsWith('z') ? computed.toString(base58btc) : computed.toString()
    assert.equal(expectedText, entry.cid)
  }
})

test('@ipld/dag-cbor decodes our blob to the expected view and re-encodes it byte for byte', { skip: missing && skipMessage }, async () => {
  const blob = new Uint8Array(readFileSync(join(fixtures, 'dagcbor.bin')))
  const expected = readJson('dagcbor.json')
  const decoded = dagCbor.decode(blob)
  assert.deepEqual(view(decoded), expected.view)
  const reencoded = dagCbor.encode(decoded)
  assert.equal(Buffer.from(reencoded).toString('hex'), Buffer.from(blob).toString('hex'))
  const cid = CID.createV1(dagCbor.code, await sha256.digest(blob))
  assert.equal(cid.toString(), expected.cid)
})

for (const file of ['v1.car', 'v2.car']) {
  test(`@ipld/car reads our ${file} with valid hashes and every root present`, { skip: missing && skipMessage }, async () => {
    const expected = readJson('car.json')
    const reader = await CarReader.fromBytes(new Uint8Array(readFileSync(join(fixtures, file))))
    assert.equal(reader.version, file === 'v1.car' ? 1 : 2)
    const roots = await reader.getRoots()
    assert.deepEqual(roots.map(String), expected.roots)
    const seen = []
    for await (const { cid, bytes } of reader.blocks()) {
      const digest = await digestOf(cid.multihash.code, bytes)
      assert.equal(Buffer.from(digest).toString('hex'), Buffer.from(cid.multihash.digest).toString('hex'), `hash of ${cid}`)
      if (cid.code === dagCbor.code) dagCbor.decode(bytes)
      seen.push(cid.toString())
    }
    assert.deepEqual(seen, expected.blocks)
    for (const root of expected.roots) assert.ok(seen.includes(root), `root ${root} present`)
  })
}
