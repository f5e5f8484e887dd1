import type { SeriesDay } from '../series/day.js';
import { daySlots, positionOffsets, slotLabel } from './local-grid.js';

/** One stored version of a meter-day and what it changed against the version it superseded. */
export interface DayVersion {
  version: number;
  supersedes: number | null;
  writtenAt: string;
  writer: string;
  reason: string;
  readings: number;
  /** positions whose value or quality differ from the previous version */
  changed: number;
  /** the changed positions as local time ranges, e.g. `02:00–02:45` */
  changedRanges: string[];
}

function differs(a: SeriesDay | undefined, b: SeriesDay, i: number): boolean {
  if (!a) return !Number.isNaN(b.values[i]!);
  const x = a.values[i]!;
  const y = b.values[i]!;
  return !(x === y || (Number.isNaN(x) && Number.isNaN(y))) || a.quality[i] !== b.quality[i];
}

/** `versions` newest first, as the series reader returns them. */
export function versionHistory(versions: readonly SeriesDay[], timezone: string): DayVersion[] {
  return versions.map((v, k) => {
    const prev = versions[k + 1];
    const slots = daySlots(
      positionOffsets(timezone, v.dayStart, v.values.length, v.intervalMinutes),
      v.intervalMinutes,
    );
    const ranges: string[] = [];
    let changed = 0;
    let runStart = -1;
    const close = (end: number) => {
      if (runStart < 0) return;
      const a = slotLabel(slots[runStart]!);
      ranges.push(end === runStart ? a : `${a}–${slotLabel(slots[end]!)}`);
      runStart = -1;
    };
    let readings = 0;
    for (let i = 0; i < v.values.length; i++) {
      if (!Number.isNaN(v.values[i]!)) readings++;
      if (differs(prev, v, i)) {
        changed++;
        if (runStart < 0) runStart = i;
      } else close(i - 1);
    }
    close(v.values.length - 1);
    return {
      version: v.version,
      supersedes: v.supersedes,
      writtenAt: new Date(v.writtenAt).toISOString(),
      writer: v.writer,
      reason: v.reason,
      readings,
      changed,
      changedRanges: ranges,
    };
  });
}
