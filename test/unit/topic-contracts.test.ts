import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isLateDataEvent, isRejectedLetter, isValidatedMessage } from '../../src/core/series/contracts.js';

/** The JSON examples of docs/formats.md under each topic heading. */
function examples(topic: string): unknown[] {
  const doc = readFileSync(new URL('../../docs/formats.md', import.meta.url), 'utf8');
  const start = doc.indexOf(`### \`${topic}\``);
  const end = doc.indexOf('\n### ', start + 1);
  const section = doc.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1]!));
}

describe('topic contracts: docs/formats.md examples are valid payloads', () => {
  it('smt.readings.validated', () => {
    const ex = examples('smt.readings.validated');
    expect(ex).toHaveLength(1);
    for (const e of ex) expect(isValidatedMessage(e)).toBe(true);
  });
  it('smt.readings.rejected', () => {
    const ex = examples('smt.readings.rejected');
    expect(ex).toHaveLength(3);
    for (const e of ex) expect(isRejectedLetter(e)).toBe(true);
  });
  it('smt.events', () => {
    const ex = examples('smt.events');
    expect(ex).toHaveLength(1);
    for (const e of ex) expect(isLateDataEvent(e)).toBe(true);
  });
  it('the guards refuse what breaks the contract', () => {
    const [v] = examples('smt.readings.validated') as Record<string, unknown>[];
    expect(isValidatedMessage({ ...v, v: 1 })).toBe(false);
    expect(isValidatedMessage({ ...v, values: [0.1] })).toBe(false);
    expect(isValidatedMessage({ ...v, rules: [[], [7]] })).toBe(false);
    const [m] = examples('smt.readings.rejected') as Record<string, unknown>[];
    expect(isRejectedLetter({ ...m, kind: 'other' })).toBe(false);
  });
});
