import { encode } from '../../src/core/codecs/index.js';
import { decodeAndValidateMessage } from '../../src/core/ingest/decode-stage.js';
import { NO_SEQUENCE } from '../../src/core/readings/block.js';
import type { RegistryView } from '../../src/core/registry/registry-view.js';
import { ingestWriter, type WriteUnit } from '../../src/core/series/planner.js';
import type { SeriesPorts } from '../../src/core/series/ports.js';
import { writeSeries } from '../../src/core/series/writer.js';
import { LocalCalendar } from '../../src/core/time/calendar.js';
import type { VeeEngine } from '../../src/core/vee/engine.js';

export interface DayDelivery {
  meterId: string;
  day: string;
  value: (i: number) => number;
}

/**
 * What `smt ingest` does with JSON messages of whole meter-days: decode, validate (as of an hour
 * after the day), writeSeries with the ingest writer — raw archive, series, ClickHouse, topics,
 * counts. Offsets count up per call site (`state.offset`).
 */
export async function ingestDays(
  ports: SeriesPorts,
  ctx: {
    engine: VeeEngine;
    registry: RegistryView;
    zone: string;
    topic: string;
    state: { offset: number; last: number };
  },
  days: readonly DayDelivery[],
): Promise<void> {
  const units: WriteUnit[] = days.map(({ meterId, day, value }) => {
    const starts = LocalCalendar.for(ctx.zone).intervalStarts(day, 15);
    const n = starts.length;
    const block = {
      meterId,
      channel: 'active_import_kwh',
      intervalMinutes: 15 as const,
      starts,
      values: Float64Array.from({ length: n }, (_, i) => value(i)),
      status: new Uint32Array(n),
      sequence: new Int32Array(n).fill(NO_SEQUENCE),
      commQuality: Number.NaN,
    };
    const payload = Buffer.from(encode('json', [block]) as string);
    const now = starts[n - 1]! + 3_600_000;
    const d = decodeAndValidateMessage({ key: meterId, value: payload, format: 'json' }, ctx.engine, {
      now,
      timezone: ctx.zone,
      registry: ctx.registry,
    });
    const offset = ctx.state.offset++;
    return {
      source: `${ctx.topic}/0/${offset}`,
      sourceRef: { topic: ctx.topic, partition: 0, offset: String(offset) },
      key: meterId,
      format: 'json',
      payload,
      receivedAt: now,
      reject: d.reject,
      blocks: d.blocks,
      columns: d.columns,
      offsets: d.offsets,
    };
  });
  const plan = await writeSeries(ports, {
    writer: ingestWriter('test'),
    units,
    meters: ctx.registry,
    fallbackZone: ctx.zone,
    now: Date.now(),
    lastVersion: ctx.state.last,
  });
  ctx.state.last = plan.lastVersion;
}
