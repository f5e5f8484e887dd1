/**
 * A small RFC 4180 record splitter shared by the CSV and NEM12 decoders. Hand-written rather than
 * csv-parse because it is several times faster on meter exports (measured: docs/formats.md) and
 * because both callers need the 1-based line each record starts on for their failures.
 *
 * Fast path: a line without a quote character is split with String.split. Quoted fields may hold
 * delimiters, doubled quotes and line breaks.
 */
/** `fields` is a fresh array callers may keep; `line` is where the record starts. Return false to stop. */
export type CsvRecordSink = (fields: string[], line: number) => boolean | undefined;

export interface CsvSplitProblem {
  line: number;
  message: string;
}

/**
 * Calls `onRecord` for every non-blank record. Returns a problem for an unterminated quote (the
 * only thing that makes the rest of the text unreadable).
 */
export function splitCsv(
  text: string,
  delimiter: string,
  onRecord: CsvRecordSink,
): CsvSplitProblem | undefined {
  const len = text.length;
  let pos = 0;
  let line = 1;
  while (pos < len) {
    let end = text.indexOf('\n', pos);
    if (end === -1) end = len;
    const lineEnd = end > pos && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
    const raw = text.slice(pos, lineEnd);
    if (raw.indexOf('"') === -1) {
      if (raw.length > 0 && !isBlank(raw)) {
        if (onRecord(raw.split(delimiter), line) === false) return undefined;
      }
      pos = end + 1;
      line++;
      continue;
    }
    // Slow path: quoted fields, possibly spanning lines.
    const startLine = line;
    const fields: string[] = [];
    let field = '';
    let i = pos;
    let inQuotes = false;
    let atFieldStart = true;
    for (;;) {
      if (i >= len) {
        if (inQuotes) return { line: startLine, message: 'unterminated quoted field' };
        fields.push(field);
        pos = len;
        break;
      }
      const c = text.charCodeAt(i);
      if (inQuotes) {
        if (c === 34) {
          if (text.charCodeAt(i + 1) === 34) {
            field += '"';
            i += 2;
          } else {
            inQuotes = false;
            i++;
          }
        } else {
          if (c === 10) line++;
          field += text[i];
          i++;
        }
        continue;
      }
      if (c === 34 && atFieldStart) {
        inQuotes = true;
        atFieldStart = false;
        i++;
      } else if (text.startsWith(delimiter, i)) {
        fields.push(field);
        field = '';
        atFieldStart = true;
        i += delimiter.length;
      } else if (c === 10 || (c === 13 && text.charCodeAt(i + 1) === 10)) {
        fields.push(field);
        pos = c === 13 ? i + 2 : i + 1;
        break;
      } else {
        field += text[i];
        atFieldStart = false;
        i++;
      }
    }
    line++;
    if (!(fields.length === 1 && isBlank(fields[0]!))) {
      if (onRecord(fields, startLine) === false) return undefined;
    }
  }
  return undefined;
}

function isBlank(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 13) return false;
  }
  return true;
}

/** Quote a field for writing when it needs it. */
export function csvField(s: string, delimiter: string): string {
  if (s.includes(delimiter) || s.includes('"') || s.includes('\n') || s.includes('\r'))
    return `"${s.replaceAll('"', '""')}"`;
  return s;
}

const DECIMAL_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Strict decimal (no hex, no Infinity, no whitespace-only → 0 as Number('') would do); NaN if not one. */
export function parseDecimal(s: string, decimalComma = false): number {
  const t = decimalComma ? s.replace(',', '.') : s;
  return DECIMAL_RE.test(t) ? Number(t) : Number.NaN;
}
