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

  it('refuses ids with whitespace around them instead of trimming them (ids are kept exactly)', () => {
    const p = parseMeterCsv(
      `${HEADER}\n M1,A1,T1,SE3,residential,UTC,15,active,,2024-01-01,\nM2,A1 ,T1,SE3, residential ,UTC, 15 ,active,,2024-01-01,\n`,
    );
    expect(p.problems).toEqual([
      {
        line: 2,
        field: 'meter_id',
        message: '" M1" has whitespace around it; ids are kept exactly as written, so remove it in the file',
      },
      {
        line: 3,
        field: 'account_id',
        message: '"A1 " has whitespace around it; ids are kept exactly as written, so remove it in the file',
      },
    ]);
    // whitespace around an enumeration or a number carries no meaning
    expect(p.meters).toEqual([]);
  });

  it('rated_kw is stored exactly or refused: more than 3 decimals, 10 GW or more, not a plain decimal', () => {
    const row = (kw: string) => `M${kw},A,T,R,industrial,UTC,60,active,${kw},2024-01-01,`;
    const p = parseMeterCsv(
      [HEADER, row('9999999.999'), row('1.2345'), row('10000000'), row('1e3'), row('-5'), row('0.001')].join(
        '\n',
      ),
    );
    expect(p.meters.map((m) => [m.line, m.meter.ratedKw])).toEqual([
      [2, 9999999.999],
      [7, 0.001],
    ]);
    expect(p.problems.map((x) => [x.line, x.field, x.message])).toEqual([
      [
        3,
        'rated_kw',
        '"1.2345" has 4 decimals; the registry keeps rated power to 3 decimals (watts) and does not round: round it in the file',
      ],
      [
        4,
        'rated_kw',
        '"10000000" kW is 10 GW or more; the registry holds rated power below 10,000,000 kW (a unit mix-up, W for kW?)',
      ],
      [5, 'rated_kw', 'expected a positive decimal number of kW, found "1e3"'],
      [6, 'rated_kw', 'expected a positive decimal number of kW, found "-5"'],
    ]);
  });

  it('refuses installation and removal dates outside 1970 … 2099 (9999-12-31 as an open end)', () => {
    const p = parseMeterCsv(
      [
        HEADER,
        'M1,A,T,R,industrial,UTC,60,active,,9999-12-31,',
        'M2,A,T,R,industrial,UTC,60,removed,,2024-01-01,9999-12-31',
        'M3,A,T,R,industrial,UTC,60,active,,1969-12-31,',
        'M4,A,T,R,industrial,UTC,60,removed,,1970-01-01,2099-12-31',
      ].join('\n'),
    );
    expect(p.problems.map((x) => [x.line, x.field, x.message])).toEqual([
      [
        2,
        'installed_at',
        '"9999-12-31" is outside 1970-01-01 … 2099-12-31; leave removed_at empty for a meter still in place',
      ],
      [
        3,
        'removed_at',
        '"9999-12-31" is outside 1970-01-01 … 2099-12-31; leave removed_at empty for a meter still in place',
      ],
      [
        4,
        'installed_at',
        '"1969-12-31" is outside 1970-01-01 … 2099-12-31; leave removed_at empty for a meter still in place',
      ],
    ]);
    expect(p.meters.map((m) => m.meter.meterId)).toEqual(['M4']);
  });

  for (const [name, nl] of [
    ['LF', '\n'],
    ['CRLF', '\r\n'],
  ] as const) {
    it(`keeps line numbers right after a quoted field that spans lines (${name})`, () => {
      const text = [
        HEADER,
        'M1,"A,1",T1,SE3,residential,UTC,15,active,,2024-01-01,',
        'M2,A2,"T',
        'with',
        'lines",SE3,residential,UTC,15,active,,2024-01-01,',
        '',
        'M3,A3,T3,SE3,residential,UTC,20,active,,2024-01-01,',
      ].join(nl);
      const p = parseMeterCsv(text);
      expect(p.problems.map((x) => [x.line, x.field])).toEqual([
        [2, 'account_id'],
        [3, 'tariff_id'],
        [7, 'interval_minutes'],
      ]);
    });
  }

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
