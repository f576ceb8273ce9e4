// Checks a multi-chunk table as the CLI exports it, with the reference JavaScript implementations:
// `arrowcid export car` (@ipld/car, multiformats, @ipld/dag-cbor, apache-arrow) and
// `arrowcid export parquet` (DuckDB). Driven by the C# test ChunkedTableInteropTests
// (tests/ArrowCid.Cli.Tests), which puts the table, exports both files and writes expected.json:
//   ARROWCID_BUILD_SLOT=cli dotnet test tests/ArrowCid.Cli.Tests --filter "FullyQualifiedName~ChunkedTableInterop"
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { join, dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import * as raw from 'multiformats/codecs/raw'
import * as dagCbor from '@ipld/dag-cbor'
import { CarReader } from '@ipld/car'
import { tableFromIPC } from 'apache-arrow'

const here = dirname(fileURLToPath(import.meta.url))
const fixtures = process.env.ARROWCID_INTEROP_DIR
  ? resolve(process.env.ARROWCID_INTEROP_DIR)
  : join(here, '..', 'fixtures', 'cli-table')
const missing = !existsSync(join(fixtures, 'cli-table.json'))
const skip = missing && `no fixtures in ${fixtures}: run the C# test ChunkedTableInteropTests`
const expected = missing ? null : JSON.parse(readFileSync(join(fixtures, 'cli-table.json'), 'utf8'))

// The block size limit of docs/canonical-form.md section 7 (IPFS refuses blocks over 2 MiB).
const maxBlockBytes = 1048576

const plain = (value) => (typeof value === 'bigint' ? Number(value) : value)

test('export car: every block hashes to its CID, none is over 1 MiB, and the tree from the root reaches every chunk in order', { skip }, async () => {
  const reader = await CarReader.fromBytes(readFileSync(join(fixtures, 'table.car')))
  assert.deepEqual((await reader.getRoots()).map(String), [expected.table])
  const blocks = new Map()
  for await (const { cid, bytes } of reader.blocks()) {
    assert.equal(cid.multihash.code, sha256.code)
    assert.deepEqual((await sha256.digest(bytes)).digest, cid.multihash.digest, `hash of ${cid}`)
    assert.ok(bytes.length <= maxBlockBytes, `${cid} is ${bytes.length} bytes, over 1 MiB`)
    assert.ok(!blocks.has(cid.toString()), `${cid} written twice`)
    blocks.set(cid.toString(), { cid, bytes })
  }

  // Walk the manifest tree depth first, as docs/canonical-form.md 7.5 describes it.
  const chunks = []
  const nodes = new Set()
  const walk = (cid, level, isRoot) => {
    const block = blocks.get(cid.toString())
    assert.ok(block, `${cid} missing from the CAR`)
    if (cid.code === raw.code) {
      assert.equal(level, -1, `chunk ${cid} linked above level 0`)
      chunks.push(block)
      return
    }
    assert.equal(cid.code, dagCbor.code)
    nodes.add(cid.toString())
    const node = dagCbor.decode(block.bytes)
    assert.ok(Buffer.from(dagCbor.encode(node)).equals(Buffer.from(block.bytes)), `${cid} re-encodes byte for byte`)
    assert.equal(node.type, isRoot ? 'arrowcid/dataset' : 'arrowcid/dataset-node')
    assert.equal(node.version, 2)
    if (level !== null) assert.equal(node.level, level, `${cid} level`)
    assert.equal(node.rows, node.entries.reduce((sum, e) => sum + e.rows, 0))
    assert.equal(node.bytes, node.entries.reduce((sum, e) => sum + e.bytes, 0))
    for (const entry of node.entries) {
      if (node.level === 0) assert.equal(entry.bytes, blocks.get(entry.cid.toString())?.bytes.length, `${entry.cid} bytes`)
      walk(entry.cid, node.level - 1, false)
    }
  }
  walk(CID.parse(expected.table), null, true)

  assert.equal(chunks.length, expected.chunks)
  assert.equal(blocks.size, chunks.length + nodes.size, 'the CAR holds exactly the tree')
  let next = 0
  for (const { cid, bytes } of chunks) {
    const table = tableFromIPC(bytes)
    const ids = table.getChild('id')
    for (let i = 0; i < table.numRows; i++, next++) {
      assert.equal(plain(ids.get(i)), next, `${cid} id[${i}]`)
    }
  }
  assert.equal(next, expected.rows)
})

test('export parquet: DuckDB reads every row in order, in row groups of whole chunks', { skip }, async () => {
  const { DuckDBInstance } = await import('@duckdb/node-api')
  const db = await DuckDBInstance.create(':memory:')
  const duck = await db.connect()
  const file = join(fixtures, 'table.parquet').replaceAll("'", "''")
  const [[rows, first, last, sum, labels]] = (await duck.runAndReadAll(
    `SELECT count(*), min(id), max(id), sum(id), count(label) FROM read_parquet('${file}')`)).getRowsJS()
  assert.equal(plain(rows), expected.rows)
  assert.equal(plain(first), 0)
  assert.equal(plain(last), expected.rows - 1)
  assert.equal(BigInt(sum), BigInt(expected.rows) * BigInt(expected.rows - 1) / 2n)
  assert.equal(plain(labels), expected.labels)
  const groups = (await duck.runAndReadAll(
    `SELECT DISTINCT row_group_id, row_group_num_rows FROM parquet_metadata('${file}') ORDER BY row_group_id`)).getRowsJS()
  assert.deepEqual(groups.map(([, n]) => plain(n)), expected.rowGroupRows)
  const kv = (await duck.runAndReadAll(
    `SELECT decode(value) FROM parquet_kv_metadata('${file}') WHERE decode(key) = 'arrowcid.dataset'`)).getRowsJS()
  assert.deepEqual(kv.map(([v]) => v), [expected.table])
})
