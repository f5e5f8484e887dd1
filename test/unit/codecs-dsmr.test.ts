import { describe, expect, it } from 'vitest';
import { crc16Arc, decode, detectFormat } from '../../src/core/codecs/index.js';

const ascii = (s: string) => Array.from(Buffer.from(s, 'latin1'));

/** A DSMR 5 telegram (CRLF line ends, as the P1 port sends them), CRC appended. */
function telegram(
  stamp: string,
  t1: string,
  t2: string,
  extra: string[] = [],
  id = '4530303034303031',
): string {
  const body = [
    '/ISK5\\2M550T-1012',
    '',
    '1-3:0.2.8(50)',
    `0-0:1.0.0(${stamp})`,
    `0-0:96.1.1(${id})`,
    `1-0:1.8.1(${t1}*kWh)`,
    `1-0:1.8.2(${t2}*kWh)`,
    '1-0:2.8.1(000000.000*kWh)',
    '1-0:2.8.2(000000.000*kWh)',
    '0-0:96.14.0(0002)',
    '1-0:1.7.0(00.524*kW)',
    '0-1:24.2.1(260329020000S)(01234.567*m3)',
    ...extra,
    '!',
  ].join('\r\n');
  return `${body}${crc16Arc(ascii(body)).toString(16).toUpperCase().padStart(4, '0')}\r\n`;
}

describe('DSMR P1 telegrams', () => {
  it('CRC-16/ARC has the catalogue check value (0xBB3D for "123456789")', () => {
    expect(crc16Arc(ascii('123456789'))).toBe(0xbb3d);
  });

  it('cumulative tariff registers → consumption per quarter-hour, S/W suffix → UTC, equipment id decoded', () => {
    // winter time (W = UTC+1): 10:00, 10:00:10, 10:15:01, 10:30:00
    const text = [
      telegram('260110100000W', '001000.000', '000500.000'),
      telegram('260110100010W', '001000.010', '000500.000'),
      telegram('260110101501W', '001000.100', '000500.025'),
      telegram('260110103000W', '001000.300', '000500.025'),
    ].join('');
    expect(detectFormat(text)).toBe('dsmr');
    const r = decode('dsmr', text);
    expect(r.failures).toEqual([]);
    const imp = r.blocks.find((b) => b.channel === 'active_import_kwh')!;
    expect(imp.meterId).toBe('E0004001');
    expect(imp.intervalMinutes).toBe(15);
    expect(Array.from(imp.starts)).toEqual([Date.UTC(2026, 0, 10, 9, 0), Date.UTC(2026, 0, 10, 9, 15)]);
    expect(Array.from(imp.values)).toEqual([0.125, 0.2]);
    const exp = r.blocks.find((b) => b.channel === 'active_export_kwh')!;
    expect(Array.from(exp.values)).toEqual([0, 0]);
    // what was not read is said, once per OBIS code
    expect(r.warnings.map((w) => w.message)).toEqual([
      '0-0:96.14.0 (tariff indicator) on 4 lines: not read',
      '1-0:1.7.0 (instantaneous value, not an interval reading) on 4 lines: not read',
      '0-1:24.2.1 (gas or water meter reading: smt channels are electricity) on 4 lines: not read',
    ]);
  });

  it('summer time S is UTC+2; a quarter-hour without a telegram at its boundary is missing, not zero or interpolated', () => {
    const text = [
      telegram('260701120000S', '000010.000', '000000.000'),
      telegram('260701121500S', '000010.500', '000000.000'),
      // no telegram near 12:30
      telegram('260701124500S', '000011.500', '000000.000'),
    ].join('');
    const imp = decode('dsmr', text).blocks.find((b) => b.channel === 'active_import_kwh')!;
    expect(Array.from(imp.starts)).toEqual([
      Date.UTC(2026, 6, 1, 10, 0),
      Date.UTC(2026, 6, 1, 10, 15),
      Date.UTC(2026, 6, 1, 10, 30),
    ]);
    expect(Array.from(imp.values)).toEqual([0.5, Number.NaN, Number.NaN]);
  });

  it('the fall-back hour is told apart by S and W: 02:00S and 02:00W are an hour apart', () => {
    const text = [
      telegram('261025020000S', '000100.000', '0'),
      telegram('261025020000W', '000101.000', '0'),
    ].join('');
    const imp = decode('dsmr', text, { intervalMinutes: 60 }).blocks.find(
      (b) => b.channel === 'active_import_kwh',
    )!;
    expect(Array.from(imp.starts)).toEqual([Date.UTC(2026, 9, 25, 0)]);
    expect(Array.from(imp.values)).toEqual([1]);
  });

  it('a corrupt telegram (CRC mismatch) is a failure at its line and byte; the others still decode', () => {
    const good = telegram('260110100000W', '001000.000', '000500.000');
    const bad = telegram('260110101500W', '001000.100', '000500.000').replace('001000.100', '001000.900');
    const r = decode('dsmr', good + bad, { sourceName: 'p1.log' });
    expect(r.failures).toHaveLength(1);
    const f = r.failures[0]!;
    expect(f.message).toMatch(
      /^telegram CRC [0-9A-F]{4} does not match its content \(computed [0-9A-F]{4}\)/,
    );
    expect(f.location.line).toBe(26); // the '!' line of the second telegram (13 lines each)
    expect(f.location.byteOffset).toBe(good.length + bad.indexOf('!') + 1);
    expect(f.source).toBe('p1.log');
  });

  it('Belgian e-MUCS and Swedish telegrams: a .0 total register is used as is; kvarh registers feed reactive channels', () => {
    const swedish = (stamp: string, a: string, q: string) => {
      const body = [
        '/ELL5\\253833635_A',
        '',
        `0-0:1.0.0(${stamp})`,
        `1-0:1.8.0(${a}*kWh)`,
        '1-0:2.8.0(00000000.000*kWh)',
        `1-0:3.8.0(${q}*kvarh)`,
        '1-0:4.8.0(00000010.000*kvarh)',
        '1-0:32.7.0(230.1*V)',
        '!',
      ].join('\r\n');
      return `${body}${crc16Arc(ascii(body)).toString(16).toUpperCase().padStart(4, '0')}\r\n`;
    };
    const text =
      swedish('260110100000W', '00001234.500', '00000001.000') +
      swedish('260110101500W', '00001234.750', '00000001.125');
    const r = decode('dsmr', text, { meterId: 'SE-1' });
    expect(r.failures).toEqual([]);
    const by = Object.fromEntries(r.blocks.map((b) => [b.channel, Array.from(b.values)]));
    expect(by).toEqual({
      active_import_kwh: [0.25],
      active_export_kwh: [0],
      reactive_import_kvarh: [0.125],
      reactive_export_kvarh: [0],
    });
    expect(r.blocks[0]!.meterId).toBe('SE-1');
  });

  it('bad input: no telegram, a torn telegram, a bad timestamp, a telegram without a CRC (DSMR 2/3) — errors with lines, never a throw', () => {
    expect(decode('dsmr', 'hello').failures[0]!.message).toMatch(/no DSMR telegram/);
    const torn = telegram('260110100000W', '1', '2').slice(0, 60);
    expect(decode('dsmr', torn).failures[0]).toMatchObject({
      message: expect.stringMatching(/without its end/),
      location: { line: 1 },
    });
    const badTime = telegram('261310100000W', '1', '2');
    expect(decode('dsmr', badTime).failures[0]).toMatchObject({ location: { line: 4, field: '0-0:1.0.0' } });
    const noCrc = telegram('260110100000W', '1', '2').replace(/![0-9A-F]{4}/, '!');
    const r = decode('dsmr', noCrc);
    expect(r.failures).toEqual([]);
    expect(r.warnings[0]!.message).toBe('telegram without a CRC (DSMR 2/3): not checked');
    for (let k = 0; k < badTime.length; k += 7)
      expect(() => decode('dsmr', badTime.slice(0, k))).not.toThrow();
  });
});
