import { type IngestGroupStatus, ingestGroupStatus } from '../../core/ingest/status.js';
import { BaseCommand } from '../../ui/base-command.js';
import { renderTable, writeResult } from '../../ui/output.js';

export default class IngestStatus extends BaseCommand {
  static override summary = "Show the ingest consumer group's members and lag per partition";
  static override examples = ['<%= config.bin %> ingest status', '<%= config.bin %> ingest status --json'];

  async run(): Promise<IngestGroupStatus> {
    const s = await ingestGroupStatus(await this.smtConfig());
    if (!this.jsonEnabled()) {
      writeResult(
        renderTable(
          ['partition', 'committed', 'end', 'lag'],
          s.partitions.map((p) => [p.partition, p.committed, p.high, p.lag]),
        ),
      );
      this.info(
        `group ${s.group} (${s.state}, ${s.members.length} member(s)) on ${s.topic}: total lag ${s.totalLag}`,
      );
    }
    return s;
  }
}
