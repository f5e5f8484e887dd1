import type { MeterFacts } from '../../src/core/gaps/expected.js';

/** An active residential 15-minute meter in Stockholm, installed at the epoch; `over` changes any field. */
export const meterFacts = (over: Partial<MeterFacts> = {}): MeterFacts => ({
  meterId: 'M1',
  timezone: 'Europe/Stockholm',
  intervalMinutes: 15,
  regionId: 'SE3',
  segment: 'residential',
  status: 'active',
  installedAt: 0,
  removedAt: null,
  deenergised: [],
  ...over,
});
