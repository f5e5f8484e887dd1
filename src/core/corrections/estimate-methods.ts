/**
 * The `--estimate` names a correction accepts, apart from the estimator (which loads the estimation
 * library and its holiday calendars): `smt inspect` checks what the operator typed against them at
 * start-up cost of nothing.
 */
import type { RangeMethod } from '../estimation/range.js';

/** `--estimate` names → the library's methods. `zero` is not offered: a correction to zero is `--value 0`. */
export const ESTIMATE_METHODS: ReadonlyMap<string, RangeMethod> = new Map<string, RangeMethod>([
  ['linear', 'linear'],
  ['interp-blend', 'interp_blend'],
  ['like-day', 'like_day'],
  ['profile', 'profile'],
  ['average-day', 'average_day'],
  ['chain', 'chain'],
]);
