// NEM12 decode throughput, CPU time, to compare two checkouts:
//   node --import tsx scripts/nem12-decode-speed.mts <checkout>   (once per checkout; CPU ms, best of 5)
// (generates /tmp/smt-nem12-speed.csv once: 1000 NMIs × E1+B1 × 28 days × 48 intervals)
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const root = process.argv[2]!;
const { decode } = await import(`${root}/src/core/codecs/index.ts`);
const file = '/tmp/smt-nem12-speed.csv';
if (!existsSync(file)) {
  const lines = ['100,NEM12,202603020830,MDP1,RETAILER1'];
  for (let m = 0; m < 1000; m++) {
    const nmi = `NEM${String(m).padStart(7, '0')}`;
    for (const [sfx, uom] of [
      ['E1', 'kWh'],
      ['B1', 'kWh'],
    ]) {
      lines.push(`200,${nmi},E1B1,1,${sfx},N1,MS${m},${uom},30,20260401`);
      for (let d = 1; d <= 28; d++) {
        const vals = Array.from({ length: 48 }, (_, i) => ((i * 37 + m + d) % 1000) / 1000).join(',');
        lines.push(`300,202602${String(d).padStart(2, '0')},${vals},A,,,20260302083000,20260302090000`);
      }
    }
  }
  lines.push('900');
  writeFileSync(file, `${lines.join('\n')}\n`);
}
const bytes = new Uint8Array(readFileSync(file));
let best = Infinity,
  n = 0;
for (let r = 0; r < 5; r++) {
  const c0 = process.cpuUsage();
  const res = decode('nem12', bytes);
  const c = process.cpuUsage(c0);
  const ms = (c.user + c.system) / 1000;
  n = res.blocks.reduce((a: number, b: { values: Float64Array }) => a + b.values.length, 0);
  if (res.failures.length) throw new Error(res.failures[0].message);
  best = Math.min(best, ms);
}
console.log(
  `${n} readings, best ${best.toFixed(0)} ms CPU, ${(((n / best) * 1000) / 1e6).toFixed(2)} M readings/s`,
);
