/**
 * Quick micro-measure of codec throughput on one core (not a test, not the VEE bench).
 *   npx tsx scripts/measure-codecs.ts [json|csv|dlms|nem12|all]
 * Prints readings/s for decoding realistic payloads: 96-interval meter-day blocks.
 */
import { decode, encode, type WireFormat } from '../src/core/codecs/index.js';
import type { ReadingBlock } from '../src/core/readings/block.js';

function meterDay(i: number, channel: ReadingBlock['channel'] = 'active_import_kwh'): ReadingBlock {
  const n = 96;
  const start = Date.UTC(2026, 2, 10) - 3_600_000;
  const b: ReadingBlock = {
    meterId: `M${String(i).padStart(7, '0')}`,
    channel,
    intervalMinutes: 15,
    starts: new Float64Array(n),
    values: new Float64Array(n),
    status: new Uint32Array(n),
    sequence: new Int32Array(n),
    commQuality: 97,
  };
  for (let k = 0; k < n; k++) {
    b.starts[k] = start + k * 900_000;
    // 3-decimal kWh values, like real head-end output
    b.values[k] = Math.round((0.05 + ((i * 31 + k * 17) % 400) / 1000) * 1000) / 1000;
    b.sequence[k] = k === 0 ? 1000 + i : b.sequence[k - 1]! + 1;
  }
  if (i % 50 === 0) b.values[10] = Number.NaN;
  return b;
}

function measure(
  label: string,
  payloads: Array<Uint8Array | string>,
  format: WireFormat,
  readingsPer: number,
  opts = {},
): void {
  // warm-up
  for (let r = 0; r < 3; r++) for (const p of payloads) decode(format, p, opts);
  const rounds = 5;
  const t0 = process.hrtime.bigint();
  let readings = 0;
  let failures = 0;
  for (let r = 0; r < rounds; r++) {
    for (const p of payloads) {
      const res = decode(format, p, opts);
      failures += res.failures.length;
      for (const b of res.blocks) readings += b.values.length;
    }
  }
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const expected = rounds * payloads.length * readingsPer;
  console.log(
    `${label.padEnd(34)} ${(readings / s / 1e6).toFixed(2)} M readings/s  (${((s * 1e6) / readings).toFixed(3)} µs/reading, ` +
      `${readings}/${expected} readings, ${failures} failures)`,
  );
}

const which = process.argv[2] ?? 'all';
const blocks = Array.from({ length: 2000 }, (_, i) => meterDay(i));
const te = new TextEncoder();

if (which === 'json' || which === 'all') {
  const strings = blocks.map((b) => encode('json', [b]) as string);
  const bytes = strings.map((s) => te.encode(s));
  console.log(`JSON meter-day message: ${bytes[1]!.length} bytes`);
  measure('json: string messages', strings, 'json', 96);
  measure('json: Uint8Array messages (Kafka)', bytes, 'json', 96);
  const raw = strings.map((s) => s);
  const t0 = process.hrtime.bigint();
  for (let r = 0; r < 5; r++) for (const s of raw) JSON.parse(s);
  const sec = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(
    `${'json: JSON.parse alone'.padEnd(34)} ${((5 * raw.length * 96) / sec / 1e6).toFixed(2)} M readings/s`,
  );
}
if (which === 'csv' || which === 'all') {
  const file = encode('csv', blocks.slice(0, 500)) as string;
  measure('csv: 500 meter-days in one file', [file], 'csv', 500 * 96);
}
if (which === 'dlms' || which === 'all') {
  const buffers = blocks.slice(0, 500).map((b) => encode('dlms', [b]) as Uint8Array);
  measure('dlms: meter-day buffers', buffers, 'dlms', 96, { meterId: 'M1' });
}
if (which === 'nem12' || which === 'all') {
  const nemBlocks = blocks.slice(0, 200).map((b, i) => ({
    ...b,
    meterId: `NMI${String(i).padStart(7, '0')}E1`,
    starts: b.starts.map((_, k) => Date.UTC(2026, 2, 9, 14) + k * 900_000),
  }));
  const file = encode('nem12', nemBlocks) as string;
  measure('nem12: 200 meter-days in one file', [file], 'nem12', 200 * 96);
}
