/**
 * The ingest daemon's copy of the meter registry: a full load at start, then refreshes that read
 * only the rows changed since the previous one. Readers take `current` (a RegistryView that never
 * changes under them); each refresh publishes a new one.
 */
import { type Logger, silentLogger } from '../log.js';
import { isValidTimeZone } from '../time/calendar.js';
import {
  MeterTableBuilder,
  type RegistryEntry,
  type RegistryStrings,
  registryStrings,
} from './meter-table.js';
import { type RegistryView, viewOf } from './registry-view.js';

/**
 * A position in the registry's change history. Opaque: only the source that returned it can
 * interpret it (MeterRepository: a PostgreSQL snapshot).
 */
export type RegistryCursor = string;

/** Where the registry comes from (MeterRepository). Every page is a separate round trip. */
export interface RegistrySource {
  /** The current position; `continuous` is false when `previous` is from another history (a restored database). */
  registryCursor(previous: RegistryCursor | null): Promise<{ cursor: RegistryCursor; continuous: boolean }>;
  /** Sizes the columns of a full load; an estimate is fine. */
  count(): Promise<number>;
  entries(pageSize: number): AsyncIterable<RegistryEntry[]>;
  /** Rows written after `cursor` was taken (a few twice when writes run concurrently). */
  changedSince(cursor: RegistryCursor, pageSize: number): AsyncIterable<RegistryEntry[]>;
  /** Ids of meters deleted after `cursor` was taken (some may have been inserted again since). */
  deletedSince(cursor: RegistryCursor, pageSize: number): AsyncIterable<string[]>;
  entriesByIds(meterIds: readonly string[]): Promise<RegistryEntry[]>;
}

export interface RegistryRefresh {
  kind: 'full' | 'incremental';
  /** why a refresh read everything; null for an incremental one */
  reason: 'first load' | 'reload' | 'cursor from another history' | 'too many changes' | null;
  /** registry rows read */
  rowsRead: number;
  /** deletion records read */
  deletionsRead: number;
  /** rows left out because their time zone is unknown: those meters are treated as unregistered */
  invalid: number;
  /** meters in the registry afterwards */
  meters: number;
  seconds: number;
}

export interface RegistryCacheOptions {
  logger?: Logger;
  /**
   * Rows per round trip. The driver parses a whole page's response without letting timers run
   * (~4 µs per row on the 2-core bench machine), so the page size bounds the event-loop blocks of
   * a load. At 2.5 M meters, 2,000 rows per page loaded as fast as 10,000 or 50,000 with p99 blocks
   * of 22 ms instead of 79 or 129 ms (docs/benchmarks.md).
   */
  pageSize?: number;
  /**
   * Changed meters kept beside the table before a refresh rebuilds it instead: every refresh
   * copies them, so they must stay few.
   */
  maxOverlay?: number;
  /** the zone check, called once per distinct zone (tests count the calls) */
  isValidZone?: (zone: string) => boolean;
}

/** Invalid rows named individually per refresh; the rest are only counted. */
const NAMED_INVALID = 20;

export class RegistryCache {
  private readonly log: Logger;
  private readonly pageSize: number;
  private readonly maxOverlay: number;
  private readonly strings: RegistryStrings;
  private view: RegistryView;
  private cursor: RegistryCursor | null = null;
  private inFlight: Promise<RegistryRefresh> | null = null;

  constructor(
    private readonly source: RegistrySource,
    options: RegistryCacheOptions = {},
  ) {
    this.log = options.logger ?? silentLogger;
    this.pageSize = options.pageSize ?? 2_000;
    this.maxOverlay = options.maxOverlay ?? 50_000;
    this.strings = registryStrings(options.isValidZone ?? isValidTimeZone);
    this.view = viewOf(new MeterTableBuilder(this.strings, 0).finish());
  }

  /** The registry as of the last load or refresh; empty before the first. */
  get current(): RegistryView {
    return this.view;
  }

  /** Reads the whole registry. While a load or refresh runs, returns that one instead. */
  load(): Promise<RegistryRefresh> {
    return this.once(() => this.full(this.cursor === null ? 'first load' : 'reload'));
  }

  /** Reads what changed since the last load or refresh (everything the first time). */
  refresh(): Promise<RegistryRefresh> {
    return this.once(() => (this.cursor === null ? this.full('first load') : this.incremental(this.cursor)));
  }

  private once(run: () => Promise<RegistryRefresh>): Promise<RegistryRefresh> {
    this.inFlight ??= run().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private async full(reason: NonNullable<RegistryRefresh['reason']>): Promise<RegistryRefresh> {
    const t0 = performance.now();
    // Taken first: whatever commits during the load is read again by the next refresh.
    const { cursor } = await this.source.registryCursor(null);
    const builder = new MeterTableBuilder(this.strings, await this.source.count());
    const invalid = this.invalidReporter();
    let rows = 0;
    for await (const page of this.source.entries(this.pageSize)) {
      rows += page.length;
      for (const e of page) if (!builder.add(e)) invalid.report(e);
    }
    this.view = viewOf(builder.finish());
    this.cursor = cursor;
    const out = this.done('full', reason, rows, 0, invalid.count, t0);
    this.log.log('info', 'registry loaded', {
      meters: out.meters,
      reason,
      invalid: out.invalid,
      seconds: out.seconds,
    });
    return out;
  }

  private async incremental(since: RegistryCursor): Promise<RegistryRefresh> {
    const t0 = performance.now();
    const { cursor, continuous } = await this.source.registryCursor(since);
    if (!continuous) return this.full('cursor from another history');
    const edit = this.view.edit(this.strings);
    const invalid = this.invalidReporter();
    let rows = 0;
    for await (const page of this.source.changedSince(since, this.pageSize)) {
      rows += page.length;
      for (const e of page) if (!edit.put(e)) invalid.report(e);
      // A mass update (a tariff migration) is cheaper as one rebuild than as a huge overlay.
      if (edit.overlaySize > this.maxOverlay) return this.full('too many changes');
    }
    const deleted = new Set<string>();
    let deletions = 0;
    for await (const page of this.source.deletedSince(since, this.pageSize)) {
      deletions += page.length;
      for (const id of page) deleted.add(id);
    }
    // A deletion record says the row was gone at some point, not that it still is: look again.
    const ids = [...deleted];
    for (let i = 0; i < ids.length; i += this.pageSize) {
      const chunk = ids.slice(i, i + this.pageSize);
      const back = await this.source.entriesByIds(chunk);
      rows += back.length;
      for (const e of back) {
        deleted.delete(e.meterId);
        if (!edit.put(e)) invalid.report(e);
      }
    }
    for (const id of deleted) edit.remove(id);
    if (edit.overlaySize > this.maxOverlay) return this.full('too many changes');
    this.view = edit.finish();
    this.cursor = cursor;
    const out = this.done('incremental', null, rows, deletions, invalid.count, t0);
    this.log.log(rows + deletions > 0 ? 'info' : 'debug', 'registry refreshed', {
      rows,
      deletions,
      invalid: out.invalid,
      meters: out.meters,
      seconds: out.seconds,
    });
    return out;
  }

  private done(
    kind: RegistryRefresh['kind'],
    reason: RegistryRefresh['reason'],
    rowsRead: number,
    deletionsRead: number,
    invalid: number,
    t0: number,
  ): RegistryRefresh {
    const seconds = Math.round(performance.now() - t0) / 1000;
    return { kind, reason, rowsRead, deletionsRead, invalid, meters: this.view.size, seconds };
  }

  private invalidReporter() {
    const log = this.log;
    const r = {
      count: 0,
      report(e: RegistryEntry) {
        r.count++;
        if (r.count <= NAMED_INVALID)
          log.log(
            'warn',
            'registry row left out: unknown time zone; its readings are treated as unregistered',
            {
              meterId: e.meterId,
              timezone: e.timezone,
              hint: 'Fix the zone in smt.meters (an IANA name such as Europe/Stockholm); the next refresh picks it up.',
            },
          );
        else if (r.count === NAMED_INVALID + 1)
          log.log('warn', 'more registry rows with unknown time zones; counting them without naming each');
      },
    };
    return r;
  }
}
