/** `smt tariffs import | list | show`. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { SmtConfig } from '../config/config.js';
import { errorMessage, SmtError, UsageError } from '../errors.js';
import type { TariffSummary, TariffUpsertCounts } from '../postgres/tariff-repository.js';
import { assertHolidayCalendar } from './holidays.js';
import { withBillingStores } from './stores.js';
import type { HolidayCalendar, Tariff, TariffDefinition } from './tariff.js';
import { tariffFromYaml } from './tariff-yaml.js';
import { tariffsFromUrdbJson } from './urdb.js';

export type TariffFormat = 'yaml' | 'urdb';

export interface TariffImportOptions {
  format?: TariffFormat;
  /** URDB: the tariff id (default: the rate's label) */
  tariffId?: string;
  /** URDB: currency of the rates (URDB is USD) */
  currency?: string;
  /** URDB has no holidays: bill these with the weekend schedule */
  holidays?: HolidayCalendar;
  dryRun?: boolean;
}

export interface TariffImportResult extends TariffUpsertCounts {
  file: string;
  format: TariffFormat;
  tariffs: { tariffId: string; name: string; kind: Tariff['kind'] }[];
  dryRun: boolean;
}

function formatOf(file: string, given: TariffFormat | undefined): TariffFormat {
  if (given) return given;
  const ext = path.extname(file).toLowerCase();
  if (ext === '.json') return 'urdb';
  if (ext === '.yaml' || ext === '.yml') return 'yaml';
  throw new UsageError(
    `cannot tell the format of ${file} from its name`,
    'Pass --format yaml or --format urdb.',
  );
}

/** Parse a tariff file without touching any store. */
export function parseTariffFile(text: string, file: string, options: TariffImportOptions = {}): Tariff[] {
  const format = formatOf(file, options.format);
  if (format === 'yaml') {
    if (options.tariffId !== undefined || options.currency !== undefined || options.holidays !== undefined)
      throw new UsageError(
        '--id, --currency and --holidays apply to URDB files',
        'A YAML tariff names them itself (id, currency, holidays).',
      );
    return [tariffFromYaml(text, file)];
  }
  if (options.holidays) assertHolidayCalendar(options.holidays, '--holidays');
  return tariffsFromUrdbJson(text, file, {
    ...(options.tariffId !== undefined ? { tariffId: options.tariffId } : {}),
    ...(options.currency !== undefined ? { currency: options.currency } : {}),
    holidays: options.holidays ?? null,
  });
}

export async function importTariffs(
  config: SmtConfig,
  file: string,
  options: TariffImportOptions = {},
): Promise<TariffImportResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(
      `cannot read ${file}: ${errorMessage(err)}`,
      'Pass the path of a tariff file (YAML or URDB JSON).',
    );
  }
  const tariffs = parseTariffFile(text, file, options);
  const summary = {
    file,
    format: formatOf(file, options.format),
    tariffs: tariffs.map((t) => ({ tariffId: t.tariffId, name: t.name, kind: t.kind })),
    dryRun: options.dryRun ?? false,
  };
  if (options.dryRun) return { ...summary, inserted: 0, updated: 0, unchanged: 0 };
  const counts = await withBillingStores(config, (s) => s.tariffs.upsert(tariffs));
  return { ...summary, ...counts };
}

export function listTariffs(config: SmtConfig): Promise<TariffSummary[]> {
  return withBillingStores(config, (s) => s.tariffs.list());
}

export interface TariffDetail extends Omit<Tariff, 'definition'> {
  /** null: created by `meters import`, not imported yet */
  definition: TariffDefinition | null;
}

export async function showTariff(config: SmtConfig, tariffId: string): Promise<TariffDetail> {
  const t = await withBillingStores(config, (s) => s.tariffs.get(tariffId));
  if (!t)
    throw new SmtError(`tariff ${tariffId} is not known`, {
      exitCode: 3,
      code: 'NOT_FOUND',
      hint: 'List the tariffs with `smt tariffs list`; import one with `smt tariffs import <file>`.',
    });
  return t;
}
