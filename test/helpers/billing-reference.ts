import { constantMatrix, type Tariff } from '../../src/core/billing/tariff.js';

/**
 * SAM's residential TOU test tariff (reference 3 of test/unit/billing-reference.test.ts, which cites
 * the source), used by the unit reference and by the bill-from-aggregates integration test.
 */
export function samResidentialTou(): Tariff {
  const row = (a: number, b: number) => [
    ...new Array(10).fill(0),
    ...new Array(5).fill(a),
    ...new Array(5).fill(b),
    0,
    0,
    0,
    0,
  ];
  const tou = [
    ...Array.from({ length: 4 }, () => row(1, 2)),
    ...Array.from({ length: 6 }, () => [...new Array(15).fill(0), ...new Array(5).fill(3), 0, 0, 0, 0]),
    ...Array.from({ length: 2 }, () => row(1, 2)),
  ];
  return {
    tariffId: 'sam-res-tou',
    name: 'SAM residential TOU',
    kind: 'time_of_use',
    validFrom: null,
    validTo: null,
    definition: {
      version: 1,
      currency: 'USD',
      holidays: null,
      fixed: { monthly: 0, daily: 0 },
      minimumMonthly: 0,
      energy: {
        periods: [0.1, 0.05, 0.2, 0.25].map((rate, i) => ({
          name: `period ${i + 1}`,
          tiers: [{ max: null, rate }],
        })),
        schedule: { weekday: tou, weekend: constantMatrix(0), holiday: constantMatrix(0) },
      },
      demand: null,
      flatDemand: null,
      source: { kind: 'yaml' },
    },
  };
}
