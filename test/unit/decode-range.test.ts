import { describe, expect, it } from 'vitest';
import {
  inThreadDecodeStage,
  MAX_READINGS_PER_MESSAGE,
  outOfRange,
} from '../../src/core/ingest/decode-stage.js';
import type { ConsumedMessage } from '../../src/core/kafka/messages.js';
import { VeeEngine } from '../../src/core/vee/engine.js';
import { loadDefaultRuleSet } from '../../src/core/vee/rule-set.js';
import { meterDay } from '../helpers/blocks.js';

const stage = inThreadDecodeStage(new VeeEngine(loadDefaultRuleSet()));
const msg = (block: Record<string, unknown>): ConsumedMessage => ({
  topic: 't',
  partition: 0,
  offset: '1',
  key: 'M1',
  value: Buffer.from(
    JSON.stringify({ v: 1, meter: 'M1', channel: 'active_import_kwh', interval: 15, ...block }),
  ),
  format: 'json',
  timestamp: 0,
});

describe('messages outside the range the stores hold are dead-lettered at decode', () => {
  it('instants before 1970, after 2100, or beyond what a Date holds, and oversized messages', async () => {
    const [far, early, late, ok, big] = await stage(
      [
        msg({ start: 9e15, values: [1] }),
        msg({ start: '1969-12-31T23:45:00Z', values: [1, 2] }),
        msg({ start: '2099-12-31T23:45:00Z', values: [1, 2] }),
        msg({ start: '2026-03-10T00:00:00Z', values: [1, 2] }),
        msg({
          start: '2026-03-10T00:00:00Z',
          interval: 5,
          values: new Array(MAX_READINGS_PER_MESSAGE + 1).fill(0),
        }),
      ],
      { now: Date.UTC(2026, 2, 11), timezone: 'UTC' },
    );
    expect(far!.reject).toEqual({
      rule: 'message.range',
      reason:
        'interval start 9000000000000000 ms of meter M1 (reading 0) is outside 1970-01-01 … 2100-01-01 UTC',
    });
    expect(early!.reject).toEqual({
      rule: 'message.range',
      reason:
        'interval start 1969-12-31T23:45:00.000Z of meter M1 (reading 0) is outside 1970-01-01 … 2100-01-01 UTC',
    });
    expect(late!.reject).toEqual({
      rule: 'message.range',
      reason:
        'interval start 2100-01-01T00:00:00.000Z of meter M1 (reading 1) is outside 1970-01-01 … 2100-01-01 UTC',
    });
    expect(ok!.reject).toBe(null);
    // the JSON decoder caps a block itself; the message-level cap holds for every format
    expect(big!.reject).toEqual({
      rule: 'decode',
      reason: 'values: expected 1 to 8928 readings, found 44641 (values)',
    });
    const block = meterDay('M1', '2026-03-10', 'UTC', () => 0.1, { minutes: 15 });
    const many = Array.from({ length: Math.ceil((MAX_READINGS_PER_MESSAGE + 1) / 96) }, () => block);
    expect(outOfRange(many)).toBe(
      `${many.length * 96} readings in one message; at most ${MAX_READINGS_PER_MESSAGE} (a month of 1-minute intervals) are taken`,
    );
    expect(outOfRange([block])).toBe(null);
  });
});
