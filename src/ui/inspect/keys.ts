/** The keys of `smt inspect`, shown by `?` and in docs/inspect.md. */
export const INSPECT_KEYS: [string, string][] = [
  ['← → h l', 'previous / next interval'],
  ['↑ ↓ k j', 'previous / next day'],
  ['Home End 0 $', 'first / last interval of the day'],
  ['PgUp PgDn', 'a week back / forward'],
  ['g / G', 'next / previous gap (missing run)'],
  ['e', 'next estimate'],
  ['v space', 'start (or clear) a selection; it ends at the cursor, on any day'],
  ['shift+arrows HJKL', 'extend the selection (started where the cursor was)'],
  ['Esc', 'clear the selection'],
  ['Enter', "drill down: the day's intervals and versions"],
  ['c', 'correct the selection (or the interval) through smt correct: values, reason, dry run, y'],
  ['a', 'audit history of the meter'],
  ['?', 'this help'],
  ['q', 'quit'],
];
