// Independent judges of ArrowCid's signed names (issue 68): the npm ipns package validates the
// record the node serves at /routing/v1/ipns/ for its IPNS name, and Helia's @helia/verified-fetch
// resolves ipns://k51… through that delegated routing API, then fetches and verifies the version
// node and the table it names and walks the chain back to version 1. Forged records (another key,
// expired, an older sequence) and a tampered version node are refused by the judges and by the
// node. Driven by the C# test IpnsEndpointTests (tests/ArrowCid.Gateway.Tests), which starts the node.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import { CID } from 'multiformats/cid'
import { base36 } from 'multiformats/bases/base36'
import { sha256 } from 'multiformats/hashes/sha2'
import * as dagCbor from '@ipld/dag-cbor'
import { createIPNSRecord, marshalIPNSRecord, unmarshalIPNSRecord } from 'ipns'
import { ipnsValidator } from 'ipns/validator'
import { ipnsSelector } from 'ipns/selector'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { createVerifiedFetch } from '@helia/verified-fetch'

const gateway = process.env.ARROWCID_GATEWAY_URL
const skip = !gateway && 'ARROWCID_GATEWAY_URL is not set: run the C# test IpnsEndpointTests'
const name = process.env.ARROWCID_IPNS_NAME
const table = gateway && CID.parse(process.env.ARROWCID_IPNS_TABLE)
const versions = Number(process.env.ARROWCID_IPNS_VERSIONS)
const recordType = 'application/vnd.ipfs.ipns-record'

const clients = []
const client = async (init) => {
  const verifiedFetch = await createVerifiedFetch({ allowInsecure: true, allowLocal: true, ...init })
  clients.push(verifiedFetch)
  return verifiedFetch
}
after(async () => { await Promise.all(clients.map((c) => c.stop())) })

const routingKey = () => {
  const cid = CID.parse(name, base36)
  return new Uint8Array([...new TextEncoder().encode('/ipns/'), ...cid.multihash.bytes])
}

const served = async () => {
  const response = await fetch(`${gateway}/routing/v1/ipns/${name}`, { headers: { accept: recordType } })
  assert.equal(response.status, 200)
  assert.equal(response.headers.get('content-type'), recordType)
  return new Uint8Array(await response.arrayBuffer())
}

const put = async (record) => (await fetch(`${gateway}/routing/v1/ipns/${name}`, { method: 'PUT', headers: { 'content-type': recordType }, body: record })).status

test('the ipns package validates the served record for its name: the latest version node, sequence = version', { skip }, async () => {
  const bytes = await served()
  await ipnsValidator(routingKey(), bytes)
  const record = unmarshalIPNSRecord(bytes)
  assert.equal(record.sequence, BigInt(versions))
  assert.match(record.value, /^\/ipfs\/bafyrei/)
  const node = dagCbor.decode(new Uint8Array(await (await fetch(`${gateway}${record.value}?format=raw`)).arrayBuffer()))
  assert.equal(node.type, 'arrowcid/version')
  assert.equal(node.version, versions)
  assert.equal(node.signer, name)
  assert.equal(node.table.toString(), table.toString())
})

test('Helia resolves ipns:// through delegated routing, verifies the table, and walks the chain to version 1', { skip }, async () => {
  const verifiedFetch = await client({ gateways: [gateway], routers: [gateway] })
  const head = await verifiedFetch(`ipns://${name}`, { headers: { accept: 'application/vnd.ipld.dag-cbor' }, signal: AbortSignal.timeout(60_000) })
  assert.equal(head.status, 200)
  let node = dagCbor.decode(new Uint8Array(await head.arrayBuffer()))
  assert.equal(node.version, versions)

  const root = await verifiedFetch(`ipns://${name}/table`, { headers: { accept: 'application/vnd.ipld.raw' }, signal: AbortSignal.timeout(60_000) })
  assert.equal(root.status, 200)
  assert.deepEqual((await sha256.digest(new Uint8Array(await root.arrayBuffer()))).digest, table.multihash.digest)

  const seen = [node.version]
  while (node.prev) {
    const previous = await verifiedFetch(`ipfs://${node.prev}`, { headers: { accept: 'application/vnd.ipld.dag-cbor' }, signal: AbortSignal.timeout(60_000) })
    assert.equal(previous.status, 200)
    node = dagCbor.decode(new Uint8Array(await previous.arrayBuffer()))
    seen.push(node.version)
  }
  assert.deepEqual(seen, Array.from({ length: versions }, (_, i) => versions - i))
})

test('forged records are refused by the ipns package and by the node: another key, expired, an older sequence', { skip }, async () => {
  const current = await served()
  const { value } = unmarshalIPNSRecord(current)
  const other = await generateKeyPair('Ed25519')

  // Signed by another key for our name.
  const resigned = marshalIPNSRecord(await createIPNSRecord(other, value, BigInt(versions + 1), 60 * 60 * 1000))
  await assert.rejects(ipnsValidator(routingKey(), resigned))
  assert.equal(await put(resigned), 400)

  // Expired (its own key's, so only the validity is wrong).
  const expired = await createIPNSRecord(other, value, 1n, 1)
  await new Promise((resolve) => setTimeout(resolve, 5))
  const otherKey = new Uint8Array([...new TextEncoder().encode('/ipns/'), ...other.publicKey.toCID().multihash.bytes])
  await assert.rejects(ipnsValidator(otherKey, marshalIPNSRecord(expired)), /expired|Expired/)

  // An older sequence of ours (the C# test's, base64): the selector prefers the current one, and the node keeps it.
  const older = Buffer.from(process.env.ARROWCID_IPNS_OLDER, 'base64')
  await ipnsValidator(routingKey(), older)
  assert.equal(ipnsSelector(routingKey(), [older, current]), 1)
  assert.equal(ipnsSelector(routingKey(), [current, older]), 0)
  assert.equal(await put(older), 409)
  assert.deepEqual(await served(), current)
})

test('a tampered version node is refused by Helia', { skip }, async () => {
  // A gateway between Helia and the node that flips one byte of the version node it serves.
  const record = unmarshalIPNSRecord(await served())
  const head = record.value.slice('/ipfs/'.length)
  let tamper = false
  let tamperedServed = 0
  const proxy = http.createServer(async (request, response) => {
    const url = new URL(request.url, gateway)
    const upstream = await fetch(`${gateway}${url.pathname}${url.search}`, { headers: { accept: request.headers.accept ?? '*/*' } })
    let body = new Uint8Array(await upstream.arrayBuffer())
    if (tamper && url.pathname === `/ipfs/${head}`) {
      body[body.length - 3] ^= 1
      tamperedServed++
    }
    // The node names itself as the provider: the proxy names itself instead, so Helia fetches through it.
    if (url.pathname.startsWith('/routing/v1/providers/')) {
      body = new TextEncoder().encode(new TextDecoder().decode(body).replaceAll(`/tcp/${new URL(gateway).port}/http`, `/tcp/${proxy.address().port}/http`))
    }
    response.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/octet-stream' }).end(body)
  })
  await new Promise((resolve) => proxy.listen(0, '127.0.0.1', resolve))
  after(() => proxy.close())
  const through = `http://127.0.0.1:${proxy.address().port}`

  const resolve = async (timeout) => {
    // A client of its own each time: nothing verified before is cached.
    const verifiedFetch = await client({ gateways: [through], routers: [through] })
    try {
      return (await verifiedFetch(`ipns://${name}`, { headers: { accept: 'application/vnd.ipld.dag-cbor' }, signal: AbortSignal.timeout(timeout) })).status
    } catch (error) {
      return error.name
    }
  }

  // The same path untampered resolves: what fails below fails for the flipped byte alone.
  assert.equal(await resolve(60_000), 200)
  tamper = true
  tamperedServed = 0
  // Helia refuses the block and keeps asking (for as long as it is let): never an answer.
  assert.notEqual(await resolve(5_000), 200)
  assert.ok(tamperedServed > 0, 'the tampered node was asked for')
})
