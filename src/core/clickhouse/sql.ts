/** Literals for ClickHouse SQL: 18.16 has no query parameters, so values are escaped client-side. */
export function chString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
