/**
 * One `smt inspect` session: the store connections, the prefetch of the shown range (one series
 * query and one PostgreSQL round trip), the day's version history on drill-down, the audit trail,
 * and the corrections (the audited service of `smt correct`, on this session's connections). Key
 * presses never reach a store except through these methods.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type cassandra from 'cassandra-driver';
import type pg from 'pg';
import { type AuditHistoryItem, auditHistory } from '../audit/service.js';
import { connectCassandra, createCassandraClient } from '../cassandra/client.js';
import { CassandraSeriesStore } from '../cassandra/series-store.js';
import type { SmtConfig } from '../config/config.js';
import type { CorrectionPorts } from '../corrections/service.js';
import type { requireSchemas } from '../corrections/stores.js';
import { UsageError } from '../errors.js';
import type { MessageProducer } from '../kafka/producer.js';
import { PostgresAuditLog } from '../postgres/audit-log.js';
import { createPostgresPool } from '../postgres/client.js';
import { PostgresCorrectionLedger } from '../postgres/correction-ledger.js';
import { InspectRepository } from '../postgres/inspect-repository.js';
import type { Meter } from '../registry/meter.js';
import { showMeterOn } from '../registry/service.js';
import type { SeriesDay } from '../series/day.js';
import { LocalCalendar } from '../time/calendar.js';
import { formatLocalDate, parseLocalDate } from '../time/local-date.js';
import { type InspectCorrections, ServiceCorrections } from './corrections.js';
import { buildInspection, type Inspection } from './model.js';
import { type DayVersion, versionHistory } from './versions.js';

export const DEFAULT_CHANNEL = 'active_import_kwh';
/** a range longer than this is refused: the carpet is for reading, not for exporting */
export const MAX_DAYS = 400;

export interface InspectQuery {
  meterId: string;
  channel?: string;
  /** local dates, inclusive; default: the last 31 days up to today in the meter's zone */
  from?: string;
  to?: string;
}

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

/** The range asked for, checked, with defaults in the meter's zone. */
export function resolveRange(q: InspectQuery, timezone: string, now: number): { from: string; to: string } {
  for (const [name, v] of [
    ['--from', q.from],
    ['--to', q.to],
  ] as const) {
    if (v !== undefined && (!DATE_RE.test(v) || Number.isNaN(Date.parse(`${v}T00:00:00Z`)))) {
      throw new UsageError(
        `${name} ${v} is not a date`,
        'Give local dates as YYYY-MM-DD, e.g. --from 2026-03-01 --to 2026-03-31.',
      );
    }
  }
  const today = LocalCalendar.for(timezone).localDateOf(now);
  const to =
    q.to ?? (q.from ? formatLocalDate(Math.min(parseLocalDate(q.from) + 30, parseLocalDate(today))) : today);
  const from = q.from ?? formatLocalDate(parseLocalDate(to) - 30);
  const days = parseLocalDate(to) - parseLocalDate(from) + 1;
  if (days < 1) throw new UsageError(`--from ${from} is after --to ${to}`, 'Swap the dates.');
  if (days > MAX_DAYS)
    throw new UsageError(
      `${days} days is more than inspect shows (${MAX_DAYS})`,
      'Inspect a shorter range, e.g. one month.',
    );
  return { from, to };
}

export class InspectSession {
  private readonly pool: pg.Pool;
  private readonly cassandra: cassandra.Client;
  private readonly reader: CassandraSeriesStore;
  private readonly repo: InspectRepository;
  private producer: MessageProducer | undefined;
  private clickhouse: ClickHouseClient | undefined;
  private readPorts: Promise<CorrectionPorts> | undefined;
  private writePorts: Promise<CorrectionPorts> | undefined;
  readonly lateAfterHours: number;

  private constructor(
    private readonly config: SmtConfig,
    readonly meter: Meter,
    readonly channel: string,
    connections: { pool: pg.Pool; cassandra: cassandra.Client },
    lateAfterHours: number,
  ) {
    this.pool = connections.pool;
    this.cassandra = connections.cassandra;
    this.reader = new CassandraSeriesStore(this.cassandra, config.string('cassandra.keyspace'));
    this.repo = new InspectRepository(this.pool);
    this.lateAfterHours = lateAfterHours;
  }

  /** Look the meter up and open the stores. */
  static async open(config: SmtConfig, meterId: string, channel = DEFAULT_CHANNEL): Promise<InspectSession> {
    const pool = createPostgresPool(config, { max: 4 });
    // no schema metadata (a query of system_schema and its parsing before the first read): the session's
    // statements are prepared, and the server's PREPARE answer carries the types they need
    const cassandra = createCassandraClient(config, { useKeyspace: true, metadataSync: false });
    try {
      // Cassandra's handshake runs while PostgreSQL looks the meter up and the rule set (YAML, for
      // its late-data threshold) loads and parses: the first frame waits for all three
      const rules = config.string('ingest.rules');
      const [meter, , lateAfterHours] = await Promise.all([
        showMeterOn(pool, meterId),
        connectCassandra(cassandra),
        import('../vee/rule-set.js').then(
          (m) => (rules ? m.loadRuleSetFile(rules) : m.loadDefaultRuleSet()).lateAfterHours,
        ),
      ]);
      return new InspectSession(config, meter, channel, { pool, cassandra }, lateAfterHours);
    } catch (err) {
      await Promise.allSettled([pool.end(), cassandra.shutdown()]);
      throw err;
    }
  }

  /** The whole range in one series query and one PostgreSQL round trip, in parallel. */
  async load(from: string, to: string): Promise<Inspection> {
    const cal = LocalCalendar.for(this.meter.timezone);
    const [days, facts] = await Promise.all([
      this.reader.days({ meterId: this.meter.meterId, channel: this.channel, from, to }),
      this.repo.rangeFacts(
        this.meter.meterId,
        this.channel,
        from,
        to,
        new Date(cal.dayBounds(from).start),
        new Date(cal.dayBounds(to).end),
      ),
    ]);
    return buildInspection({
      meter: this.meter,
      channel: this.channel,
      from,
      to,
      days,
      ...facts,
      lateAfterHours: this.lateAfterHours,
      now: Date.now(),
    });
  }

  /** Every version of one day, newest first, with what each changed (one query). */
  async versions(day: string): Promise<DayVersion[]> {
    const all: SeriesDay[] = await this.reader.versions({
      meterId: this.meter.meterId,
      channel: this.channel,
      day,
    });
    return versionHistory(all, this.meter.timezone);
  }

  /** The meter's corrections with their audit entries: the service of `smt audit <meter>`. */
  audit(): Promise<AuditHistoryItem[]> {
    return auditHistory(
      new PostgresCorrectionLedger(this.pool),
      new PostgresAuditLog(this.pool),
      this.meter.meterId,
    );
  }

  corrections(o: { operator: string; allowClosed: boolean }): InspectCorrections {
    return new ServiceCorrections(
      this.meter.meterId,
      this.channel,
      (write) => this.correctionPorts(write),
      o.operator,
      o.allowClosed,
    );
  }

  /**
   * The ports of `smt correct` on this session's connections, checked and opened on the first
   * correction only: a preview needs PostgreSQL and Cassandra, a write ClickHouse and Kafka too.
   */
  private correctionPorts(write: boolean): Promise<CorrectionPorts> {
    const open = async (stores: Parameters<typeof requireSchemas>[1], extra: boolean) => {
      // loaded here, not at start: looking at a meter needs neither Kafka nor ClickHouse
      const { correctionStores, requireSchemas } = await import('../corrections/stores.js');
      await requireSchemas(this.config, stores);
      if (extra) {
        const [{ createClickHouseClient }, { createProducer }] = await Promise.all([
          import('../clickhouse/client.js'),
          import('../kafka/producer.js'),
        ]);
        this.clickhouse = createClickHouseClient(this.config);
        this.producer = await createProducer(this.config);
      }
      const c = {
        pool: this.pool,
        cassandra: this.cassandra,
        clickhouse: this.clickhouse,
        producer: this.producer,
      };
      return correctionStores(this.config, c).corrections;
    };
    if (write) {
      this.writePorts ??= open(['postgres', 'cassandra', 'clickhouse'], true);
      // a failed open (a store down) is tried again on the next attempt
      this.writePorts.catch(() => {
        this.writePorts = undefined;
      });
      return this.writePorts;
    }
    this.readPorts ??= open(['postgres', 'cassandra'], false);
    this.readPorts.catch(() => {
      this.readPorts = undefined;
    });
    return this.readPorts;
  }

  async close(): Promise<void> {
    await Promise.allSettled([
      this.pool.end(),
      this.cassandra.shutdown(),
      this.producer?.close(),
      this.clickhouse?.close(),
    ]);
  }
}
