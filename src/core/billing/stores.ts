/**
 * The stores billing and exports use, opened for one command and closed in `finally`: PostgreSQL
 * (registry, tariffs, billing periods, authoritative aggregates) and the series read API over Cassandra.
 */
import type pg from 'pg';
import { createCassandraClient } from '../cassandra/client.js';
import { CassandraSeriesStore } from '../cassandra/series-store.js';
import type { SmtConfig } from '../config/config.js';
import { errorMessage, SchemaError, SmtError, StoreRejectedError } from '../errors.js';
import { PostgresAggregateStore } from '../postgres/aggregate-store.js';
import { BillingRepository } from '../postgres/billing-repository.js';
import { createPostgresPool } from '../postgres/client.js';
import { MeterRepository } from '../postgres/meter-repository.js';
import { TariffRepository } from '../postgres/tariff-repository.js';
import type { Meter } from '../registry/meter.js';
import type { SeriesReader } from '../series/ports.js';

export interface BillingStores {
  pool: pg.Pool;
  meters: MeterRepository;
  tariffs: TariffRepository;
  billing: BillingRepository;
  /** the authoritative aggregates bills are computed from when they are current */
  aggregates: PostgresAggregateStore;
  /** opened on first use: tariff commands never touch Cassandra */
  series(): SeriesReader;
}

/** A table or column of a later migration missing: the schema is behind this smt. */
function schemaBehind(err: unknown): boolean {
  return (
    err instanceof StoreRejectedError &&
    /(relation|column) "?[\w.]+"? (of relation "\w+" )?does not exist/.test(errorMessage(err))
  );
}

export async function withBillingStores<T>(
  config: SmtConfig,
  fn: (s: BillingStores) => Promise<T>,
): Promise<T> {
  const pool = createPostgresPool(config, { max: 4 });
  let cassandra: ReturnType<typeof createCassandraClient> | undefined;
  let reader: SeriesReader | undefined;
  try {
    return await fn({
      pool,
      meters: new MeterRepository(pool),
      tariffs: new TariffRepository(pool),
      billing: new BillingRepository(pool),
      aggregates: new PostgresAggregateStore(pool),
      series() {
        if (!reader) {
          cassandra = createCassandraClient(config, { useKeyspace: true });
          reader = new CassandraSeriesStore(cassandra, config.string('cassandra.keyspace'));
        }
        return reader;
      },
    });
  } catch (err) {
    if (schemaBehind(err))
      throw new SchemaError(
        `${errorMessage(err)}: the PostgreSQL schema is behind this smt`,
        'Run `smt db migrate` first.',
      );
    throw err;
  } finally {
    await pool.end();
    await cassandra?.shutdown();
  }
}

/** The meters a subject names: a meter id, or every meter of an account. */
export async function metersOf(
  stores: BillingStores,
  subject: string,
): Promise<{ kind: 'meter' | 'account'; meters: Meter[] }> {
  const meter = await stores.meters.get(subject);
  if (meter) return { kind: 'meter', meters: [meter] };
  const page = await stores.meters.list({ account: subject }, 10_000, 0);
  if (page.meters.length > 0) return { kind: 'account', meters: page.meters };
  throw new SmtError(`${subject} is neither a registered meter nor an account with meters`, {
    exitCode: 3,
    code: 'NOT_FOUND',
    hint: 'Check the id with `smt meters list --prefix <start>` or `smt meters list --account <id>`.',
  });
}
