import { Flags } from '@oclif/core';
import { createElement } from 'react';
import { type DashboardSnapshot, DashboardSource } from '../core/dashboard/service.js';
import { isInteractive, runFullScreen } from '../ui/alternate-screen.js';
import { BaseCommand } from '../ui/base-command.js';
import { DashboardApp } from '../ui/dashboard/DashboardApp.js';
import { dashboardLines } from '../ui/dashboard/text.js';
import { detectMode } from '../ui/inspect/theme.js';
import { writeResult } from '../ui/output.js';

export default class Dashboard extends BaseCommand {
  static override summary =
    'Live operations view: ingest rate and lag, rejects, completeness by region, queues, alerts, store health';
  static override description =
    'Refreshes every few seconds on a terminal; q quits. --once (or no terminal) prints one frame and exits 0; a section whose service is down shows as unavailable. --json implies --once.';
  static override examples = [
    '<%= config.bin %> dashboard',
    '<%= config.bin %> dashboard --once',
    '<%= config.bin %> dashboard --json',
  ];
  static override flags = {
    once: Flags.boolean({ description: 'print one frame and exit' }),
    interval: Flags.integer({ description: 'seconds between refreshes', default: 5, min: 1, max: 3600 }),
  };

  async run(): Promise<DashboardSnapshot> {
    const { flags } = await this.parse(Dashboard);
    const source = new DashboardSource(await this.smtConfig());
    let snap = await source.snapshot();
    const once = flags.once || this.jsonEnabled() || !isInteractive();
    if (once) {
      // a rate needs two scrapes of the daemon's counters
      if (snap.ingest.ok) {
        await new Promise((r) => setTimeout(r, 1_000));
        snap = await source.snapshot();
      }
      if (!this.jsonEnabled())
        writeResult(dashboardLines(snap, isInteractive() ? detectMode() : 'ascii').join('\n'));
      return snap;
    }
    await runFullScreen(
      createElement(DashboardApp, {
        first: snap,
        refresh: () => source.snapshot(),
        intervalMs: flags.interval * 1000,
        mode: detectMode(),
      }),
    );
    return snap;
  }
}
