// apache-arrow (JS) reads ArrowCid shared-memory segments as they are: plain canonical Arrow IPC
// streams whose SHA-256 is the CID's digest. The C# test NodeSegmentInteropTests publishes
// batches into a store (small ones, and a large one that becomes a chunked table, of which two
// chunks are read here like any segment), writes shm.json (segment paths, CIDs, expected values) into the fixture
// folder and runs this file. By hand after that test:
//   ARROWCID_INTEROP_DIR=<folder> node --test test/shm-segment.test.mjs
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { join, dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { CID } from 'multiformats/cid'
import { tableFromIPC } from 'apache-arrow'

const here = dirname(fileURLToPath(import.meta.url))
const fixtures = process.env.ARROWCID_INTEROP_DIR
  ? resolve(process.env.ARROWCID_INTEROP_DIR)
  : join(here, '..', 'fixtures', 'shm')
const manifestPath = join(fixtures, 'shm.json')
const skip = existsSync(manifestPath) ? false : `no fixtures in ${fixtures}: run the C# test NodeSegmentInteropTests (it runs this file)`
const manifest = skip ? { segments: [] } : JSON.parse(readFileSync(manifestPath, 'utf8'))

function plain (value) {
  return typeof value === 'bigint' ? Number(value) : value
}

for (const segment of manifest.segments) {
  test(`segment ${segment.cid}: sha-256 of the file is the CID's digest`, { skip }, () => {
    const bytes = readFileSync(segment.path)
    const cid = CID.parse(segment.cid)
    assert.equal(cid.code, 0x55)
    assert.equal(cid.multihash.code, 0x12)
    assert.deepEqual(new Uint8Array(createHash('sha256').update(bytes).digest()), cid.multihash.digest)
  })

  test(`segment ${segment.cid}: apache-arrow reads the values`, { skip }, () => {
    const table = tableFromIPC(readFileSync(segment.path))
    assert.equal(table.numRows, segment.ids.length)
    assert.deepEqual([...table.getChild('id')].map(plain), segment.ids)
    assert.deepEqual([...table.getChild('name')], segment.names)
  })
}
