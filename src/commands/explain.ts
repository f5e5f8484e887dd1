import { Args } from '@oclif/core';
import { withCorrectionStores } from '../core/corrections/stores.js';
import { type Explanation, explainInterval } from '../core/lineage/explain.js';
import { BaseCommand } from '../ui/base-command.js';
import { channelFlag } from '../ui/correction-flags.js';
import { renderExplanation } from '../ui/corrections-output.js';
import { writeResult } from '../ui/output.js';

export default class Explain extends BaseCommand {
  static override summary =
    'Explain one interval: raw payloads, rules, estimates, corrections, current value, aggregates';
  static override description =
    `For the interval containing <instant> (a local time in the meter's zone, or an instant with an offset): the raw payloads it came from (source topic/partition/offset, format, received at, the start of the payload), every series version that changed it (writer, source, value, quality, rules that fired), estimates and corrections with their versions and audit entries, the current value, and the validated daily and monthly aggregates it feeds (smt.daily_aggregates / monthly_aggregates, when computed).

Exit codes: 0 explained (also for an interval never written); 2 usage (bad instant, a local time that does not exist or happens twice); 3 meter not registered; 4 a store is unreachable; 6 schema behind.`;

  static override examples = [
    '<%= config.bin %> explain SIM-000042 2026-03-29T10:15',
    '<%= config.bin %> explain SIM-000042 2026-10-25T02:15+01:00 --json',
  ];

  static override args = {
    meter: Args.string({ description: 'meter id', required: true }),
    instant: Args.string({ description: 'an instant inside the interval', required: true }),
  };

  static override flags = { channel: channelFlag };

  async run(): Promise<Explanation> {
    const { args, flags } = await this.parse(Explain);
    const e = await withCorrectionStores(await this.smtConfig(), { write: false }, (s) =>
      explainInterval(s.lineage, { meterId: args.meter, instant: args.instant, channel: flags.channel }),
    );
    if (!this.jsonEnabled()) writeResult(renderExplanation(e));
    return e;
  }
}
