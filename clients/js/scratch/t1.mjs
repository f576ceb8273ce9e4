import * as arrow from 'apache-arrow';
import { createHash } from 'node:crypto';
import { canonicalize } from '/work/wt/jscid/clients/js/src/canonical/normalize.js';
import { schemaFlatbuffer, encodeBatch } from '/work/wt/jscid/clients/js/src/canonical/encode.js';
function enc(table) {
  const fb = schemaFlatbuffer(table.schema);
  const cols = table.schema.fields.map((f, k) => canonicalize(f.type, table.batches.map(b => ({data: b.data.children[k], start: 0, len: b.numRows}))));
  return encodeBatch(fb, table.schema.fields, cols, table.numRows);
}
const hex = (b) => Buffer.from(b).toString('hex');
const sha = (b) => createHash('sha256').update(b).digest('hex');
const empty = new arrow.Table(new arrow.Schema([]));
let e = enc(empty); console.log(e.length, sha(e));
const t = new arrow.Table({ x: arrow.vectorFromArray([1, null, 3], new arrow.Int32()) });
e = enc(t); console.log(e.length, sha(e)); console.log(hex(e));
{
const s = new arrow.Schema([new arrow.Field('s', new arrow.Utf8(), true), new arrow.Field('f', new arrow.Float64(), true), new arrow.Field('b', new arrow.Bool(), false)], new Map([['b','2'],['a','1']]));
const t = new arrow.Table(s, new arrow.RecordBatch(s, arrow.makeData({type: new arrow.Struct(s.fields), length: 3, nullCount: 0, children: [
  arrow.vectorFromArray(['héllo', null, ''], new arrow.Utf8()).data[0],
  arrow.vectorFromArray([NaN, -0, 2.5], new arrow.Float64()).data[0],
  arrow.vectorFromArray([true, false, true], new arrow.Bool()).data[0]]})));
e = enc(t); console.log('mixed', e.length, sha(e));
}
{
const d = arrow.vectorFromArray(['red', 'green', 'red', null], new arrow.Dictionary(new arrow.Utf8(), new arrow.Int8()));
const l = arrow.vectorFromArray([[1, 2], null, [], [3]], new arrow.List(new arrow.Field('item', new arrow.Int32(), true)));
const t = new arrow.Table({ d, l });
e = enc(t); console.log('dict_list', e.length, sha(e));
}
