/**
 * Series days → the codecs' blocks, carrying each interval's quality in NEM12 terms (flag, method,
 * reason), so the existing encoders write exports. Values pass through untouched.
 */
import type { DecodedBlock, IntervalQuality } from '../codecs/types.js';
import { errorMessage, InvalidDataError } from '../errors.js';
import { isIntervalMinutes, NO_SEQUENCE } from '../readings/block.js';
import { Origin, unpackQuality } from '../readings/quality.js';
import { toNem12 } from '../readings/quality-nem12.js';
import type { SeriesDay } from '../series/day.js';
import { intervalStartAt } from '../series/day.js';

/** One block per series day (same meter, channel), every position (missing ones as NaN). */
export function blockOfDay(d: SeriesDay, withNem12Quality: boolean): DecodedBlock {
  if (!isIntervalMinutes(d.intervalMinutes)) throw new Error(`interval of ${d.intervalMinutes} minutes`);
  const n = d.values.length;
  const block: DecodedBlock = {
    meterId: d.meterId,
    channel: d.channel,
    intervalMinutes: d.intervalMinutes,
    starts: new Float64Array(n),
    values: d.values.slice(),
    status: d.status.slice(),
    sequence: new Int32Array(n).fill(NO_SEQUENCE),
    commQuality: Number.NaN,
  };
  for (let i = 0; i < n; i++) block.starts[i] = intervalStartAt(d, i);
  if (withNem12Quality) block.quality = nem12Quality(d);
  return block;
}

function nem12Quality(d: SeriesDay): IntervalQuality {
  const n = d.values.length;
  const q: IntervalQuality = {
    flag: new Uint8Array(n),
    method: new Int16Array(n),
    reason: new Int16Array(n),
    description: new Int16Array(n).fill(-1),
    descriptions: [],
  };
  for (let i = 0; i < n; i++) {
    let nem: ReturnType<typeof toNem12>;
    try {
      const quality = unpackQuality(d.quality[i]!);
      // NaN is missing whatever the stored origin says: N keeps the reason
      if (Number.isNaN(d.values[i]!)) quality.origin = Origin.Missing;
      nem = toNem12(quality);
    } catch (err) {
      throw new InvalidDataError(
        `${d.meterId} ${d.channel} ${new Date(intervalStartAt(d, i)).toISOString()}: the quality cannot be written in NEM12 (${errorMessage(err)})`,
        {
          code: 'NOT_EXPRESSIBLE',
          hint: 'Export this meter as csv or greenbutton, which carry every quality smt holds.',
        },
      );
    }
    const qm = nem.qualityMethod;
    q.flag[i] = qm.charCodeAt(0);
    q.method[i] = qm.length > 1 ? Number(qm.slice(1)) : -1;
    q.reason[i] = nem.reasonCode ?? -1;
    if (nem.reasonDescription) {
      let di = q.descriptions.indexOf(nem.reasonDescription);
      if (di < 0) di = q.descriptions.push(nem.reasonDescription) - 1;
      q.description[i] = di;
    }
  }
  return q;
}
