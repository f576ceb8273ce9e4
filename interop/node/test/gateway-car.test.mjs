// Checks the trustless gateway's CAR answers with the reference JavaScript implementations
// (@ipld/car, multiformats, @ipld/dag-cbor, apache-arrow): every block hashes to its CID, the roots
// are the asked CID, and the blocks come in depth-first order, each once, as Content-Type says.
// Driven by the C# test TrustlessInteropTests (tests/ArrowCid.Gateway.Tests), which starts a node
// holding a two-level table and a foreign DAG and passes their CIDs:
//   ARROWCID_BUILD_SLOT=gw dotnet test tests/ArrowCid.Gateway.Tests --filter "FullyQualifiedName~TrustlessInterop"
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import * as raw from 'multiformats/codecs/raw'
import * as dagCbor from '@ipld/dag-cbor'
import { CarReader } from '@ipld/car'
import { tableFromIPC } from 'apache-arrow'

const gateway = process.env.ARROWCID_GATEWAY_URL
const skip = !gateway && 'ARROWCID_GATEWAY_URL is not set: run the C# test TrustlessInteropTests'
const table = gateway && CID.parse(process.env.ARROWCID_GATEWAY_TABLE)
const rows = gateway && Number(process.env.ARROWCID_GATEWAY_TABLE_ROWS)
const foreign = gateway && CID.parse(process.env.ARROWCID_GATEWAY_FOREIGN)

// Fetches a CAR and reads it, every block checked against its CID here (not trusting the reader).
const fetchCar = async (path, accept = 'application/vnd.ipld.car') => {
  const response = await fetch(`${gateway}${path}`, { headers: { accept } })
  assert.equal(response.status, 200, `${path}: ${response.status}`)
  const reader = await CarReader.fromBytes(new Uint8Array(await response.arrayBuffer()))
  const blocks = []
  for await (const { cid, bytes } of reader.blocks()) {
    assert.equal(cid.multihash.code, sha256.code)
    assert.deepEqual((await sha256.digest(bytes)).digest, cid.multihash.digest, `hash of ${cid}`)
    blocks.push({ cid, bytes })
  }
  return { response, roots: (await reader.getRoots()).map(String), blocks }
}

test('a CAR of a two-level table: every block verified, depth-first order, each block once, every row there', { skip }, async () => {
  const { response, roots, blocks } = await fetchCar(`/ipfs/${table}`, 'application/vnd.ipld.car; version=1; order=dfs; dups=n')
  assert.equal(response.headers.get('content-type'), 'application/vnd.ipld.car; version=1; order=dfs; dups=n')
  assert.equal(response.headers.get('content-disposition'), `attachment; filename="${table}.car"`)
  assert.equal(response.headers.get('cache-control'), 'public, max-age=29030400, immutable')
  assert.deepEqual(roots, [table.toString()])

  const byCid = new Map(blocks.map((b) => [b.cid.toString(), b]))
  assert.equal(byCid.size, blocks.length, 'dups=n: no block twice')

  // The depth-first pre-order of the manifest tree, walked from the blocks themselves.
  const expected = []
  const seen = new Set()
  let levels = 0
  const walk = (cid, depth) => {
    if (seen.has(cid.toString())) return
    seen.add(cid.toString())
    expected.push(cid.toString())
    if (cid.code === raw.code) return
    levels = Math.max(levels, depth + 1)
    const node = dagCbor.decode(byCid.get(cid.toString()).bytes)
    for (const entry of node.entries) walk(entry.cid, depth + 1)
  }
  walk(table, 0)
  assert.equal(levels, 2, 'the table has a two-level manifest tree')
  assert.deepEqual(blocks.map((b) => b.cid.toString()), expected)

  let total = 0
  for (const { cid, bytes } of blocks) {
    if (cid.code === raw.code) total += tableFromIPC(bytes).numRows
  }
  assert.equal(total, rows)
})

test('dag-scope=block is the root block alone; a raw block by Accept hashes to its CID', { skip }, async () => {
  const { blocks } = await fetchCar(`/ipfs/${table}?format=car&dag-scope=block`)
  assert.deepEqual(blocks.map((b) => b.cid.toString()), [table.toString()])

  const first = dagCbor.decode(blocks[0].bytes).entries[0].cid
  const response = await fetch(`${gateway}/ipfs/${first}`, { headers: { accept: 'application/vnd.ipld.raw' } })
  assert.equal(response.status, 200)
  assert.equal(response.headers.get('content-type'), 'application/vnd.ipld.raw')
  const bytes = new Uint8Array(await response.arrayBuffer())
  assert.deepEqual((await sha256.digest(bytes)).digest, first.multihash.digest)
})

test('a CAR of a foreign DAG imported from a CAR holds the node and the block it links', { skip }, async () => {
  const { roots, blocks } = await fetchCar(`/ipfs/${foreign}?format=car`)
  assert.deepEqual(roots, [foreign.toString()])
  const node = dagCbor.decode(blocks[0].bytes)
  assert.equal(node.name, 'foreign')
  assert.deepEqual(blocks.map((b) => b.cid.toString()), [foreign.toString(), node.leaf.toString()])
})
