import { describe, expect, it } from 'vitest';
import type { Meter } from '../../src/core/registry/meter.js';
import { isActiveAt } from '../../src/core/registry/meter.js';
import { formatMeterCsv, parseMeterCsv } from '../../src/core/registry/meter-csv.js';

const HEADER =
  'meter_id,account_id,tariff_id,region_id,segment,timezone,interval_minutes,status,rated_kw,installed_at,removed_at';

describe('registry CSV', () => {
  it('parses a valid row; a date without time is local midnight in the meter zone', () => {
    const p = parseMeterCsv(
      `${HEADER}\nM1,A1,T1,SE3,residential,Europe/Stockholm,15,active,11.5,2024-07-01,\n`,
    );
    expect(p.problems).toEqual([]);
    expect(p.meters).toHaveLength(1);
    const m = p.meters[0]!.meter;
    // Stockholm is UTC+2 in July, so local midnight is 22:00 UTC the day before.
    expect(m.installedAt.toISOString()).toBe('2024-06-30T22:00:00.000Z');
    expect(m.ratedKw).toBe(11.5);
    expect(m.removedAt).toBeNull();
  });

  it('reads the channels a meter reports as canonical ids, and names a bad one', () => {
    const p = parseMeterCsv(
      `${HEADER},channels\nM1,A1,T1,SE3,residential,Europe/Stockholm,15,active,,2024-07-01,,1-0:3.8.0;active_import_kwh;active_import_kwh\nM2,A1,T1,SE3,residential,Europe/Stockholm,15,active,,2024-07-01,,\nM3,A1,T1,SE3,residential,Europe/Stockholm,15,active,,2024-07-01,,kwh\n`,
    );
    expect(p.meters.map((m) => m.meter.channels)).toEqual([
      ['active_import_kwh', 'obis:1-0:3.8.0'],
      undefined,
    ]);
    expect(p.problems).toEqual([
      {
        line: 4,
        field: 'channels',
        message: '"kwh" is not a channel id or OBIS code (separate channels with ";")',
      },
    ]);
  });

  it('reports every bad field with its line number', () => {
    const p = parseMeterCsv(
      `${HEADER}\nM1,A1,T1,SE3,residential,UTC,15,active,,2024-01-01,\nM2,A1,T1,SE3,shop,Nowhere/City,10,gone,0,x,\n`,
    );
    expect(p.meters).toHaveLength(1);
    const fields = p.problems
      .filter((x) => x.line === 3)
      .map((x) => x.field)
      .sort();
    expect(fields).toEqual(['installed_at', 'interval_minutes', 'rated_kw', 'segment', 'status', 'timezone']);
  });

  it('flags duplicates, removal before installation and removed without a date', () => {
    const p = parseMeterCsv(
      `${HEADER}\nM1,A,T,R,industrial,UTC,60,active,,2024-01-01,\nM1,A,T,R,industrial,UTC,60,active,,2024-01-01,\nM3,A,T,R,industrial,UTC,60,active,,2024-02-01,2024-01-01\nM4,A,T,R,industrial,UTC,60,removed,,2024-02-01,\n`,
    );
    expect(p.problems.map((x) => [x.line, x.field])).toEqual([
      [3, 'meter_id'],
      [4, 'removed_at'],
      [5, 'removed_at'],
    ]);
  });

  it('refuses a header with missing or unknown columns', () => {
    expect(parseMeterCsv('meter_id,account_id\nM1,A1\n').fatal[0]?.message).toMatch(
      /missing column\(s\) tariff_id/,
    );
    expect(parseMeterCsv(`${HEADER},colour\n`).fatal[0]?.message).toMatch(/unknown column\(s\) colour/);
    expect(parseMeterCsv('').fatal).toHaveLength(1);
  });

  it('round-trips through formatMeterCsv', () => {
    const meters: Meter[] = [
      {
        meterId: 'SIM-1',
        accountId: 'ACC-1',
        tariffId: 'T-TOU',
        regionId: 'SE4',
        segment: 'commercial',
        timezone: 'America/New_York',
        intervalMinutes: 30,
        status: 'removed',
        ratedKw: 40,
        installedAt: new Date('2023-03-12T07:00:00Z'),
        removedAt: new Date('2025-01-01T05:00:00Z'),
      },
    ];
    const p = parseMeterCsv(formatMeterCsv(meters));
    expect(p.problems).toEqual([]);
    expect(p.meters.map((x) => x.meter)).toEqual(meters);
  });

  it('a meter is active from installation (inclusive) to removal (exclusive)', () => {
    const m: Meter = {
      meterId: 'M',
      accountId: 'A',
      tariffId: 'T',
      regionId: 'R',
      segment: 'residential',
      timezone: 'UTC',
      intervalMinutes: 15,
      status: 'removed',
      ratedKw: null,
      installedAt: new Date('2024-01-01T00:00:00Z'),
      removedAt: new Date('2024-02-01T00:00:00Z'),
    };
    expect(isActiveAt(m, Date.parse('2023-12-31T23:45:00Z'))).toBe(false);
    expect(isActiveAt(m, Date.parse('2024-01-01T00:00:00Z'))).toBe(true);
    expect(isActiveAt(m, Date.parse('2024-01-31T23:45:00Z'))).toBe(true);
    expect(isActiveAt(m, Date.parse('2024-02-01T00:00:00Z'))).toBe(false);
    expect(
      isActiveAt({ ...m, status: 'inactive', removedAt: null }, Date.parse('2024-01-10T00:00:00Z')),
    ).toBe(false);
  });
});
