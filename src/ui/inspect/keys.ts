/** The keys of `smt inspect`, shown by `?` and in docs/inspect.md. */
export const INSPECT_KEYS: [string, string][] = [
  ['← → h l', 'previous / next interval'],
  ['↑ ↓ k j', 'previous / next day'],
  ['PgUp PgDn', 'a week back / forward'],
  ['g / G', 'next / previous gap (missing run)'],
  ['e', 'next estimate'],
  ['space', 'start (or clear) a selection on the day'],
  ['Enter', "drill down: the day's intervals and versions"],
  ['c', 'correct the selection (or the interval): preview, reason, confirm'],
  ['a', 'audit history of the meter'],
  ['?', 'this help'],
  ['q', 'quit'],
];
