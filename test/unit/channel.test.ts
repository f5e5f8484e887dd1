import { describe, expect, it } from 'vitest';
import { CATALOGUE, nem12ChannelSpec, normaliseObis, parseChannel } from '../../src/core/readings/channel.js';

describe('channels as an open identity', () => {
  it('every catalogue channel resolves by name, any case, and by its OBIS code to the same id', () => {
    for (const c of CATALOGUE) {
      expect(parseChannel(c.id)).toBe(c);
      expect(parseChannel(c.id.toUpperCase())).toBe(c);
      if (c.obis) expect(parseChannel(c.obis)?.id).toBe(c.id);
    }
    expect(new Set(CATALOGUE.map((c) => c.id)).size).toBe(CATALOGUE.length);
    expect(new Set(CATALOGUE.filter((c) => c.obis).map((c) => c.obis)).size).toBe(
      CATALOGUE.filter((c) => c.obis).length,
    );
  });

  it('reads OBIS codes in their usual notations', () => {
    expect(normaliseObis('1-0:1.8.0')).toBe('1-0:1.8.0');
    expect(normaliseObis('1-0:1.8.0.255')).toBe('1-0:1.8.0');
    expect(normaliseObis('1.0.1.8.0.255')).toBe('1-0:1.8.0');
    expect(normaliseObis('1.8.0')).toBe('1-0:1.8.0');
    expect(normaliseObis('1-0:1.8.0*255')).toBe('1-0:1.8.0');
    expect(normaliseObis('kwh')).toBe(null);
    expect(parseChannel('1.0.1.8.0.255')?.id).toBe('register_import_kwh');
    expect(parseChannel('obis:1-0:1.29.0')?.id).toBe('active_import_kwh');
  });

  it('types OBIS codes outside the catalogue from their C and D groups', () => {
    expect(parseChannel('1-0:3.8.1')).toMatchObject({
      id: 'obis:1-0:3.8.1',
      quantity: 'reactive_energy',
      direction: 'import',
      unit: 'kvarh',
      kind: 'register',
    });
    expect(parseChannel('1-0:9.4.0')).toMatchObject({
      quantity: 'apparent_power',
      unit: 'kVA',
      kind: 'interval',
    });
    expect(parseChannel('1-0:51.7.0')?.id).toBe('current_l2_a');
    expect(parseChannel('1-0:14.7.0')).toMatchObject({ quantity: 'frequency', unit: 'Hz' });
    expect(parseChannel('0-0:96.10.1')).toBe(null); // not an electricity quantity
    expect(parseChannel('1-0:99.1.0')).toBe(null); // a profile, not a channel
  });

  it('NEM12 data streams: E1/B1/Q1/K1 are catalogue channels, others typed by letter', () => {
    expect(nem12ChannelSpec('E1')?.id).toBe('active_import_kwh');
    expect(nem12ChannelSpec('q1')?.id).toBe('reactive_import_kvarh');
    expect(nem12ChannelSpec('E2')).toMatchObject({ id: 'nem12:E2', quantity: 'active_energy', unit: 'kWh' });
    expect(nem12ChannelSpec('K2')).toMatchObject({
      id: 'nem12:K2',
      quantity: 'reactive_energy',
      direction: 'export',
    });
    expect(nem12ChannelSpec('X1')).toMatchObject({ id: 'nem12:X1', quantity: 'other' });
    expect(nem12ChannelSpec('E')).toBe(null);
    expect(parseChannel('nem12:B2')?.direction).toBe('export');
  });

  it('refuses what is no channel', () => {
    for (const bad of ['', 'kwh', 'active import', 'x'.repeat(65), 'obis:', 'nem12:'])
      expect(parseChannel(bad)).toBe(null);
  });
});

describe('decoders take any channel id and store its canonical form', () => {
  it('a JSON block for an OBIS code decodes to the catalogue name, and reactive energy skips the active-energy rules', async () => {
    const { decode } = await import('../../src/core/codecs/index.js');
    const { VeeEngine, ValidationColumns } = await import('../../src/core/vee/engine.js');
    const { loadDefaultRuleSet } = await import('../../src/core/vee/rule-set.js');
    const { channelRules } = await import('../../src/core/vee/compile.js');
    const { RuleId } = await import('../../src/core/vee/rules.js');
    const payload = JSON.stringify({
      v: 1,
      meter: 'M1',
      channel: '1-0:3.29.0',
      interval: 15,
      start: '2026-03-10T00:00:00Z',
      values: [-1, 2],
    });
    const r = decode('json', Buffer.from(payload));
    expect(r.failures).toEqual([]);
    expect(r.blocks[0]!.channel).toBe('reactive_import_kvarh');
    expect(channelRules('reactive_import_kvarh') & (1 << RuleId.LimitsNegative)).toBe(0);
    expect(channelRules('active_import_kwh') & (1 << RuleId.LimitsNegative)).not.toBe(0);
    expect(channelRules('not a channel')).toBe(0);
    const engine = new VeeEngine(loadDefaultRuleSet());
    const cols = ValidationColumns.allocate(2);
    engine.validateBlock(r.blocks[0]!, { now: Date.UTC(2026, 2, 11), timezone: 'UTC' }, cols, 0);
    expect(cols.ruleMask[0]! & (1 << RuleId.LimitsNegative)).toBe(0);
  });
});
