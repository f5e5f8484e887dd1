import type { Migration } from '../migrations/types.js';

/**
 * PostgreSQL holds what needs ACID and joins with business data: the registry, validated
 * aggregates, billing, corrections with their audit trail, gaps, the recalculation queue, job
 * checkpoints and ingest bookkeeping. Everything lives in schema `smt`. Instants are timestamptz
 * (UTC); business days are `date` in the meter's local calendar.
 */
export const POSTGRES_MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'registry',
    statements: () => [
      `CREATE SCHEMA IF NOT EXISTS smt`,
      `CREATE TABLE IF NOT EXISTS smt.regions (
        region_id   text PRIMARY KEY,
        name        text NOT NULL,
        timezone    text NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE TABLE IF NOT EXISTS smt.tariffs (
        tariff_id   text PRIMARY KEY,
        name        text NOT NULL,
        currency    char(3) NOT NULL DEFAULT 'EUR',
        -- flat, time_of_use, demand; the price structure itself is in definition
        kind        text NOT NULL DEFAULT 'flat' CHECK (kind IN ('flat', 'time_of_use', 'demand')),
        definition  jsonb NOT NULL DEFAULT '{}'::jsonb,
        valid_from  date,
        valid_to    date,
        created_at  timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE TABLE IF NOT EXISTS smt.customers (
        account_id  text PRIMARY KEY,
        name        text,
        segment     text NOT NULL CHECK (segment IN ('residential', 'commercial', 'industrial')),
        region_id   text REFERENCES smt.regions (region_id),
        created_at  timestamptz NOT NULL DEFAULT now(),
        updated_at  timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE TABLE IF NOT EXISTS smt.meters (
        meter_id          text PRIMARY KEY,
        account_id        text NOT NULL,
        tariff_id         text NOT NULL,
        region_id         text NOT NULL,
        segment           text NOT NULL CHECK (segment IN ('residential', 'commercial', 'industrial')),
        timezone          text NOT NULL,
        interval_minutes  smallint NOT NULL CHECK (interval_minutes IN (5, 15, 30, 60)),
        status            text NOT NULL CHECK (status IN ('active', 'inactive', 'removed')),
        rated_kw          numeric(10, 3),
        installed_at      timestamptz NOT NULL,
        removed_at        timestamptz,
        created_at        timestamptz NOT NULL DEFAULT now(),
        updated_at        timestamptz NOT NULL DEFAULT now(),
        CHECK (removed_at IS NULL OR removed_at > installed_at)
      )`,
      `CREATE INDEX IF NOT EXISTS meters_account_idx ON smt.meters (account_id)`,
      `CREATE INDEX IF NOT EXISTS meters_region_segment_idx ON smt.meters (region_id, segment)`,
      `CREATE INDEX IF NOT EXISTS meters_tariff_idx ON smt.meters (tariff_id)`,
    ],
  },
  {
    version: 2,
    name: 'aggregates-and-billing',
    statements: () => [
      // Validated (authoritative) aggregates written by batch jobs; the provisional ones live in ClickHouse.
      `CREATE TABLE IF NOT EXISTS smt.daily_aggregates (
        meter_id             text NOT NULL,
        channel              text NOT NULL,
        local_date           date NOT NULL,
        value_sum            numeric(18, 6),
        value_min            double precision,
        value_max            double precision,
        intervals_expected   smallint NOT NULL,
        intervals_actual     smallint NOT NULL,
        intervals_estimated  smallint NOT NULL DEFAULT 0,
        intervals_missing    smallint NOT NULL,
        intervals_failed     smallint NOT NULL DEFAULT 0,
        complete             boolean GENERATED ALWAYS AS (intervals_missing = 0) STORED,
        version              integer NOT NULL DEFAULT 1,
        computed_at          timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (meter_id, channel, local_date)
      )`,
      `CREATE INDEX IF NOT EXISTS daily_aggregates_date_idx ON smt.daily_aggregates (local_date)`,
      `CREATE TABLE IF NOT EXISTS smt.monthly_aggregates (
        meter_id             text NOT NULL,
        channel              text NOT NULL,
        month                date NOT NULL CHECK (extract(day FROM month) = 1),
        value_sum            numeric(18, 6),
        peak_interval_value  double precision,
        peak_interval_start  timestamptz,
        days_expected        smallint NOT NULL,
        days_complete        smallint NOT NULL,
        intervals_estimated  integer NOT NULL DEFAULT 0,
        intervals_missing    integer NOT NULL DEFAULT 0,
        version              integer NOT NULL DEFAULT 1,
        computed_at          timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (meter_id, channel, month)
      )`,
      `CREATE TABLE IF NOT EXISTS smt.billing_periods (
        period_id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        account_id    text NOT NULL,
        meter_id      text NOT NULL,
        period_start  date NOT NULL,
        period_end    date NOT NULL,
        status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed', 'billed', 'rebill_required')),
        closed_at     timestamptz,
        billed_at     timestamptz,
        invoice_ref   text,
        CHECK (period_end > period_start),
        UNIQUE (meter_id, period_start)
      )`,
      `CREATE INDEX IF NOT EXISTS billing_periods_meter_range_idx ON smt.billing_periods (meter_id, period_start, period_end)`,
      `CREATE TABLE IF NOT EXISTS smt.billing_determinants (
        period_id     bigint NOT NULL REFERENCES smt.billing_periods (period_id),
        meter_id      text NOT NULL,
        tariff_id     text NOT NULL,
        -- energy_kwh, peak_kw, tou:<band>_kwh, estimated_share ...
        determinant   text NOT NULL,
        value         numeric(18, 6) NOT NULL,
        unit          text NOT NULL,
        version       integer NOT NULL DEFAULT 1,
        computed_at   timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (period_id, meter_id, determinant)
      )`,
    ],
  },
  {
    version: 3,
    name: 'corrections-gaps-recalc',
    statements: () => [
      // Append-only: a correction is never updated in place; a reversal is a new row that supersedes it.
      `CREATE TABLE IF NOT EXISTS smt.corrections (
        correction_id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        meter_id         text NOT NULL,
        channel          text NOT NULL,
        interval_start   timestamptz NOT NULL,
        old_value        double precision,
        new_value        double precision,
        old_quality      integer,
        new_quality      integer NOT NULL,
        reason_code      smallint,
        reason_text      text NOT NULL,
        operator         text NOT NULL,
        ticket_ref       text,
        supersedes       bigint REFERENCES smt.corrections (correction_id),
        created_at       timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE INDEX IF NOT EXISTS corrections_meter_idx ON smt.corrections (meter_id, channel, interval_start)`,
      `CREATE TABLE IF NOT EXISTS smt.audit_log (
        audit_id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at           timestamptz NOT NULL DEFAULT now(),
        actor        text NOT NULL,
        action       text NOT NULL,
        entity       text NOT NULL,
        entity_id    text NOT NULL,
        before       jsonb,
        after        jsonb,
        reason       text
      )`,
      `CREATE INDEX IF NOT EXISTS audit_log_entity_idx ON smt.audit_log (entity, entity_id, at)`,
      `CREATE OR REPLACE FUNCTION smt.audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'smt.% is append-only', TG_TABLE_NAME; END $$`,
      `DROP TRIGGER IF EXISTS audit_log_append_only ON smt.audit_log`,
      `CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON smt.audit_log
       FOR EACH ROW EXECUTE FUNCTION smt.audit_log_is_append_only()`,
      `DROP TRIGGER IF EXISTS corrections_append_only ON smt.corrections`,
      `CREATE TRIGGER corrections_append_only BEFORE UPDATE OR DELETE ON smt.corrections
       FOR EACH ROW EXECUTE FUNCTION smt.audit_log_is_append_only()`,
      `CREATE TABLE IF NOT EXISTS smt.gaps (
        meter_id      text NOT NULL,
        channel       text NOT NULL,
        gap_start     timestamptz NOT NULL,
        gap_end       timestamptz NOT NULL,
        intervals     integer NOT NULL CHECK (intervals > 0),
        status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'estimated', 'filled', 'ignored')),
        detected_at   timestamptz NOT NULL DEFAULT now(),
        resolved_at   timestamptz,
        PRIMARY KEY (meter_id, channel, gap_start),
        CHECK (gap_end > gap_start)
      )`,
      `CREATE INDEX IF NOT EXISTS gaps_open_idx ON smt.gaps (status, gap_start) WHERE status = 'open'`,
      `CREATE TABLE IF NOT EXISTS smt.recalc_queue (
        recalc_id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        meter_id      text NOT NULL,
        channel       text NOT NULL,
        local_date    date NOT NULL,
        reason        text NOT NULL CHECK (reason IN ('late_data', 'correction', 'estimate', 'manual', 'rule_change')),
        status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'done', 'failed')),
        attempts      smallint NOT NULL DEFAULT 0,
        last_error    text,
        enqueued_at   timestamptz NOT NULL DEFAULT now(),
        started_at    timestamptz,
        finished_at   timestamptz
      )`,
      // At most one pending item per meter-day: late data arriving twice must not queue twice.
      `CREATE UNIQUE INDEX IF NOT EXISTS recalc_queue_pending_uq ON smt.recalc_queue (meter_id, channel, local_date) WHERE status = 'pending'`,
      `CREATE INDEX IF NOT EXISTS recalc_queue_status_idx ON smt.recalc_queue (status, enqueued_at)`,
    ],
  },
  {
    version: 4,
    name: 'jobs-and-ingest-bookkeeping',
    statements: () => [
      `CREATE TABLE IF NOT EXISTS smt.job_checkpoints (
        job_name     text NOT NULL,
        scope        text NOT NULL DEFAULT '',
        checkpoint   jsonb NOT NULL,
        updated_at   timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (job_name, scope)
      )`,
      `CREATE TABLE IF NOT EXISTS smt.job_runs (
        run_id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        job_name     text NOT NULL,
        args         jsonb NOT NULL DEFAULT '{}'::jsonb,
        status       text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'succeeded', 'failed', 'cancelled')),
        started_at   timestamptz NOT NULL DEFAULT now(),
        finished_at  timestamptz,
        stats        jsonb,
        error        text
      )`,
      // Per meter-day counts of what ingest received; completeness and late-data reports read it.
      `CREATE TABLE IF NOT EXISTS smt.ingest_meter_days (
        meter_id            text NOT NULL,
        channel             text NOT NULL,
        local_date          date NOT NULL,
        readings_received   integer NOT NULL DEFAULT 0,
        readings_rejected   integer NOT NULL DEFAULT 0,
        readings_late       integer NOT NULL DEFAULT 0,
        first_received_at   timestamptz NOT NULL DEFAULT now(),
        last_received_at    timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (meter_id, channel, local_date)
      )`,
      `CREATE INDEX IF NOT EXISTS ingest_meter_days_date_idx ON smt.ingest_meter_days (local_date)`,
      // Kafka source offsets already counted, so a replayed batch does not count twice.
      `CREATE TABLE IF NOT EXISTS smt.ingest_offsets (
        consumer_group  text NOT NULL,
        topic           text NOT NULL,
        partition       integer NOT NULL,
        next_offset     bigint NOT NULL,
        updated_at      timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer_group, topic, partition)
      )`,
      `CREATE TABLE IF NOT EXISTS smt.late_data_alerts (
        alert_id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        meter_id       text NOT NULL,
        channel        text NOT NULL,
        local_date     date NOT NULL,
        period_id      bigint REFERENCES smt.billing_periods (period_id),
        kind           text NOT NULL CHECK (kind IN ('aggregated_day', 'closed_period', 'billed_period')),
        readings       integer NOT NULL,
        raised_at      timestamptz NOT NULL DEFAULT now(),
        acknowledged_at timestamptz,
        UNIQUE (meter_id, channel, local_date, kind)
      )`,
    ],
  },
  {
    version: 5,
    name: 'registry-change-tracking',
    // Lets the ingest daemon's registry cache read only what changed since its last refresh.
    // updated_at and a sequence bumped by a trigger both get their value before COMMIT, so a
    // transaction that commits after a later one would fall behind a cursor that has already moved
    // past it. The writing transaction's id does not have that problem when compared against a
    // snapshot: whatever was invisible in the snapshot taken at the start of one refresh is exactly
    // what the next one reads (see MeterRepository.changedSince). NULL = written before this
    // migration, which only a full load reads. No table rewrite: the column has no default.
    statements: () => [
      `ALTER TABLE smt.meters ADD COLUMN IF NOT EXISTS change_xid xid8`,
      `CREATE INDEX IF NOT EXISTS meters_change_idx ON smt.meters (change_xid, meter_id)`,
      `CREATE OR REPLACE FUNCTION smt.meters_stamp_change() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN NEW.change_xid := pg_current_xact_id(); RETURN NEW; END $$`,
      `DROP TRIGGER IF EXISTS meters_stamp_change ON smt.meters`,
      `CREATE TRIGGER meters_stamp_change BEFORE INSERT OR UPDATE ON smt.meters
       FOR EACH ROW EXECUTE FUNCTION smt.meters_stamp_change()`,
      // smt itself never deletes a meter (it sets status 'removed'), but an operator may; without a
      // trace a daemon would keep serving the meter until it restarts. TRUNCATE leaves no trace.
      `CREATE TABLE IF NOT EXISTS smt.meter_deletions (
        change_xid  xid8 NOT NULL DEFAULT pg_current_xact_id(),
        meter_id    text NOT NULL,
        deleted_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (change_xid, meter_id)
      )`,
      `CREATE OR REPLACE FUNCTION smt.meters_record_deletion() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         INSERT INTO smt.meter_deletions (meter_id) VALUES (OLD.meter_id) ON CONFLICT DO NOTHING;
         RETURN OLD;
       END $$`,
      `DROP TRIGGER IF EXISTS meters_record_deletion ON smt.meters`,
      `CREATE TRIGGER meters_record_deletion AFTER DELETE ON smt.meters
       FOR EACH ROW EXECUTE FUNCTION smt.meters_record_deletion()`,
    ],
  },
  {
    version: 6,
    name: 'ingest-watermarks-by-topic-id',
    // The offsets ingest has counted, keyed by the topic's id (Kafka gives a recreated topic a new
    // one) rather than by name and consumer group: a recreated topic or another cluster starts
    // afresh, and a new consumer group replays into the stores without counting anything twice.
    // smt.ingest_offsets (by group and name) is no longer read; it stays for the record.
    statements: () => [
      `CREATE TABLE IF NOT EXISTS smt.ingest_watermarks (
        topic_id     text NOT NULL,
        partition    integer NOT NULL,
        cluster_id   text NOT NULL,
        topic        text NOT NULL,
        next_offset  bigint NOT NULL,
        updated_at   timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (topic_id, partition)
      )`,
    ],
  },
  {
    version: 7,
    name: 'meter-channels',
    // Which channels a meter reports (canonical channel ids, docs/formats.md). NULL: not declared,
    // every channel is accepted; declared: readings of any other channel are rejected as
    // `registry.channel`. No table rewrite: the column has no default.
    statements: () => [`ALTER TABLE smt.meters ADD COLUMN IF NOT EXISTS channels text[]`],
  },
  {
    version: 8,
    name: 'gaps-completeness-deenergised',
    // Gap records are split at local midnight (one row per meter-day run), so a meter-day's gaps
    // are replaced as a unit by `smt gaps detect` and closed by the writers that fill them.
    statements: () => [
      `ALTER TABLE smt.gaps ADD COLUMN IF NOT EXISTS local_date date`,
      `ALTER TABLE smt.gaps ADD COLUMN IF NOT EXISTS cause text`,
      `CREATE INDEX IF NOT EXISTS gaps_meter_day_idx ON smt.gaps (meter_id, channel, local_date)`,
      // What `smt gaps detect` found per meter-day: the completeness report reads it.
      `CREATE TABLE IF NOT EXISTS smt.meter_day_completeness (
        meter_id     text NOT NULL,
        channel      text NOT NULL,
        local_date   date NOT NULL,
        expected     smallint NOT NULL,
        actual       smallint NOT NULL,
        estimated    smallint NOT NULL,
        missing      smallint NOT NULL,
        detected_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (meter_id, channel, local_date)
      )`,
      `CREATE INDEX IF NOT EXISTS meter_day_completeness_date_idx ON smt.meter_day_completeness (local_date)`,
      // Periods a meter is known to be switched off: no interval is expected, zero is a valid estimate.
      `CREATE TABLE IF NOT EXISTS smt.deenergised_periods (
        meter_id      text NOT NULL,
        period_start  timestamptz NOT NULL,
        period_end    timestamptz,
        reason        text NOT NULL DEFAULT '',
        PRIMARY KEY (meter_id, period_start),
        CHECK (period_end IS NULL OR period_end > period_start)
      )`,
    ],
  },
  {
    version: 9,
    name: 'recalc-leases-late-deltas',
    statements: () => [
      // A claimed item carries its worker and a lease; an expired lease (the worker died) frees it.
      `ALTER TABLE smt.recalc_queue ADD COLUMN IF NOT EXISTS claimed_by text`,
      `ALTER TABLE smt.recalc_queue ADD COLUMN IF NOT EXISTS lease_until timestamptz`,
      `CREATE INDEX IF NOT EXISTS recalc_queue_claim_idx ON smt.recalc_queue (status, recalc_id)`,
      // The day's quantity in the series before and after the late readings, and the billed
      // quantity of the period with that delta applied.
      `ALTER TABLE smt.late_data_alerts ADD COLUMN IF NOT EXISTS day_before double precision`,
      `ALTER TABLE smt.late_data_alerts ADD COLUMN IF NOT EXISTS day_after double precision`,
      `ALTER TABLE smt.late_data_alerts ADD COLUMN IF NOT EXISTS billed_before numeric(18, 6)`,
      `ALTER TABLE smt.late_data_alerts ADD COLUMN IF NOT EXISTS billed_after numeric(18, 6)`,
    ],
  },
  {
    version: 10,
    name: 'correction-sets-and-audit-chain',
    // A correction set is one `smt correct` (or undo): the range, operation and reason, with one row
    // per interval in smt.corrections. Its id is taken from the sequence before the series is
    // written, so the series version's source (`correction:<id>`) names it. The audit log becomes a
    // hash chain (docs/corrections.md): every new entry must carry its own hash and its
    // predecessor's; rows written before this migration (none by smt) stay unchained.
    statements: () => [
      `CREATE SEQUENCE IF NOT EXISTS smt.correction_set_id_seq AS bigint`,
      `ALTER TABLE smt.audit_log ADD COLUMN IF NOT EXISTS prev_hash text`,
      `ALTER TABLE smt.audit_log ADD COLUMN IF NOT EXISTS entry_hash text`,
      `DO $$ BEGIN
         IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'audit_log_chained') THEN
           ALTER TABLE smt.audit_log ADD CONSTRAINT audit_log_chained
             CHECK (prev_hash IS NOT NULL AND entry_hash IS NOT NULL
                    AND prev_hash ~ '^[0-9a-f]{64}$' AND entry_hash ~ '^[0-9a-f]{64}$') NOT VALID;
         END IF;
       END $$`,
      `CREATE TABLE IF NOT EXISTS smt.correction_sets (
        correction_id   bigint PRIMARY KEY,
        meter_id        text NOT NULL,
        channel         text NOT NULL,
        range_start     timestamptz NOT NULL,
        range_end       timestamptz NOT NULL,
        operation       text NOT NULL CHECK (operation IN ('value', 'scale', 'copy_from', 'estimate', 'undo')),
        parameters      jsonb NOT NULL DEFAULT '{}'::jsonb,
        reason          text NOT NULL CHECK (reason <> ''),
        operator        text NOT NULL,
        series_source   text NOT NULL,
        intervals       integer NOT NULL,
        undoes          bigint REFERENCES smt.correction_sets (correction_id),
        closed_periods  bigint[] NOT NULL DEFAULT '{}',
        audit_id        bigint NOT NULL REFERENCES smt.audit_log (audit_id),
        created_at      timestamptz NOT NULL DEFAULT now(),
        CHECK (range_end > range_start)
      )`,
      `CREATE INDEX IF NOT EXISTS correction_sets_meter_idx ON smt.correction_sets (meter_id, range_start)`,
      `ALTER TABLE smt.corrections ADD COLUMN IF NOT EXISTS correction_set bigint REFERENCES smt.correction_sets (correction_id)`,
      `ALTER TABLE smt.corrections ADD COLUMN IF NOT EXISTS old_version bigint`,
      `ALTER TABLE smt.corrections ADD COLUMN IF NOT EXISTS new_version bigint`,
      `CREATE INDEX IF NOT EXISTS corrections_set_idx ON smt.corrections (correction_set)`,
      `CREATE TABLE IF NOT EXISTS smt.correction_alerts (
        alert_id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        correction_id    bigint NOT NULL REFERENCES smt.correction_sets (correction_id),
        period_id        bigint NOT NULL REFERENCES smt.billing_periods (period_id),
        meter_id         text NOT NULL,
        channel          text NOT NULL,
        period_status    text NOT NULL,
        kwh_before       double precision NOT NULL,
        kwh_after        double precision NOT NULL,
        raised_at        timestamptz NOT NULL DEFAULT now(),
        acknowledged_at  timestamptz
      )`,
      `DROP TRIGGER IF EXISTS correction_sets_append_only ON smt.correction_sets`,
      `CREATE TRIGGER correction_sets_append_only BEFORE UPDATE OR DELETE ON smt.correction_sets
       FOR EACH ROW EXECUTE FUNCTION smt.audit_log_is_append_only()`,
      // TRUNCATE fires no row trigger: without these the whole trail could go in one statement.
      ...['audit_log', 'corrections', 'correction_sets'].flatMap((t) => [
        `DROP TRIGGER IF EXISTS ${t}_no_truncate ON smt.${t}`,
        `CREATE TRIGGER ${t}_no_truncate BEFORE TRUNCATE ON smt.${t}
         FOR EACH STATEMENT EXECUTE FUNCTION smt.audit_log_is_append_only()`,
      ]),
    ],
  },
  {
    version: 12,
    name: 'authoritative-aggregates',
    // What `smt aggregate` writes (docs/architecture.md "Authoritative aggregates"): peak interval
    // demand, the estimated share, a status (provisional / validated / billed) and the series version
    // each row was computed from; `version` counts the row's own revisions (bumped only when a value
    // changes). Weekly rows and the region × segment × tariff rollups per day and month are new.
    statements: () => [
      `ALTER TABLE smt.daily_aggregates
         ADD COLUMN IF NOT EXISTS interval_minutes smallint NOT NULL DEFAULT 15,
         ADD COLUMN IF NOT EXISTS peak_demand_kw double precision,
         ADD COLUMN IF NOT EXISTS peak_interval_start timestamptz,
         ADD COLUMN IF NOT EXISTS estimated_share double precision,
         ADD COLUMN IF NOT EXISTS status text NOT NULL DEFAULT 'provisional' CHECK (status IN ('provisional', 'validated', 'billed')),
         ADD COLUMN IF NOT EXISTS series_version bigint NOT NULL DEFAULT 0`,
      `ALTER TABLE smt.monthly_aggregates
         ADD COLUMN IF NOT EXISTS days_aggregated smallint NOT NULL DEFAULT 0,
         ADD COLUMN IF NOT EXISTS intervals_expected integer NOT NULL DEFAULT 0,
         ADD COLUMN IF NOT EXISTS intervals_actual integer NOT NULL DEFAULT 0,
         ADD COLUMN IF NOT EXISTS peak_demand_kw double precision,
         ADD COLUMN IF NOT EXISTS estimated_share double precision,
         ADD COLUMN IF NOT EXISTS status text NOT NULL DEFAULT 'provisional' CHECK (status IN ('provisional', 'validated', 'billed')),
         ADD COLUMN IF NOT EXISTS series_version bigint NOT NULL DEFAULT 0`,
      `CREATE INDEX IF NOT EXISTS monthly_aggregates_month_idx ON smt.monthly_aggregates (month)`,
      // Local weeks, Monday to Sunday in the meter's zone.
      `CREATE TABLE IF NOT EXISTS smt.weekly_aggregates (
        meter_id             text NOT NULL,
        channel              text NOT NULL,
        week_start           date NOT NULL CHECK (extract(isodow FROM week_start) = 1),
        value_sum            numeric(18, 6),
        peak_demand_kw       double precision,
        peak_interval_start  timestamptz,
        days_expected        smallint NOT NULL,
        days_aggregated      smallint NOT NULL,
        days_complete        smallint NOT NULL,
        intervals_expected   integer NOT NULL,
        intervals_actual     integer NOT NULL,
        intervals_estimated  integer NOT NULL,
        intervals_missing    integer NOT NULL,
        estimated_share      double precision,
        status               text NOT NULL CHECK (status IN ('provisional', 'validated', 'billed')),
        series_version       bigint NOT NULL,
        version              integer NOT NULL DEFAULT 1,
        computed_at          timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (meter_id, channel, week_start)
      )`,
      `CREATE INDEX IF NOT EXISTS weekly_aggregates_week_idx ON smt.weekly_aggregates (week_start)`,
      ...(['daily', 'monthly'] as const).map(
        (p) => `CREATE TABLE IF NOT EXISTS smt.dims_${p}_aggregates (
        ${p === 'daily' ? 'local_date' : 'month     '}           date NOT NULL,
        channel              text NOT NULL,
        region_id            text NOT NULL,
        segment              text NOT NULL,
        tariff_id            text NOT NULL,
        meters               integer NOT NULL,
        value_sum            numeric(20, 6),
        peak_demand_kw       double precision,
        intervals_expected   bigint NOT NULL,
        intervals_actual     bigint NOT NULL,
        intervals_estimated  bigint NOT NULL,
        intervals_missing    bigint NOT NULL,
        estimated_share      double precision,
        meters_validated     integer NOT NULL,
        version              integer NOT NULL DEFAULT 1,
        computed_at          timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (${p === 'daily' ? 'local_date' : 'month'}, channel, region_id, segment, tariff_id)
      )`,
      ),
    ],
  },
  {
    version: 14,
    name: 'tariff-definitions-and-billing-cycles',
    // Tariffs imported as data (smt tariffs import); the rows that `meters import` creates for a
    // tariff id it meets first keep source NULL and an empty definition until the tariff is imported.
    // A closed period keeps its bill (determinants, lines, the series versions they came from) so a
    // later recomputation can be compared with what was billed.
    statements: () => [
      `ALTER TABLE smt.tariffs ADD COLUMN IF NOT EXISTS source text CHECK (source IN ('yaml', 'urdb'))`,
      `ALTER TABLE smt.tariffs ADD COLUMN IF NOT EXISTS updated_at timestamptz NOT NULL DEFAULT now()`,
      `CREATE TABLE IF NOT EXISTS smt.billing_cycles (
        account_id  text PRIMARY KEY,
        cycle_day   smallint NOT NULL CHECK (cycle_day BETWEEN 1 AND 28),
        updated_at  timestamptz NOT NULL DEFAULT now()
      )`,
      `ALTER TABLE smt.billing_periods ADD COLUMN IF NOT EXISTS tariff_id text`,
      `ALTER TABLE smt.billing_periods ADD COLUMN IF NOT EXISTS channel text`,
      `ALTER TABLE smt.billing_periods ADD COLUMN IF NOT EXISTS series_versions jsonb`,
      `ALTER TABLE smt.billing_periods ADD COLUMN IF NOT EXISTS bill jsonb`,
      `ALTER TABLE smt.billing_periods ADD COLUMN IF NOT EXISTS total numeric(18, 2)`,
      `ALTER TABLE smt.billing_periods ADD COLUMN IF NOT EXISTS currency char(3)`,
      `CREATE INDEX IF NOT EXISTS billing_periods_account_idx ON smt.billing_periods (account_id, period_start)`,
    ],
  },
  {
    version: 16,
    name: 'forecasts',
    // Issued forecasts, kept so their accuracy can be measured as the actuals arrive (smt forecast
    // accuracy). One row per forecast of one target: the interval values from `origin` on at
    // `interval_minutes` (a UTC grid), their 90 % prediction interval, and the local-day totals.
    statements: () => [
      `CREATE TABLE IF NOT EXISTS smt.forecasts (
        forecast_id       bigserial PRIMARY KEY,
        level             text NOT NULL CHECK (level IN ('meter', 'segment', 'region', 'fleet', 'dataset')),
        target            text NOT NULL,
        channel           text NOT NULL,
        model             text NOT NULL,
        model_version     integer NOT NULL,
        issued_at         timestamptz NOT NULL DEFAULT now(),
        origin            timestamptz NOT NULL,
        horizon           text NOT NULL,
        timezone          text NOT NULL,
        interval_minutes  smallint NOT NULL,
        history_from      date NOT NULL,
        "values"          double precision[] NOT NULL,
        lower             double precision[] NOT NULL,
        upper             double precision[] NOT NULL,
        days              jsonb NOT NULL,
        warnings          jsonb NOT NULL DEFAULT '[]'
      )`,
      'CREATE INDEX IF NOT EXISTS forecasts_target ON smt.forecasts (level, target, origin)',
    ],
  },
  {
    version: 17,
    name: 'imported-files',
    // `smt import` is idempotent by file content: a file whose checksum is here was produced to
    // the raw topic in full and is skipped unless --force.
    statements: () => [
      `CREATE TABLE IF NOT EXISTS smt.imported_files (
        sha256       text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
        file_name    text NOT NULL,
        bytes        bigint NOT NULL CHECK (bytes >= 0),
        formats      text NOT NULL,
        messages     bigint NOT NULL CHECK (messages >= 0),
        readings     bigint NOT NULL CHECK (readings >= 0),
        topic        text NOT NULL,
        imported_at  timestamptz NOT NULL DEFAULT now()
      )`,
    ],
  },
  {
    version: 26,
    name: 'ingest-rejects',
    // Readings ingest did not store, per meter-day and reason: rejected by a rule, dead-lettered
    // with their message, or dropped by the decoder (rule decode.dropped, detail = the decoder's
    // reason, e.g. 'invalid 300 record'). Written with the counts and the watermark, so a replayed
    // slice is not counted twice. Meters the registry lacks are counted too (that is the evidence).
    statements: () => [
      `CREATE TABLE IF NOT EXISTS smt.ingest_rejects (
        meter_id    text NOT NULL,
        channel     text NOT NULL,
        local_date  date NOT NULL,
        rule        text NOT NULL,
        detail      text NOT NULL DEFAULT '',
        readings    integer NOT NULL CHECK (readings >= 0),
        last_at     timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (meter_id, channel, local_date, rule, detail)
      )`,
      `CREATE INDEX IF NOT EXISTS ingest_rejects_date_idx ON smt.ingest_rejects (local_date, rule)`,
    ],
  },
  {
    version: 29,
    name: 'daily-aggregates-by-local-hour',
    // What a bill needs from the authoritative aggregates (docs/billing.md): per local hour of the
    // meter-day (23, 24 or 25 entries, hours since local midnight) the energy and the largest
    // interval value in integer micro-units of the channel (values rounded once to 6 decimals, as
    // the billing engine sums them: exact, order-independent) and the minute (since the day's
    // start) of that peak; the day's estimated energy. A closed billing period records what it was
    // billed from and the aggregate row versions.
    statements: () => [
      `ALTER TABLE smt.daily_aggregates
         ADD COLUMN IF NOT EXISTS estimated_value_micro bigint,
         ADD COLUMN IF NOT EXISTS hourly_value_micro bigint[],
         ADD COLUMN IF NOT EXISTS hourly_peak_micro bigint[],
         ADD COLUMN IF NOT EXISTS hourly_peak_minute smallint[]`,
      `ALTER TABLE smt.billing_periods
         ADD COLUMN IF NOT EXISTS basis text CHECK (basis IN ('aggregates', 'series')),
         ADD COLUMN IF NOT EXISTS aggregate_versions jsonb`,
    ],
  },
  {
    version: 30,
    name: 'daily-aggregates-row-hash',
    // A hash of the values `smt aggregate` wrote a row with (computed in node from the row's COPY
    // bytes): a rerun reads the chunk's hashes and sends only the rows whose hash or status differ,
    // instead of staging and comparing every row in PostgreSQL. Any UPDATE that does not set a new
    // hash (billing marking a day billed, an operator's fix) clears it, so a hash is never trusted
    // for values it was not computed from: such a row is compared in full the next time.
    statements: () => [
      `ALTER TABLE smt.daily_aggregates ADD COLUMN IF NOT EXISTS row_hash bigint`,
      `CREATE OR REPLACE FUNCTION smt.daily_aggregates_clear_hash() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN NEW.row_hash := NULL; RETURN NEW; END $$`,
      `DROP TRIGGER IF EXISTS daily_aggregates_clear_hash ON smt.daily_aggregates`,
      `CREATE TRIGGER daily_aggregates_clear_hash BEFORE UPDATE ON smt.daily_aggregates
       FOR EACH ROW WHEN (NEW.row_hash IS NOT DISTINCT FROM OLD.row_hash)
       EXECUTE FUNCTION smt.daily_aggregates_clear_hash()`,
    ],
  },
];
