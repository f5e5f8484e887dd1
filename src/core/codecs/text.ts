import type { FailureSink } from './failures.js';

/**
 * Bytes → text for the text formats. Invalid UTF-8 is a failure of the payload, not something to
 * paper over with U+FFFD: a mangled meter id would otherwise be stored as a new meter.
 */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

export type TextResult = { ok: true; text: string } | { ok: false; byteOffset: number };

export function toText(input: Uint8Array | string): TextResult {
  if (typeof input === 'string') return { ok: true, text: stripBom(input) };
  try {
    return { ok: true, text: utf8.decode(input) };
  } catch {
    return { ok: false, byteOffset: firstInvalidUtf8(input) };
  }
}

function stripBom(s: string): string {
  return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
}

/** Offset of the first byte that starts an invalid UTF-8 sequence (for the failure location). */
export function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    let n = 0;
    if (c < 0x80) n = 0;
    else if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c >= 0xe0 && c <= 0xef) n = 2;
    else if (c >= 0xf0 && c <= 0xf4) n = 3;
    else return i;
    if (i + n >= b.length && n > 0) return i;
    for (let k = 1; k <= n; k++) if ((b[i + k]! & 0xc0) !== 0x80) return i;
    i += n + 1;
  }
  return i;
}

/** 1-based line of a character offset. */
export function lineOf(text: string, charOffset: number): number {
  let line = 1;
  const end = Math.min(charOffset, text.length);
  for (let i = 0; i < end; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** The payload as text, or null after reporting where the UTF-8 is broken (text formats share this). */
export function textOrFail(input: Uint8Array | string, sink: FailureSink): string | null {
  const t = toText(input);
  if (t.ok) return t.text;
  sink.fail(
    `invalid UTF-8 at byte ${t.byteOffset}`,
    { byteOffset: t.byteOffset },
    'UTF-8 text',
    'invalid byte sequence',
  );
  return null;
}
