// dumps every table reached from the schema message: position, vtable position and bytes
export function dump(buf) {
  const fb = buf.subarray(8);
  const dv = new DataView(fb.buffer, fb.byteOffset, fb.byteLength);
  const out = [];
  const table = (pos, name, kids) => {
    const vt = pos - dv.getInt32(pos, true);
    const vsize = dv.getUint16(vt, true);
    const slots = []; for (let i = 4; i < vsize; i += 2) slots.push(dv.getUint16(vt + i, true));
    out.push(`${name} table@${pos.toString(16)} vt@${vt.toString(16)} [${dv.getUint16(vt+2,true)}; ${slots}]`);
    const field = (slot) => slots[slot] ? pos + slots[slot] : 0;
    const ref = (slot) => { const f = field(slot); return f ? f + dv.getUint32(f, true) : 0; };
    if (kids) kids(field, ref);
  };
  const fieldT = (pos, path) => table(pos, path, (field, ref) => {
    const nm = ref(0); const n = dv.getUint32(nm, true);
    const name = Buffer.from(fb.subarray(nm + 4, nm + 4 + n)).toString();
    out[out.length - 1] += ` name=${name}`;
    const ch = ref(5);
    if (ch) { const c = dv.getUint32(ch, true); for (let i = 0; i < c; i++) { const e = ch + 4 + 4 * i; fieldT(e + dv.getUint32(e, true), path + '/' + name); } }
    if (ref(3)) table(ref(3), path + '/' + name + ':type');
  });
  const root = dv.getUint32(0, true);
  table(root, 'message', (field, ref) => {
    const sch = ref(2);
    table(sch, 'schema', (f2, r2) => { const v = r2(1); const c = dv.getUint32(v, true); for (let i = 0; i < c; i++) { const e = v + 4 + 4 * i; fieldT(e + dv.getUint32(e, true), ''); } });
  });
  return out;
}
