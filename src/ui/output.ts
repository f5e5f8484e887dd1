import Table from 'cli-table3';

/** Results go to stdout; everything else (progress, logs, Ink) goes to stderr. */
export function writeResult(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

export function writeInfo(text: string): void {
  process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
}

export type Cell = string | number | boolean | null | undefined;

export function renderTable(head: string[], rows: Cell[][]): string {
  const table = new Table({ head, style: { head: [], border: [] } });
  for (const row of rows) table.push(row.map((c) => (c === null || c === undefined ? '' : String(c))));
  return table.toString();
}

/** Two-column key/value table for `show`-style commands. */
export function renderKeyValues(pairs: [string, Cell][]): string {
  const table = new Table({ style: { head: [], border: [] } });
  for (const [k, v] of pairs) table.push({ [k]: v === null || v === undefined ? '' : String(v) });
  return table.toString();
}
