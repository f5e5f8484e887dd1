import { readFile } from 'node:fs/promises';
import type pg from 'pg';
import type { SmtConfig } from '../config/config.js';
import {
  errorMessage,
  InvalidDataError,
  isConnectionError,
  SchemaError,
  SmtError,
  UsageError,
} from '../errors.js';
import { createPostgresPool } from '../postgres/client.js';
import { postgresError } from '../postgres/errors.js';
import {
  type MeterFilter,
  type MeterPage,
  MeterRepository,
  type UpsertCounts,
} from '../postgres/meter-repository.js';
import type { Meter } from './meter.js';
import { type ParsedMeterFile, parseMeterCsv, type RowProblem } from './meter-csv.js';

export interface MeterImportResult extends UpsertCounts {
  file: string;
  rows: number;
  valid: number;
  skipped: number;
  problems: RowProblem[];
}

/** The registry's driver errors as smt errors: tables missing (exit 6), a store refusing or unreachable. */
async function registryCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof SmtError) throw err;
    if (/relation "smt\.\w+" does not exist/.test(errorMessage(err))) {
      throw new SchemaError(
        `postgres: the registry tables do not exist (${errorMessage(err)})`,
        'Run `smt db migrate` first.',
      );
    }
    // A SQLSTATE (wrong password, refused statement) or a connection failure: the adapter's classifier.
    if (typeof (err as { code?: unknown })?.code === 'string' || isConnectionError(err))
      throw postgresError(err, 'registry');
    throw err;
  }
}

async function withRepository<T>(config: SmtConfig, fn: (repo: MeterRepository) => Promise<T>): Promise<T> {
  const pool = createPostgresPool(config, { max: 1 });
  try {
    return await registryCall(() => fn(new MeterRepository(pool)));
  } finally {
    await pool.end();
  }
}

/**
 * Rows whose tariff or region the registry does not know yet become problems: a typo in a CIS
 * export must not create a new tariff. `--add-references` creates them instead (first import).
 */
async function checkReferences(config: SmtConfig, parsed: ParsedMeterFile): Promise<void> {
  if (parsed.meters.length === 0) return;
  const known = await withRepository(config, (repo) =>
    repo.knownReferences(
      parsed.meters.map((m) => m.meter.tariffId),
      parsed.meters.map((m) => m.meter.regionId),
    ),
  );
  const kept: ParsedMeterFile['meters'] = [];
  for (const m of parsed.meters) {
    const before = parsed.problems.length;
    if (!known.tariffs.has(m.meter.tariffId))
      parsed.problems.push({
        line: m.line,
        field: 'tariff_id',
        message: `unknown tariff "${m.meter.tariffId}" (not in smt.tariffs); pass --add-references to create it`,
      });
    if (!known.regions.has(m.meter.regionId))
      parsed.problems.push({
        line: m.line,
        field: 'region_id',
        message: `unknown region "${m.meter.regionId}" (not in smt.regions); pass --add-references to create it`,
      });
    if (parsed.problems.length === before) kept.push(m);
  }
  parsed.meters = kept;
  parsed.problems.sort((a, b) => a.line - b.line);
}

/** All-or-nothing unless skipInvalid: a file with any bad row imports nothing. */
export async function importMeters(
  config: SmtConfig,
  file: string,
  options: { skipInvalid?: boolean; dryRun?: boolean; addReferences?: boolean } = {},
): Promise<MeterImportResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(
      `cannot read ${file}: ${errorMessage(err)}`,
      'Pass the path of a registry CSV file.',
    );
  }
  let parsed: ReturnType<typeof parseMeterCsv>;
  try {
    parsed = parseMeterCsv(text);
  } catch (err) {
    throw new InvalidDataError(`${file} is not valid CSV: ${errorMessage(err)}`, {
      hint: 'Fix the quoting at the line named above.',
    });
  }
  if (parsed.fatal.length > 0) {
    const p = parsed.fatal[0]!;
    throw new InvalidDataError(`${file}:${p.line}: ${p.message}`, {
      hint: 'The header must name the columns meter_id, account_id, tariff_id, region_id, segment, timezone, interval_minutes, status, installed_at (rated_kw and removed_at optional).',
    });
  }
  if (!options.addReferences) await checkReferences(config, parsed);
  const base = {
    file,
    rows: parsed.rows,
    valid: parsed.meters.length,
    skipped: 0,
    problems: parsed.problems,
  };
  if (parsed.problems.length > 0 && !options.skipInvalid) {
    const lines = [...new Set(parsed.problems.map((p) => p.line))].length;
    const err = new InvalidDataError(
      `${file}: ${lines} of ${parsed.rows} rows are invalid; nothing was imported. First: line ${parsed.problems[0]!.line}, ${parsed.problems[0]!.field}: ${parsed.problems[0]!.message}`,
      {
        hint: 'Fix the rows listed, or pass --skip-invalid to import only the valid ones.',
        details: { problems: parsed.problems },
      },
    );
    throw err;
  }
  const skipped = parsed.rows - parsed.meters.length;
  if (options.dryRun) return { ...base, skipped, inserted: 0, updated: 0, unchanged: 0 };
  const counts = await withRepository(config, (repo) => repo.upsert(parsed.meters.map((m) => m.meter)));
  return { ...base, skipped, ...counts };
}

export function listMeters(
  config: SmtConfig,
  filter: MeterFilter,
  limit: number,
  offset: number,
): Promise<MeterPage> {
  return withRepository(config, (repo) => repo.list(filter, limit, offset));
}

export async function showMeter(config: SmtConfig, meterId: string): Promise<Meter> {
  const meter = await withRepository(config, (repo) => repo.get(meterId));
  if (!meter) throw meterNotRegistered(meterId);
  return meter;
}

/** `showMeter` on a pool the caller keeps open (smt inspect: one pool for the whole session). */
export async function showMeterOn(pool: pg.Pool, meterId: string): Promise<Meter> {
  const meter = await registryCall(() => new MeterRepository(pool).get(meterId));
  if (!meter) throw meterNotRegistered(meterId);
  return meter;
}

/** The error of every command given a meter id the registry does not hold (exit 3). */
export function meterNotRegistered(meterId: string, what = 'meter'): SmtError {
  return new SmtError(`${what} ${meterId} is not registered`, {
    hint: 'Check the id with `smt meters list --prefix <start of id>`, or import it with `smt meters import <file.csv>`.',
    exitCode: 3,
    code: 'NOT_FOUND',
  });
}
