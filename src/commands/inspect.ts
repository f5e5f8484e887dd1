import { Args, Flags } from '@oclif/core';
import { operatorName } from '../core/corrections/operator.js';
import type { Inspection } from '../core/inspect/model.js';
import { DEFAULT_CHANNEL, InspectSession, resolveRange } from '../core/inspect/service.js';
import { BaseCommand } from '../ui/base-command.js';
import { correctionFlags } from '../ui/correction-flags.js';
import { keepCodeCache } from '../ui/inspect/code-cache.js';
import { refuseDevtools } from '../ui/inspect/devtools.js';
import { prepaintFirstFrame } from '../ui/inspect/prepaint.js';
import { staticLines } from '../ui/inspect/text.js';
import { detectMode } from '../ui/inspect/theme.js';
import { writeResult } from '../ui/output.js';
import { isInteractive } from '../ui/terminal.js';

export default class Inspect extends BaseCommand {
  static override summary =
    "One meter's data as a carpet plot: gaps, estimates, corrections; drill down and correct";
  static override description =
    'On a terminal: an interactive view (keys: ? for help, q quits; docs/inspect.md). `c` corrects the selected intervals through the audited `smt correct` service (dry-run preview, reason, confirmation; --as and --allow-closed as there). Without one (a pipe, CI) it prints a static rendering and exits 0; --json prints the same data.';
  static override examples = [
    '<%= config.bin %> inspect SIM-000042',
    '<%= config.bin %> inspect SIM-000042 --from 2026-03-01 --to 2026-03-31',
    '<%= config.bin %> inspect SIM-000042 --json | jq .completeness',
  ];
  static override args = { meter: Args.string({ description: 'meter id', required: true }) };
  static override flags = {
    from: Flags.string({ description: 'first local day (YYYY-MM-DD); default 30 days before --to' }),
    to: Flags.string({ description: "last local day (YYYY-MM-DD); default today in the meter's zone" }),
    channel: Flags.string({ description: 'channel', default: DEFAULT_CHANNEL }),
    as: correctionFlags.as,
    'allow-closed': correctionFlags['allow-closed'],
  };

  async run(): Promise<Inspection> {
    const { args, flags } = await this.parse(Inspect);
    const interactive = !this.jsonEnabled() && isInteractive();
    if (interactive) refuseDevtools();
    const config = await this.smtConfig();
    const session = await InspectSession.open(config, args.meter, flags.channel);
    try {
      const range = resolveRange(
        { meterId: args.meter, from: flags.from, to: flags.to },
        session.meter.timezone,
        Date.now(),
      );
      const ins = await session.load(range.from, range.to);
      if (!interactive) {
        if (!this.jsonEnabled())
          writeResult(staticLines(ins, process.stdout.columns || 80, 'ascii').join('\n'));
        keepCodeCache();
        return ins;
      }
      const mode = detectMode();
      // The first frame before Ink loads (its modules and first render were ~140 ms of CPU): Ink
      // then draws the same frame over it (src/ui/inspect/prepaint.ts, docs/benchmarks.md)
      const painted = prepaintFirstFrame(ins, mode);
      keepCodeCache();
      const { runInspectApp } = await import('../ui/inspect/run-app.js').catch((err: unknown) => {
        painted?.leave();
        throw err;
      });
      await runInspectApp(
        {
          initial: ins,
          mode,
          backend: {
            versions: (d) => session.versions(d),
            audit: () => session.audit(),
            corrections: session.corrections({
              operator: operatorName(flags.as),
              allowClosed: flags['allow-closed'],
            }),
            reload: () => session.load(range.from, range.to),
          },
        },
        { entered: painted !== undefined },
      );
      return ins;
    } finally {
      await session.close();
    }
  }
}
