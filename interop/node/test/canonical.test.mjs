// Checks ArrowCid's canonical Arrow encoding with independent implementations.
// The C# test CanonicalNodeInteropTests writes our canonical bytes (canonical-*.arrows) and
// canonical.json into the fixture folder, runs this file, then reads what it wrote here:
// the same table from apache-arrow (JS) as a stream, as a file and as a slice of a larger table,
// whose CIDs must all be equal. Run by hand after the C# test:
//   ARROWCID_CANONICAL_DIR=<folder> node --test test/canonical.test.mjs
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join, dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { CID } from 'multiformats/cid'
import { Table, tableFromIPC, tableToIPC, vectorFromArray, Int32, Utf8, Float64, Bool } from 'apache-arrow'
import pl from 'nodejs-polars'

const here = dirname(fileURLToPath(import.meta.url))
const fixtures = process.env.ARROWCID_CANONICAL_DIR
  ? resolve(process.env.ARROWCID_CANONICAL_DIR)
  : join(here, '..', 'fixtures', 'canonical')
const manifestPath = join(fixtures, 'canonical.json')
const skip = existsSync(manifestPath)
  ? false
  : `no fixtures in ${fixtures}: run the C# test CanonicalNodeInteropTests (it runs this file)`
const manifest = skip ? { tables: [], jsTable: { rows: [] } } : JSON.parse(readFileSync(manifestPath, 'utf8'))

// Expected values travel as JSON: NaN as "NaN", negative zero as "-0".
function expected (value) {
  if (value === 'NaN') return NaN
  if (value === '-0') return -0
  return value
}

function plain (value) {
  if (value === null || value === undefined) return null
  if (typeof value === 'bigint') return Number(value)
  if (typeof value === 'object' && typeof value.toArray === 'function') return [...value.toArray()].map(plain)
  if (ArrayBuffer.isView(value)) return [...value].map(plain)
  return value
}

for (const entry of manifest.tables) {
  test(`canonical ${entry.name}: sha-256 of the bytes is the CID's digest`, { skip }, () => {
    const bytes = readFileSync(join(fixtures, entry.file))
    const cid = CID.parse(entry.cid)
    assert.equal(cid.version, 1)
    assert.equal(cid.code, 0x55)
    assert.equal(cid.multihash.code, 0x12)
    assert.equal(bytes.length, entry.length)
    assert.deepEqual(new Uint8Array(createHash('sha256').update(bytes).digest()), cid.multihash.digest)
  })

  test(`canonical ${entry.name}: apache-arrow reads the expected values`, { skip }, () => {
    const table = tableFromIPC(readFileSync(join(fixtures, entry.file)))
    assert.equal(table.numRows, entry.rows)
    assert.deepEqual(table.schema.fields.map(f => f.name), Object.keys(entry.columns))
    for (const [name, values] of Object.entries(entry.columns)) {
      const column = table.getChild(name)
      assert.deepEqual([...column].map(plain), values.map(expected), `column ${name}`)
    }
    for (const [key, value] of Object.entries(entry.metadata ?? {})) {
      assert.equal(table.schema.metadata.get(key), value)
    }
  })

  test(`canonical ${entry.name}: nodejs-polars reads the expected values`, { skip }, () => {
    const df = pl.readIPCStream(readFileSync(join(fixtures, entry.file)))
    assert.equal(df.height, entry.rows)
    assert.deepEqual(df.columns, Object.keys(entry.columns))
    for (const [name, values] of Object.entries(entry.columns)) {
      assert.deepEqual(df.getColumn(name).toArray().map(plain), values.map(expected), `column ${name}`)
    }
  })
}

// One table three ways; the C# side checks that all three have the CID of its own build of it.
test('apache-arrow writes one table as a stream, a file and a slice of a larger table', { skip }, () => {
  const rows = manifest.jsTable.rows
  const make = (rs) => new Table({
    id: vectorFromArray(rs.map(r => r[0]), new Int32()),
    name: vectorFromArray(rs.map(r => r[1]), new Utf8()),
    score: vectorFromArray(rs.map(r => expected(r[2])), new Float64()),
    flag: vectorFromArray(rs.map(r => r[3]), new Bool()),
  })
  const table = make(rows)
  writeFileSync(join(fixtures, 'js-stream.arrows'), tableToIPC(table, 'stream'))
  writeFileSync(join(fixtures, 'js-file.arrow'), tableToIPC(table, 'file'))
  const padding = [[-1, 'junk before', 1.25, false], [-2, null, NaN, null], [-3, 'x', 0, true]]
  const larger = make([...padding, ...rows, ...padding.slice(0, 2)])
  const slice = larger.slice(padding.length, padding.length + rows.length)
  assert.equal(slice.numRows, rows.length)
  writeFileSync(join(fixtures, 'js-slice.arrows'), tableToIPC(slice, 'stream'))
})
