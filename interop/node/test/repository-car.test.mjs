// Checks the CARs ArrowCid's repository exports with the reference JavaScript implementations
// (@ipld/car, multiformats, @ipld/dag-cbor, apache-arrow), and writes a CAR with @ipld/car for the
// repository to import. Driven by the C# test RepositoryCarInteropTests, which writes the fixtures,
// runs this file and then imports js.car:
//   ARROWCID_BUILD_SLOT=ds dotnet test tests/ArrowCid.Registry.Tests --filter "FullyQualifiedName~Interop"
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join, dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import * as raw from 'multiformats/codecs/raw'
import * as dagCbor from '@ipld/dag-cbor'
import { CarReader, CarWriter } from '@ipld/car'
import { tableFromIPC } from 'apache-arrow'

const here = dirname(fileURLToPath(import.meta.url))
const fixtures = process.env.ARROWCID_INTEROP_DIR
  ? resolve(process.env.ARROWCID_INTEROP_DIR)
  : join(here, '..', 'fixtures', 'repository')
const missing = !existsSync(join(fixtures, 'expected.json'))
const skip = missing && `no fixtures in ${fixtures}: run the C# test RepositoryCarInteropTests`
const expected = missing ? null : JSON.parse(readFileSync(join(fixtures, 'expected.json'), 'utf8'))

async function readCar (name) {
  const reader = await CarReader.fromBytes(readFileSync(join(fixtures, name)))
  const blocks = []
  for await (const block of reader.blocks()) blocks.push(block)
  return { reader, blocks }
}

const plain = (value) => (typeof value === 'bigint' ? Number(value) : value)

for (const name of ['export-v1.car', 'export-v2.car']) {
  test(`${name}: every block hashes to its CID and every root is present`, { skip }, async () => {
    const { reader, blocks } = await readCar(name)
    assert.equal(reader.version, name.includes('v2') ? 2 : 1)
    assert.deepEqual((await reader.getRoots()).map(String), expected.roots)
    for (const { cid, bytes } of blocks) {
      assert.equal(cid.multihash.code, sha256.code)
      assert.deepEqual((await sha256.digest(bytes)).digest, cid.multihash.digest, `hash of ${cid}`)
    }
    for (const root of expected.roots) {
      assert.ok(await reader.has(CID.parse(root)), `root ${root} present`)
    }
    assert.deepEqual(blocks.map(b => b.cid.toString()), expected.order)
  })

  test(`${name}: raw blocks are Arrow IPC streams with the expected values`, { skip }, async () => {
    const { blocks } = await readCar(name)
    const batches = blocks.filter(b => b.cid.code === raw.code)
    assert.equal(batches.length, expected.batches.length)
    for (const block of batches) {
      const want = expected.batches.find(b => b.cid === block.cid.toString())
      assert.ok(want, `unexpected batch ${block.cid}`)
      const table = tableFromIPC(block.bytes)
      assert.equal(table.numRows, want.rows)
      assert.deepEqual(table.schema.fields.map(f => f.name), ['id', 'name', 'color'])
      for (let i = 0; i < want.rows; i++) {
        assert.equal(plain(table.getChild('id').get(i)), want.id[i], `${block.cid} id[${i}]`)
        assert.equal(table.getChild('name').get(i), want.name[i], `${block.cid} name[${i}]`)
        assert.equal(table.getChild('color').get(i), want.color[i], `${block.cid} color[${i}]`)
      }
    }
  })

  test(`${name}: manifests decode as DAG-CBOR and re-encode byte for byte`, { skip }, async () => {
    const { blocks } = await readCar(name)
    const manifests = blocks.filter(b => b.cid.code === dagCbor.code)
    assert.deepEqual(manifests.map(m => m.cid.toString()), [expected.dataset])
    for (const { cid, bytes } of manifests) {
      const manifest = dagCbor.decode(bytes)
      assert.ok(Buffer.from(dagCbor.encode(manifest)).equals(Buffer.from(bytes)), `${cid} re-encodes byte for byte`)
      assert.equal(manifest.type, 'arrowcid/dataset')
      assert.equal(manifest.version, 1)
      assert.ok(manifest.schema instanceof Uint8Array)
      assert.deepEqual(manifest.batches.map(b => b.cid.toString()), expected.datasetBatches)
      assert.equal(manifest.rows, manifest.batches.reduce((sum, b) => sum + b.rows, 0))
      assert.equal(manifest.bytes, manifest.batches.reduce((sum, b) => sum + b.bytes, 0))
      const link = CID.create(1, dagCbor.code, await sha256.digest(dagCbor.encode(manifest)))
      assert.equal(link.toString(), cid.toString())
    }
  })
}

test('@ipld/car writes a CAR of Arrow batches and a manifest for the repository to import', { skip }, async () => {
  const input = JSON.parse(readFileSync(join(fixtures, 'js-input.json'), 'utf8'))
  const blocks = []
  for (const file of input.batches) {
    const bytes = new Uint8Array(readFileSync(join(fixtures, file)))
    assert.equal(tableFromIPC(bytes).numRows > 0, true)
    blocks.push({ cid: CID.create(1, raw.code, await sha256.digest(bytes)), bytes })
  }
  // The manifest is rebuilt on this side: decoded, and encoded again by @ipld/dag-cbor.
  const manifest = dagCbor.decode(new Uint8Array(readFileSync(join(fixtures, input.manifest))))
  assert.deepEqual(manifest.batches.map(b => b.cid.toString()), blocks.map(b => b.cid.toString()))
  const manifestBytes = dagCbor.encode(manifest)
  const root = CID.create(1, dagCbor.code, await sha256.digest(manifestBytes))
  const { writer, out } = CarWriter.create([root])
  const chunks = []
  const collected = (async () => { for await (const chunk of out) chunks.push(chunk) })()
  await writer.put({ cid: root, bytes: manifestBytes })
  for (const block of blocks) await writer.put(block)
  await writer.close()
  await collected
  writeFileSync(join(fixtures, 'js.car'), Buffer.concat(chunks))
  writeFileSync(join(fixtures, 'js.json'), JSON.stringify({ root: root.toString(), batches: blocks.map(b => b.cid.toString()) }))
})
