import { EventEmitter } from 'node:events';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildInspection, type Inspection } from '../../src/core/inspect/model.js';
import { firstFrameText, truncateEnd } from '../../src/ui/inspect/carpet-view.js';
import type { InspectBackend } from '../../src/ui/inspect/InspectApp.js';
import { prepaintFirstFrame } from '../../src/ui/inspect/prepaint.js';
import type { CharMode } from '../../src/ui/inspect/theme.js';
import { SEED_CHANNEL, seedMeter, seedMonthDays } from '../helpers/inspect-seed.js';

const METER = 'PRE-1';

function march(): Inspection {
  return buildInspection({
    meter: seedMeter(METER),
    channel: SEED_CHANNEL,
    from: '2026-03-01',
    to: '2026-03-31',
    days: seedMonthDays(METER),
    ingest: new Map(),
    validated: new Set(['2026-03-02']),
    lateAlerts: new Map(),
    gaps: [],
    lastReceivedAt: '2026-04-01T00:00:00.000Z',
    lateAfterHours: 48,
    now: Date.UTC(2026, 11, 1),
  });
}

const backend: InspectBackend = {
  versions: async () => [],
  audit: async () => [],
  corrections: {
    preview: async () => {
      throw new Error('not in this test');
    },
    apply: async () => {
      throw new Error('not in this test');
    },
  } as unknown as InspectBackend['corrections'],
  reload: async () => march(),
};

/**
 * Each visible character of a frame with the SGR state in force at it (colours by number,
 * attributes), trailing default-styled blanks dropped as Ink drops them: equal for two frames that
 * look the same, however their escape sequences are grouped.
 */
function look(frame: string): string[] {
  return frame.split('\n').map((line) => {
    let st = { fg: '', bg: '', dim: false, bold: false, inverse: false };
    const cells: string[] = [];
    let last = '';
    const push = (ch: string) => {
      const k = JSON.stringify(st);
      cells.push(k === last ? ch : `{${k}}${ch}`);
      last = k;
    };
    // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escape sequences
    for (const part of line.split(/(\x1b\[[0-9;]*m)/)) {
      // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escape sequences
      const m = /^\x1b\[([0-9;]*)m$/.exec(part);
      if (!m) {
        for (const ch of part) push(ch);
        continue;
      }
      const p = (m[1] || '0').split(';').map(Number);
      for (let i = 0; i < p.length; i++) {
        const c = p[i]!;
        if (c === 0) st = { fg: '', bg: '', dim: false, bold: false, inverse: false };
        else if (c === 1) st = { ...st, bold: true };
        else if (c === 2) st = { ...st, dim: true };
        else if (c === 22) st = { ...st, bold: false, dim: false };
        else if (c === 7) st = { ...st, inverse: true };
        else if (c === 27) st = { ...st, inverse: false };
        else if (c === 39) st = { ...st, fg: '' };
        else if (c === 49) st = { ...st, bg: '' };
        else if (c === 38 || c === 48) {
          const n = p[i + 1] === 5 ? 3 : 5;
          st = { ...st, [c === 38 ? 'fg' : 'bg']: p.slice(i, i + n).join(';') };
          i += n - 1;
        } else if ((c >= 30 && c <= 37) || (c >= 90 && c <= 97)) st = { ...st, fg: String(c) };
        else if ((c >= 40 && c <= 47) || (c >= 100 && c <= 107)) st = { ...st, bg: String(c) };
        else throw new Error(`SGR ${c} not known to this test`);
      }
    }
    // Ink drops trailing blanks (those of the default style, the last state printed)
    const plain = JSON.stringify({ fg: '', bg: '', dim: false, bold: false, inverse: false });
    while (cells.at(-1) === ' ' && last === plain) cells.pop();
    return cells.join('').replace(`{${plain}}`, '');
  });
}

/** A terminal of that size for Ink: its frames as written (debug mode: each one whole). */
function terminal(columns: number, rows: number) {
  const frames: string[] = [];
  const out = Object.assign(new EventEmitter(), {
    columns,
    rows,
    isTTY: true,
    write: (s: string) => {
      frames.push(s);
      return true;
    },
  });
  return { out: out as unknown as NodeJS.WriteStream, frames };
}

// a terminal's colours for Ink's chalk (this worker's stdout is no TTY, so it would use none)
let ink: typeof import('ink');
let App: typeof import('../../src/ui/inspect/InspectApp.js').InspectApp;
beforeAll(async () => {
  process.env.FORCE_COLOR = '1';
  ink = await import('ink');
  App = (await import('../../src/ui/inspect/InspectApp.js')).InspectApp;
});

describe('the pre-painted first frame (prepaint.ts) is the one Ink then draws', () => {
  const cases: [number, number, CharMode][] = [
    [80, 24, 'unicode'],
    [80, 24, 'ascii'],
    [120, 40, 'unicode'],
    [100, 20, 'ascii'],
  ];
  for (const [columns, rows, mode] of cases) {
    it(`${columns} × ${rows}, ${mode}`, () => {
      const ins = march();
      const text = firstFrameText(ins, { columns, rows }, mode);
      expect(text).toBeDefined();
      const t = terminal(columns, rows);
      const app = ink.render(<App initial={ins} backend={backend} mode={mode} size={{ columns, rows }} />, {
        stdout: t.out,
        debug: true,
        patchConsole: false,
      });
      try {
        // Ink leaves out the message line below, empty at start, as trailing blank
        expect(look(text!)).toEqual(look(t.frames[0]!.replace(/\n$/, '')));
      } finally {
        app.unmount();
      }
    });
  }

  it('is left to Ink on a terminal too narrow for the carpet lines (Ink cuts them through their colour codes)', () => {
    expect(firstFrameText(march(), { columns: 40, rows: 12 }, 'unicode')).toBeUndefined();
  });

  it('cuts a plain line as Ink does, ellipsis in the last column', () => {
    expect(truncateEnd('abcdef', 6)).toBe('abcdef');
    expect(truncateEnd('abcdefg', 6)).toBe('abcde…');
  });
});

describe('prepaintFirstFrame', () => {
  it('enters the alternate screen, hides the cursor, draws the frame, puts the cursor home and stdin raw; leave() undoes it', () => {
    const ins = march();
    const written: string[] = [];
    const raw: boolean[] = [];
    const out = {
      columns: 80,
      rows: 24,
      write: (s: string) => written.push(s),
    } as unknown as NodeJS.WriteStream;
    const stdin = { setRawMode: (b: boolean) => raw.push(b) } as unknown as NodeJS.ReadStream;
    const painted = prepaintFirstFrame(ins, 'unicode', out, stdin);
    expect(painted).toBeDefined();
    expect(raw).toEqual([true]);
    expect(written).toEqual([
      `\x1b[?1049h\x1b[H\x1b[?25l${firstFrameText(ins, { columns: 80, rows: 24 }, 'unicode')}\x1b[H`,
    ]);
    painted!.leave();
    expect(raw).toEqual([true, false]);
    expect(written.at(-1)).toBe('\x1b[?25h\x1b[?1049l');
  });
});
