import { describe, expect, it } from 'vitest';
import { runBacktest } from '../../src/core/estimation/backtest.js';
import { addDatasetHolidayRegions, uciSceauxMeters } from '../../src/core/estimation/datasets.js';
import { defaultEstimationSettings } from '../../src/core/estimation/settings.js';

describe('the backtest on the measured Sceaux household (seed 1, 20 gaps per class)', () => {
  it('the default chain fills 4-hour gaps by interp_blend and beats plain linear and like-day in every class above 1 h', () => {
    const settings = defaultEstimationSettings();
    addDatasetHolidayRegions(settings);
    const r = runBacktest('uci-sceaux', uciSceauxMeters(), { seed: 1, samplesPerClass: 20, settings });
    const wape = (c: '15min' | '1h' | '4h' | '1d' | '3d') =>
      Object.fromEntries(Object.entries(r.byClass[c]).map(([m, s]) => [m, s.wapePct]));
    // the chain is linear up to an hour
    expect(wape('15min')).toMatchObject({ linear: 16.97, interp_blend: 15.66, chain: 16.97 });
    expect(wape('1h')).toMatchObject({ linear: 34.45, interp_blend: 33.61, chain: 34.45 });
    // at 4 h the chain was profile (52.34), behind linear; now interp_blend
    expect(wape('4h')).toMatchObject({
      linear: 46.53,
      like_day: 62.05,
      profile: 52.34,
      interp_blend: 43.05,
      chain: 43.05,
    });
    expect(r.byClass['1d'].interp_blend).toMatchObject({ samples: 0, notApplicable: 20 });
    expect(r.target).toEqual([
      { gapClass: '4h', chain: 43.05, linear: 46.53, likeDay: 62.05, met: true },
      { gapClass: '1d', chain: 49.24, linear: 67.1, likeDay: 51.32, met: true },
      { gapClass: '3d', chain: 54.43, linear: 77.79, likeDay: 56.74, met: true },
    ]);
  }, 120_000);
});
