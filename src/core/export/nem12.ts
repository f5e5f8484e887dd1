/**
 * NEM12 export: series days → the NEM12 encoder, with each interval's quality as flag, method and
 * reason. The file is deterministic: its 100 DateTime and 300 UpdateDateTime are the newest write
 * time of the data, in market time.
 */
import { encodeNem12 } from '../codecs/nem12.js';
import { errorMessage, InvalidDataError } from '../errors.js';
import type { SeriesDay } from '../series/day.js';
import { blockOfDay } from './blocks.js';

/** NEM12 market time (AEST) as YYYYMMDDhhmm[ss]. */
function marketTime(ms: number, seconds: boolean): string {
  const s = new Date(ms + 10 * 3_600_000).toISOString();
  const t = s.slice(0, 4) + s.slice(5, 7) + s.slice(8, 10) + s.slice(11, 13) + s.slice(14, 16);
  return seconds ? t + s.slice(17, 19) : t;
}

export function encodeNem12Export(
  meters: readonly { meterId: string; intervalMinutes: number }[],
  byMeter: Map<string, SeriesDay[]>,
): { text: string; readings: number; skipped: string[] } {
  const skipped = new Set<string>();
  const blocks = [];
  let newest = 0;
  for (const m of meters) {
    if (!/^[A-Z0-9]{10}([A-Z][A-Z0-9])?$/.test(m.meterId))
      throw new InvalidDataError(
        `meter ${m.meterId} is not an NMI: NEM12 names meters by a 10-character NMI (A-Z, 0-9)`,
        {
          code: 'NOT_EXPRESSIBLE',
          hint: 'Export it as csv or greenbutton.',
        },
      );
    if (m.intervalMinutes === 60)
      throw new InvalidDataError(
        `meter ${m.meterId} has 60-minute intervals, which NEM12 does not have (5, 15, 30)`,
        {
          code: 'NOT_EXPRESSIBLE',
          hint: 'Export it as csv or greenbutton.',
        },
      );
    for (const d of byMeter.get(m.meterId) ?? []) {
      if (d.channel !== 'active_import_kwh' && d.channel !== 'active_export_kwh') {
        skipped.add(d.channel);
        continue;
      }
      newest = Math.max(newest, d.writtenAt);
      blocks.push(blockOfDay(d, true));
    }
  }
  let text: string;
  try {
    text = encodeNem12(blocks, {
      fromParticipant: 'SMT',
      toParticipant: 'SMT',
      createdAt: marketTime(newest, false),
      updateDateTime: marketTime(newest, true),
    });
  } catch (err) {
    throw new InvalidDataError(`cannot write NEM12: ${errorMessage(err)}`, {
      code: 'NOT_EXPRESSIBLE',
      hint: 'Export as csv or greenbutton.',
    });
  }
  // every 300 record carries one value per interval of its market day
  let readings = 0;
  for (const line of text.split('\n')) if (line.startsWith('300,')) readings += line.split(',').length - 7;
  return { text, readings, skipped: [...skipped].sort() };
}
