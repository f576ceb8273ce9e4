// Writes the CSV of the explorer's 1 GiB measurement (docs/performance.md, "Web explorer"):
//   node clients/explorer/bench/big-csv.mjs 36000000 > big.csv
// Rows i = 1…N: id, station-(i mod 100000), temperature (i mod 5000)/10, ok (i odd).
import { once } from 'node:events';

const rows = Number(process.argv[2] ?? 36_000_000);
const out = process.stdout;
let text = 'id,station,temperature,ok\n';
for (let i = 1; i <= rows; i++) {
  text += `${i},station-${i % 100000},${(i % 5000) / 10},${i % 2 === 1}\n`;
  if (text.length > 1 << 20) {
    if (!out.write(text)) await once(out, 'drain');
    text = '';
  }
}
out.write(text);
