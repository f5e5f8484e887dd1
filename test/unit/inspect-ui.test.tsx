import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import type { CorrectionReport } from '../../src/core/corrections/service.js';
import {
  type InspectCorrectionRequest,
  type InspectCorrections,
  parseOperation,
} from '../../src/core/inspect/corrections.js';
import { buildInspection, type Inspection } from '../../src/core/inspect/model.js';
import { Method, Origin, packFields, Reason, ValidationState } from '../../src/core/readings/quality.js';
import type { SeriesDay } from '../../src/core/series/day.js';
import { carpetLines, stripAnsi } from '../../src/ui/inspect/carpet.js';
import { InspectApp, type InspectBackend } from '../../src/ui/inspect/InspectApp.js';
import { cellsBetween } from '../../src/ui/inspect/nav.js';
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
/**
 * The visible characters of a line with the SGR parameters in force at each (ascii mode: no colour
 * codes, so a parameter is an attribute), however the escape sequences are grouped.
 */
function styledChars(line: string): { ch: string; sgr: string[] }[] {
  const out: { ch: string; sgr: string[] }[] = [];
  let sgr: string[] = [];
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escape sequences
  for (const part of line.split(/(\x1b\[[0-9;]*m)/)) {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escape sequences
    const code = /^\x1b\[([0-9;]*)m$/.exec(part)?.[1];
    if (code === undefined) for (const ch of part) out.push({ ch, sgr });
    else sgr = code === '0' || code === '' ? [] : [...sgr, ...code.split(';')];
  }
  return out;
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

  it('writes an escape sequence only where the style changes: the cursor, the colours, the skipped hour', () => {
    const ins = inspection('2026-03-28', '2026-03-30', [
      flat('2026-03-28'),
      flat('2026-03-29'),
      flat('2026-03-30'),
    ]);
    const row = carpetLines(ins, {
      width: 80,
      mode: 'unicode',
      firstDay: 0,
      rows: 3,
      cursor: { day: 1, column: 0 },
    })[2];
    const colour = '38;5;226;48;5;226';
    expect(row).toBe(
      `>Su 03-29 \x1b[7;${colour}m▌\x1b[0m\x1b[${colour}m▌▌▌\x1b[0m  \x1b[${colour}m${'▌'.repeat(42)}\x1b[0m    18.4 `,
    );
  });

  it('underlines a selection that runs from one day into the next over the skipped hour', () => {
    const ins = inspection('2026-03-28', '2026-03-30', [
      flat('2026-03-28'),
      flat('2026-03-29'),
      flat('2026-03-30'),
    ]);
    const rows = carpetLines(ins, {
      width: 140,
      mode: 'ascii',
      firstDay: 0,
      rows: 3,
      cursor: { day: 1, column: 13 },
      selection: { from: { day: 0, column: 92 }, to: { day: 1, column: 13 } },
    }).slice(1, 4);
    const underlined = (l: string) => styledChars(l).filter((c) => c.sgr.includes('4')).length;
    // 23:00–23:45 on the 28th; 00:00–03:00 on the 29th (the skipped 02:00–02:45 are blanks, still in the span) and the cursor at 03:15
    expect(rows.map(underlined)).toEqual([4, 13, 0]);
    expect(stripAnsi(rows[1]!)).toBe(`>Su 03-29 ${'@'.repeat(8)}    ${'@'.repeat(84)}    18.4 `);
    expect(cellsBetween(ins, { day: 0, column: 92 }, { day: 1, column: 13 }).map((c) => c.start)).toEqual([
      '2026-03-28T23:00:00+01:00',
      '2026-03-28T23:15:00+01:00',
      '2026-03-28T23:30:00+01:00',
      '2026-03-28T23:45:00+01:00',
      ...['00', '01'].flatMap((h) => ['00', '15', '30', '45'].map((m) => `2026-03-29T${h}:${m}:00+01:00`)),
      '2026-03-29T03:00:00+02:00',
      '2026-03-29T03:15:00+02:00',
    ]);
    // either order, and the fall-back night's repeated hour in time order
    const oct = inspection('2026-10-24', '2026-10-25', [flat('2026-10-24'), flat('2026-10-25')]);
    const night = cellsBetween(oct, { day: 1, column: 16 }, { day: 0, column: 99 });
    expect(night.map((c) => c.start)).toEqual([
      '2026-10-24T23:45:00+02:00',
      ...['00', '01', '02'].flatMap((h) =>
        ['00', '15', '30', '45'].map((m) => `2026-10-25T${h}:${m}:00+02:00`),
      ),
      ...['00', '15', '30', '45'].map((m) => `2026-10-25T02:${m}:00+01:00`),
      '2026-10-25T03:00:00+01:00',
    ]);
    expect(night.map((c) => c.startMs).every((ms, i, a) => i === 0 || ms - a[i - 1]! === 900_000)).toBe(true);
  });

  it('degrades to ASCII with NO_COLOR or a locale that is not UTF-8', () => {
    expect(detectMode({ LANG: 'en_US.UTF-8' })).toBe('unicode');
    expect(detectMode({ LANG: 'en_US.UTF-8', NO_COLOR: '1' })).toBe('ascii');
    expect(detectMode({ LANG: 'C' })).toBe('ascii');
    expect(detectMode({})).toBe('ascii');
  });
});

/** The UI's side of the seam only: the service itself is tested against the stores (test/integration/inspect-corrections.test.tsx). */
class FakeCorrections implements InspectCorrections {
  readonly operator = 'tester';
  previews: InspectCorrectionRequest[] = [];
  applied: InspectCorrectionRequest[] = [];
  constructor(
    readonly allowClosed = false,
    private readonly closed: CorrectionReport['closedPeriods'] = [],
  ) {}
  private report(r: InspectCorrectionRequest, dryRun: boolean): CorrectionReport {
    const n = (r.end - r.start) / 900_000;
    const value = r.operation.kind === 'value' ? r.operation.value : 0;
    return {
      dryRun,
      correctionId: dryRun ? null : 7,
      meterId: METER,
      channel: SEED_CHANNEL,
      timezone: 'Europe/Stockholm',
      intervalMinutes: 15,
      from: new Date(r.start).toISOString(),
      to: new Date(r.end).toISOString(),
      fromLocal: '',
      toLocal: '',
      operation: r.operation.kind,
      parameters: {},
      method: 'OperatorEdit',
      reason: r.reason,
      operator: this.operator,
      undoes: null,
      validation: { ruleSet: 'corrections v1 (abc)', passed: n, accepted: 0, rulesFired: {} },
      intervals: { inRange: n, changed: n, unchanged: 0, skipped: 0 },
      changes: Array.from({ length: n }, (_, i) => ({
        start: new Date(r.start + i * 900_000).toISOString(),
        startLocal: `local-${i}`,
        old: null,
        new: value,
        oldQuality: 'missing',
        newQuality: 'substituted',
      })),
      days: [{ key: '2026-03-10', before: 0, after: n * value, delta: n * value, stored: null }],
      months: [{ key: '2026-03', before: 100, after: 100 + n * value, delta: n * value, stored: null }],
      closedPeriods: this.closed,
      recalcQueued: dryRun ? 0 : 1,
      alertsRaised: 0,
      seriesVersions: dryRun ? [] : [{ day: '2026-03-10', version: 42, supersedes: 41 }],
      audit: dryRun ? null : { auditId: 3, entryHash: 'ab'.repeat(32) },
    };
  }
  async preview(r: InspectCorrectionRequest) {
    this.previews.push(r);
    return this.report(r, true);
  }
  async apply(r: InspectCorrectionRequest) {
    this.applied.push(r);
    return this.report(r, false);
  }
}

function app(ins: Inspection, corrections = new FakeCorrections()) {
  let reloads = 0;
  const backend: InspectBackend = {
    versions: async () => [],
    audit: async () => [],
    corrections,
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

  it('runs the correction flow: values, required reason, the dry run as preview, confirmation', async () => {
    const a = app(march);
    await tick();
    await press(a.stdin, 'G', 'G', 'v', 'l', 'l', 'l', 'c');
    let frame = await frameWith(a, 'Correct UI-1');
    expect(frame).toContain('Correct UI-1 2026-03-10 10:00+01:00 – 2026-03-10 10:45+01:00 (4 intervals)');
    await press(a.stdin, 'x', ENTER);
    expect(await frameWith(a, '"x" is not a value, a factor, a day or a method')).toContain(
      '"x" is not a value, a factor, a day or a method',
    );
    await press(a.stdin, '\u007F', '0', '.', '3');
    await frameWith(a, 'New values: 0.3');
    await press(a.stdin, ENTER);
    await frameWith(a, 'Reason (required)');
    expect(stripAnsi(a.lastFrame() ?? '')).toContain('set to 0.3 per interval');
    await press(a.stdin, ENTER);
    expect(await frameWith(a, 'A reason is required')).toContain('A reason is required');
    expect(a.corrections.previews).toEqual([]);
    await press(a.stdin, ...'register read'.split(''), ENTER);
    frame = await frameWith(a, 'Apply as tester with reason "register read"? yes / no');
    expect(frame).toContain(
      'Dry run: 4 of 4 interval(s) change, 0 unchanged; corrections v1 (abc): 4 passed',
    );
    expect(frame).toContain('new quality: substituted');
    expect(frame).toContain('local-0 missing → 0.3000');
    expect(frame).toContain('day 2026-03-10: 0.0000 → 1.200 kWh (+1.200)');
    expect(frame).toContain('month 2026-03: 100.0 → 101.2 kWh (+1.200)');
    expect(a.corrections.previews).toEqual([
      {
        start: Date.parse('2026-03-10T09:00:00Z'),
        end: Date.parse('2026-03-10T10:00:00Z'),
        operation: { kind: 'value', value: 0.3 },
        reason: 'register read',
      },
    ]);
    expect(a.corrections.applied).toEqual([]);
    await press(a.stdin, 'y');
    expect(await frameWith(a, 'Correction 7 recorded')).toContain(
      'Correction 7 recorded (audit entry 3): 2026-03-10 version 42. Any key: back',
    );
    expect(a.corrections.applied).toEqual(a.corrections.previews);
    await press(a.stdin, ' ');
    expect(await frameWith(a, 'correction applied; view reloaded')).toContain(
      'correction applied; view reloaded',
    );
    expect(a.reloads()).toBe(1);
    a.unmount();
  });

  it('selects across days over the spring-forward night with shift+arrows and corrects the range', async () => {
    const a = app(march);
    await tick();
    // 31st → 28th, 23:00 (column 92); shift+down to the 29th; Home; 13 right: 03:15
    await press(a.stdin, 'k', 'k', 'k', '$', 'h', 'h', 'h');
    await frameWith(a, /^2026-03-28 23:00\+01:00 /m);
    await press(a.stdin, '\u001B[1;2B', '0', ...Array(13).fill('l'));
    let frame = await frameWith(a, /^2026-03-29 03:15\+02:00 /m);
    expect(frame).toContain('selected 14 interval(s) on 2 day(s): c correct, v/Esc clear');
    await press(a.stdin, 'c');
    frame = await frameWith(a, 'Correct UI-1');
    expect(frame).toContain(
      'Correct UI-1 2026-03-28 23:00+01:00 – 2026-03-29 03:15+02:00 (14 intervals on 2 days)',
    );
    await press(a.stdin, 'x', '1', '.', '5', ENTER);
    await frameWith(a, 'scale by 1.5');
    await press(a.stdin, ...'ct ratio'.split(''), ENTER);
    await frameWith(a, 'Apply as tester');
    expect(a.corrections.previews).toEqual([
      {
        start: Date.parse('2026-03-28T22:00:00Z'),
        end: Date.parse('2026-03-29T01:30:00Z'),
        operation: { kind: 'scale', factor: 1.5 },
        reason: 'ct ratio',
      },
    ]);
    await press(a.stdin, 'n');
    await frameWith(a, 'arrows/hjkl move');
    expect(a.corrections.applied).toEqual([]);
    a.unmount();
  });

  it('refuses to apply in a closed or billed period without --allow-closed, and applies with it', async () => {
    const billed = [
      {
        periodId: 5,
        periodStart: '2026-03-01',
        periodEnd: '2026-04-01',
        status: 'billed' as const,
        before: 100,
        after: 100.2,
      },
    ];
    for (const allowClosed of [false, true]) {
      const a = app(march, new FakeCorrections(allowClosed, billed));
      await tick();
      await press(a.stdin, 'c');
      await frameWith(a, 'New values');
      await press(a.stdin, '0', '.', '2', ENTER);
      await frameWith(a, 'Reason (required)');
      await press(a.stdin, 'r', ENTER);
      const frame = (await frameWith(a, 'billed billing period 5')).replace(/\s+/g, ' ');
      expect(frame).toContain('billed billing period 5 (2026-03-01 – 2026-04-01): 100.0 → 100.2 kWh');
      if (allowClosed) expect(frame).toContain('Apply as tester');
      else
        for (const part of [
          'Nothing can be written: the range is in a closed or billed period. Start inspect with',
          '--allow-closed to correct it (an alert is raised for billing). Esc: back',
        ])
          expect(frame).toContain(part);
      await press(a.stdin, 'y');
      if (allowClosed) await frameWith(a, 'Correction 7 recorded');
      expect(a.corrections.applied).toHaveLength(allowClosed ? 1 : 0);
      a.unmount();
    }
  });

  it('moves a week with PgUp/PgDn, shows the audit history with a, and follows a resize', async () => {
    const backend: InspectBackend = {
      versions: async () => [],
      audit: async () => [
        {
          correctionId: 4,
          meterId: 'UI-1',
          channel: 'active_import_kwh',
          rangeStart: '2026-03-15T11:30:00.000Z',
          rangeEnd: '2026-03-15T12:00:00.000Z',
          operation: 'value',
          parameters: { value: 0.5 },
          reason: 'swap',
          operator: 'alice',
          seriesSource: 'correction:4',
          intervals: 2,
          undoes: null,
          undoneBy: 5,
          closedPeriods: [],
          auditId: 9,
          createdAt: '2026-03-16T10:00:00.000Z',
          entryHash: 'ab'.repeat(32),
        },
        {
          correctionId: 5,
          meterId: 'UI-1',
          channel: 'active_import_kwh',
          rangeStart: '2026-03-15T11:30:00.000Z',
          rangeEnd: '2026-03-15T12:00:00.000Z',
          operation: 'value',
          parameters: { value: 0.2 },
          reason: 'undo',
          operator: 'bob',
          seriesSource: 'correction:5',
          intervals: 2,
          undoes: 4,
          undoneBy: null,
          closedPeriods: [],
          auditId: 10,
          createdAt: '2026-03-16T11:00:00.000Z',
          entryHash: 'cd'.repeat(32),
        },
      ],
      corrections: new FakeCorrections(),
      reload: async () => march,
    };
    // no fixed size: the terminal's, here ink-testing-library's 100 columns
    const a = render(<InspectApp initial={march} backend={backend} mode="ascii" />);
    await tick();
    await press(a.stdin, '\u001B[5~');
    expect(cursorText(await frameWith(a, /^2026-03-24 00:00\+01:00 /m))).toMatch(/^2026-03-24 00:00\+01:00 /);
    await press(a.stdin, '\u001B[6~');
    expect(cursorText(await frameWith(a, /^2026-03-31 00:00\+02:00 /m))).toMatch(/^2026-03-31 00:00\+02:00 /);
    await press(a.stdin, 'a');
    const audit = await frameWith(a, 'Audit history of UI-1');
    // newest first, as `smt audit` has them (its service), each with its audit entry
    expect(audit.split('\n').slice(1, 5)).toEqual([
      '#5 2026-03-16T11:00Z bob value {"value":0.2} 2 intervals',
      '   2026-03-15T11:30Z → 2026-03-15T12:00Z · audit entry 10 cdcdcdcdcdcd… · undoes 4 · reason: undo',
      '#4 2026-03-16T10:00Z alice value {"value":0.5} 2 intervals',
      '   2026-03-15T11:30Z → 2026-03-15T12:00Z · audit entry 9 abababababab… · undone by 5 · reason: swap',
    ]);
    await press(a.stdin, 'x');
    await frameWith(a, 'arrows/hjkl move');
    const row = () =>
      stripAnsi(a.lastFrame() ?? '')
        .split('\n')
        .find((l) => l.startsWith('>Tu 03-31'))!;
    // 100 columns: two intervals per character (48); 60 columns: three (32); Ink drops the blank flag
    expect(row().length).toBe(10 + 48 + 8);
    Object.defineProperty(a.stdout, 'columns', { get: () => 60 });
    a.stdout.emit('resize');
    for (let i = 0; i < 40 && row().length !== 10 + 32 + 8; i++) await tick();
    expect(row().length).toBe(10 + 32 + 8);
    for (const line of stripAnsi(a.lastFrame() ?? '').split('\n'))
      expect(line.length).toBeLessThanOrEqual(60);
    a.unmount();
  });

  it('cancels a correction with Escape without writing', async () => {
    const a = app(march);
    await tick();
    await press(a.stdin, 'c');
    await frameWith(a, 'New values');
    await press(a.stdin, '1', ENTER);
    await frameWith(a, 'Reason (required)');
    await press(a.stdin, 'r', ENTER);
    await frameWith(a, 'Apply as tester');
    await press(a.stdin, ESC);
    expect(a.corrections.previews).toHaveLength(1);
    expect(a.corrections.applied).toEqual([]);
    expect(stripAnsi(a.lastFrame() ?? '')).not.toContain('Correct UI-1');
    a.unmount();
  });
});

describe('what the operator types as new values', () => {
  it('is a value, a factor, a day to copy or an estimator, as smt correct takes them', () => {
    expect(parseOperation(' 0.25 ')).toEqual({ kind: 'value', value: 0.25 });
    expect(parseOperation('0')).toEqual({ kind: 'value', value: 0 });
    expect(parseOperation('x1.02')).toEqual({ kind: 'scale', factor: 1.02 });
    expect(parseOperation('*0.5')).toEqual({ kind: 'scale', factor: 0.5 });
    expect(parseOperation('2026-03-22')).toEqual({ kind: 'copy_from', day: '2026-03-22' });
    expect(parseOperation('linear')).toEqual({ kind: 'estimate', method: 'linear' });
    expect(() => parseOperation('')).toThrow('no new values given');
    expect(() => parseOperation('x')).toThrow('"x" is not a value, a factor, a day or a method');
    expect(() => parseOperation('1e999')).toThrow('is not a value');
  });
});
