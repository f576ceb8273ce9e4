// Writes content from the rest of the IPFS world for the repository to import: three Arrow IPC
// streams written by apache-arrow (one plain, one with a dictionary column, one of two record
// batches — none in ArrowCid's canonical form) as raw blocks, under a DAG-CBOR root of another
// shape than a dataset manifest, all in one CAR written by @ipld/car. Driven by the C# test
// ForeignCarInteropTests, which imports foreign.car with `arrowcid import car` and checks every
// block is stored and served back byte for byte:
//   ARROWCID_BUILD_SLOT=content dotnet test tests/ArrowCid.Cli.Tests --filter "FullyQualifiedName~ForeignCar"
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join, dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import * as raw from 'multiformats/codecs/raw'
import * as dagCbor from '@ipld/dag-cbor'
import { CarReader, CarWriter } from '@ipld/car'
import { tableFromArrays, tableFromIPC, tableToIPC, Table } from 'apache-arrow'

const here = dirname(fileURLToPath(import.meta.url))
const fixtures = process.env.ARROWCID_INTEROP_DIR
  ? resolve(process.env.ARROWCID_INTEROP_DIR)
  : join(here, '..', 'fixtures', 'foreign')

function streams () {
  const plain = tableFromArrays({
    id: Int32Array.from([1, 2, 3]),
    reading: Float64Array.from([20.5, 21.25, 19.75])
  })
  // A JavaScript string array becomes a dictionary-encoded column.
  const dictionary = tableFromArrays({
    station: ['north', 'south', 'north', 'east'],
    value: Float64Array.from([1, 2, 3, 4])
  })
  const first = tableFromArrays({ n: BigInt64Array.from([1n, 2n]) })
  const second = tableFromArrays({ n: BigInt64Array.from([3n, 4n, 5n]) })
  const twoBatches = new Table([...first.batches, ...second.batches])
  return [
    { name: 'plain', table: plain, batches: 1 },
    { name: 'dictionary', table: dictionary, batches: 1 },
    { name: 'two-batches', table: twoBatches, batches: 2 }
  ]
}

test('@ipld/car writes apache-arrow streams under a DAG-CBOR root of another shape', async () => {
  mkdirSync(fixtures, { recursive: true })
  const blocks = []
  const described = []
  for (const { name, table, batches } of streams()) {
    const bytes = tableToIPC(table, 'stream')
    assert.equal(tableFromIPC(bytes).numRows, table.numRows)
    assert.equal(tableFromIPC(bytes).batches.length, batches)
    const cid = CID.create(1, raw.code, await sha256.digest(bytes))
    const file = `${name}.arrows`
    writeFileSync(join(fixtures, file), bytes)
    blocks.push({ cid, bytes })
    described.push({ name, cid: cid.toString(), file, rows: table.numRows, batches, bytes: bytes.length })
  }

  const root = { type: 'sensor-readings', version: 7, files: blocks.map(b => b.cid), written: 'by @ipld/car' }
  const rootBytes = dagCbor.encode(root)
  const rootCid = CID.create(1, dagCbor.code, await sha256.digest(rootBytes))
  const { writer, out } = CarWriter.create([rootCid])
  const chunks = []
  const collected = (async () => { for await (const chunk of out) chunks.push(chunk) })()
  await writer.put({ cid: rootCid, bytes: rootBytes })
  for (const block of blocks) await writer.put(block)
  await writer.close()
  await collected
  const car = Buffer.concat(chunks)
  writeFileSync(join(fixtures, 'foreign.car'), car)
  writeFileSync(join(fixtures, 'root.cbor'), rootBytes)

  // The CAR reads back with every block where it should be.
  const reader = await CarReader.fromBytes(car)
  assert.deepEqual((await reader.getRoots()).map(String), [rootCid.toString()])
  let count = 0
  for await (const block of reader.blocks()) {
    assert.deepEqual((await sha256.digest(block.bytes)).digest, block.cid.multihash.digest)
    count++
  }
  assert.equal(count, 4)
  writeFileSync(join(fixtures, 'foreign.json'), JSON.stringify({ root: rootCid.toString(), links: blocks.length, streams: described }, null, 2))
})
