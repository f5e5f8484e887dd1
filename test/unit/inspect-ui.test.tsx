import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import type {
  CorrectionBackend,
  CorrectionImpact,
  CorrectionRequest,
} from '../../src/core/inspect/corrections.js';
import { buildInspection, type Inspection } from '../../src/core/inspect/model.js';
import { Method, Origin, packFields, Reason, ValidationState } from '../../src/core/readings/quality.js';
import type { SeriesDay } from '../../src/core/series/day.js';
import { carpetLines, stripAnsi } from '../../src/ui/inspect/carpet.js';
import { InspectApp, type InspectBackend } from '../../src/ui/inspect/InspectApp.js';
import { detectMode } from '../../src/ui/inspect/theme.js';
import { actualDay, SEED_CHANNEL, seedMeter, seedMonthDays } from '../helpers/inspect-seed.js';

const METER = 'UI-1';

function inspection(from: string, to: string, days: SeriesDay[]): Inspection {
  return buildInspection({
    meter: seedMeter(METER),
    channel: SEED_CHANNEL,
    from,
    to,
    days,
    ingest: new Map(),
    validated: new Set(),
    lateAlerts: new Map(),
    gaps: [],
    lastReceivedAt: null,
    lateAfterHours: 48,
    now: Date.UTC(2026, 11, 1),
  });
}

function flat(date: string): SeriesDay {
  const d = actualDay(METER, date);
  d.values.fill(0.2);
  return d;
}

const tick = () => new Promise((r) => setTimeout(r, 100));
async function press(stdin: { write: (s: string) => void }, ...keys: string[]) {
  for (const k of keys) {
    stdin.write(k);
    await tick();
  }
}
/** The frame once it shows `text` (polled: Ink renders asynchronously, slower on a loaded machine). */
async function frameWith(a: { lastFrame: () => string | undefined }, text: string | RegExp): Promise<string> {
  const has = (f: string) => (typeof text === 'string' ? f.includes(text) : text.test(f));
  for (let i = 0; i < 40 && !has(stripAnsi(a.lastFrame() ?? '')); i++) await tick();
  // the frame is written before the new view's input hooks subscribe: let them settle
  await tick();
  return stripAnsi(a.lastFrame() ?? '');
}
const ENTER = '\r';
const ESC = '\u001B';

describe('carpet on DST days (local-time columns)', () => {
  it('gives the repeated hour of 25 October its own columns, empty on the days around it', () => {
    const fallBack = flat('2026-10-25');
    for (let i = 12; i < 16; i++) {
      fallBack.quality[i] = packFields(
        Origin.Estimated,
        ValidationState.Passed,
        Method.LinearInterpolation,
        Reason.None,
      );
    }
    const ins = inspection('2026-10-24', '2026-10-26', [flat('2026-10-24'), fallBack, flat('2026-10-26')]);
    expect(ins.days.map((d) => d.intervals)).toEqual([96, 100, 96]);
    expect(ins.slots.length).toBe(100);
    expect(ins.slots.slice(8, 17)).toEqual([
      '02:00',
      '02:15',
      '02:30',
      '02:45',
      "02:00'",
      "02:15'",
      "02:30'",
      "02:45'",
      '03:00',
    ]);
    // 140 columns: one character per interval
    const rows = carpetLines(ins, { width: 140, mode: 'ascii', firstDay: 0, rows: 3 })
      .slice(1, 4)
      .map(stripAnsi);
    const full = '@'.repeat(100);
    expect(rows[0]).toBe(` Sa 10-24 ${full.slice(0, 12)}    ${full.slice(16)}    19.2 `);
    expect(rows[1]).toBe(` Su 10-25 ${full.slice(0, 12)}eeee${full.slice(16)}    20.0 `);
    expect(rows[2]).toBe(` Mo 10-26 ${full.slice(0, 12)}    ${full.slice(16)}    19.2 `);
  });

  it('leaves the skipped hour of 29 March empty and fits 80 columns with half-blocks', () => {
    const ins = inspection('2026-03-28', '2026-03-30', [
      flat('2026-03-28'),
      flat('2026-03-29'),
      flat('2026-03-30'),
    ]);
    expect(ins.days.map((d) => d.intervals)).toEqual([96, 92, 96]);
    expect(ins.slots.length).toBe(96);
    const ascii = carpetLines(ins, { width: 140, mode: 'ascii', firstDay: 0, rows: 3 }).map(stripAnsi);
    expect(ascii[2]).toBe(` Su 03-29 ${'@'.repeat(8)}    ${'@'.repeat(84)}    18.4 `);
    const unicode = carpetLines(ins, { width: 80, mode: 'unicode', firstDay: 0, rows: 3 }).map(stripAnsi);
    for (const line of unicode) expect(line.length).toBeLessThanOrEqual(80);
    // two intervals per character: 48 characters, the skipped 02:00–02:45 are two blanks
    expect(unicode[2]).toBe(` Su 03-29 ${'▌'.repeat(4)}  ${'▌'.repeat(42)}    18.4 `);
  });

  it('degrades to ASCII with NO_COLOR or a locale that is not UTF-8', () => {
    expect(detectMode({ LANG: 'en_US.UTF-8' })).toBe('unicode');
    expect(detectMode({ LANG: 'en_US.UTF-8', NO_COLOR: '1' })).toBe('ascii');
    expect(detectMode({ LANG: 'C' })).toBe('ascii');
    expect(detectMode({})).toBe('ascii');
  });
});

class FakeCorrections implements CorrectionBackend {
  previews: CorrectionRequest[] = [];
  applied: (CorrectionRequest & { reason: string })[] = [];
  async preview(req: CorrectionRequest): Promise<CorrectionImpact> {
    this.previews.push(req);
    return {
      changes: req.intervals.map((i) => ({ startMs: i.startMs, before: null, after: i.value })),
      unchanged: 0,
      days: ['2026-03-10'],
      energyBefore: 0,
      energyAfter: req.intervals.length * req.intervals[0]!.value,
      followUps: [{ day: '2026-03-10', kind: 'aggregated_day', periodId: null }],
    };
  }
  async apply(req: CorrectionRequest & { reason: string }) {
    this.applied.push(req);
    return { versions: [{ day: '2026-03-10', version: 42 }], source: 'correction:test' };
  }
}

function app(ins: Inspection, corrections = new FakeCorrections()) {
  let reloads = 0;
  const backend: InspectBackend = {
    versions: async () => [],
    audit: async () => [],
    corrections,
    operator: 'tester',
    reload: async () => {
      reloads++;
      return ins;
    },
  };
  const r = render(
    <InspectApp initial={ins} backend={backend} mode="ascii" size={{ columns: 100, rows: 45 }} />,
  );
  return { ...r, corrections, reloads: () => reloads };
}

const cursorText = (frame: string | undefined) =>
  stripAnsi(frame ?? '')
    .split('\n')
    .find((l) => l.startsWith('2026-'));

describe('inspect app', () => {
  const march = inspection('2026-03-01', '2026-03-31', seedMonthDays(METER));

  it('moves to the previous and next gap with G and g', async () => {
    const a = app(march);
    await tick();
    expect(cursorText(await frameWith(a, /^2026-03-31 00:00\+02:00 /m))).toMatch(/^2026-03-31 00:00\+02:00 /);
    await press(a.stdin, 'G');
    expect(cursorText(await frameWith(a, /^2026-03-25 00:00\+01:00 {2}no value {2}missing/m))).toMatch(
      /^2026-03-25 00:00\+01:00 {2}no value {2}missing/,
    );
    await press(a.stdin, 'G');
    expect(cursorText(await frameWith(a, /^2026-03-10 10:00\+01:00 {2}no value {2}missing/m))).toMatch(
      /^2026-03-10 10:00\+01:00 {2}no value {2}missing/,
    );
    // the marked row and the reverse-video cursor cell
    expect(a.lastFrame()).toContain('>Tu 03-10');
    await press(a.stdin, 'G');
    expect(await frameWith(a, 'no previous gap found')).toContain('no previous gap found');
    await press(a.stdin, 'g');
    expect(cursorText(await frameWith(a, /^2026-03-25 00:00/m))).toMatch(/^2026-03-25 00:00/);
    await press(a.stdin, 'e');
    expect(await frameWith(a, 'no next estimate found')).toContain('no next estimate found');
    await press(a.stdin, 'k', 'k', 'k', 'k', 'k', 'k', 'k', 'k', 'k', 'k', 'k', 'k', 'k', 'e');
    expect(
      cursorText(
        await frameWith(
          a,
          /^2026-03-12 05:00\+01:00 {2}0\.\d+ kWh {2}estimated {2}estimated \(linear interpolation/m,
        ),
      ),
    ).toMatch(/^2026-03-12 05:00\+01:00 {2}0\.\d+ kWh {2}estimated {2}estimated \(linear interpolation/);
    a.unmount();
  });

  it('runs the correction flow: value, impact preview, required reason, confirmation', async () => {
    const a = app(march);
    await tick();
    await press(a.stdin, 'G', 'G', ' ', 'l', 'l', 'l', 'c');
    let frame = await frameWith(a, 'Correct UI-1');
    expect(frame).toContain('Correct UI-1 2026-03-10 10:00+01:00–10:45+01:00 (4 intervals)');
    await press(a.stdin, 'x', ENTER);
    expect(await frameWith(a, '"x" is not a non-negative number')).toContain(
      '"x" is not a non-negative number',
    );
    await press(a.stdin, '\u007F', '0', '.', '3');
    await frameWith(a, 'per interval: 0.3');
    await press(a.stdin, ENTER);
    frame = await frameWith(a, 'Impact:');
    expect(frame).toContain(
      'Impact: 4 interval(s) change, 0 already at that value; energy 0.0000 → 1.200 (+1.200)',
    );
    expect(frame).toContain('09:00Z missing → 0.3000');
    expect(frame).toContain('2026-03-10 is aggregated day: a late-data follow-up is raised');
    expect(a.corrections.applied).toEqual([]);
    await press(a.stdin, ENTER);
    await frameWith(a, 'Reason (required)');
    await press(a.stdin, ENTER);
    expect(await frameWith(a, 'A reason is required')).toContain('A reason is required');
    await press(a.stdin, ...'register read'.split(''), ENTER);
    expect(await frameWith(a, 'Apply as tester with reason "register read"? yes / no')).toContain(
      'Apply as tester with reason "register read"? yes / no',
    );
    expect(a.corrections.applied).toEqual([]);
    await press(a.stdin, 'y');
    expect(await frameWith(a, 'Corrected: 2026-03-10 version 42')).toContain(
      'Corrected: 2026-03-10 version 42',
    );
    expect(a.corrections.applied).toHaveLength(1);
    const req = a.corrections.applied[0]!;
    expect(req.reason).toBe('register read');
    expect(req.intervals.map((i) => [new Date(i.startMs).toISOString(), i.value])).toEqual([
      ['2026-03-10T09:00:00.000Z', 0.3],
      ['2026-03-10T09:15:00.000Z', 0.3],
      ['2026-03-10T09:30:00.000Z', 0.3],
      ['2026-03-10T09:45:00.000Z', 0.3],
    ]);
    await press(a.stdin, ' ');
    expect(await frameWith(a, 'correction applied; view reloaded')).toContain(
      'correction applied; view reloaded',
    );
    expect(a.reloads()).toBe(1);
    a.unmount();
  });

  it('cancels a correction with Escape without writing', async () => {
    const a = app(march);
    await tick();
    await press(a.stdin, 'c');
    await frameWith(a, 'New value per interval');
    await press(a.stdin, '1', ENTER);
    await frameWith(a, 'Impact:');
    await press(a.stdin, ESC);
    expect(a.corrections.previews).toHaveLength(1);
    expect(a.corrections.applied).toEqual([]);
    expect(stripAnsi(a.lastFrame() ?? '')).not.toContain('Correct UI-1');
    a.unmount();
  });
});
