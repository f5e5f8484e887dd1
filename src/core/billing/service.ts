/**
 * `smt bill`, `smt billing close | check | cycle`, and the comparison of a billed period with its
 * recomputation (used by late-data alerts on closed and billed periods).
 */

import { forEachBounded } from '../concurrency.js';
import type { SmtConfig } from '../config/config.js';
import { InvalidDataError, SmtError, UsageError } from '../errors.js';
import type { PeriodStatus, StoredPeriod } from '../postgres/billing-repository.js';
import type { Meter } from '../registry/meter.js';
import { aggregatePeriodDays } from './aggregate-days.js';
import {
  type BillBasis,
  billOf,
  billPeriod,
  type DeterminantDelta,
  determinantDeltas,
  determinantRows,
  type PeriodBill,
} from './bill.js';
import { roundCents } from './charges.js';
import { determinantsOfDays } from './determinants.js';
import { assertCycleDay, type BillingPeriod, periodOfMonth, periodsBetween } from './period.js';
import { type BillingStores, metersOf, withBillingStores } from './stores.js';
import type { Tariff } from './tariff.js';

/** The channel billed: imported active energy. */
export const BILLED_CHANNEL = 'active_import_kwh';
const READ_CONCURRENCY = 16;
/** meters billed and closed per PostgreSQL transaction */
const CLOSE_CHUNK = 500;

export type PeriodSelection = { period: string } | { from: string; to: string };

/**
 * What bills are computed from (docs/billing.md "Sources"): `auto` the authoritative aggregates
 * where they are current, the series (named, with the reason) elsewhere; `aggregates` refuses
 * (exit 3) a period the aggregates cannot bill; `series` always the series.
 */
export const BILL_SOURCES = ['auto', 'aggregates', 'series'] as const;
export type BillSource = (typeof BILL_SOURCES)[number];

export interface BillRequest {
  subject: string;
  selection: PeriodSelection;
  /** epoch ms: bill the series as it stood then */
  asOf?: number;
  /** default auto */
  source?: BillSource;
}

export interface BilledPeriod extends PeriodBill {
  /** the stored period's state; `open` when none is stored */
  status: PeriodStatus;
}

export interface BillResult {
  subject: { kind: 'meter' | 'account'; id: string };
  currency: string;
  periods: BilledPeriod[];
  total: number;
}

async function tariffFor(
  stores: BillingStores,
  cache: Map<string, Tariff>,
  tariffId: string,
): Promise<Tariff> {
  const hit = cache.get(tariffId);
  if (hit) return hit;
  const t = await stores.tariffs.get(tariffId);
  if (!t || t.definition === null)
    throw new InvalidDataError(`tariff ${tariffId} has no price structure in smt`, {
      code: 'TARIFF_UNDEFINED',
      hint: `Import it: \`smt tariffs import <file.yaml|urdb.json> --id ${tariffId}\` (URDB) or a YAML file with \`id: ${tariffId}\`.`,
    });
  const tariff = { ...t, definition: t.definition };
  cache.set(tariffId, tariff);
  return tariff;
}

function periodsOf(selection: PeriodSelection, cycleDay: number): BillingPeriod[] {
  return 'period' in selection
    ? [periodOfMonth(selection.period, cycleDay)]
    : periodsBetween(selection.from, selection.to, cycleDay);
}

/**
 * Bills of some meters over their billing periods: from the daily aggregates (one PostgreSQL query
 * for all the meters, and the series versions of each meter, no values) where they are current,
 * from the series (one query per meter) where not or when asked.
 */
async function billMeters(
  stores: BillingStores,
  meters: readonly Meter[],
  selection: PeriodSelection,
  asOf: number | undefined,
  source: BillSource = 'auto',
): Promise<PeriodBill[]> {
  if (source === 'aggregates' && asOf !== undefined)
    throw new UsageError(
      '--as-of bills the series as it stood then; the aggregates hold only its current state',
      'Drop --source aggregates, or --as-of.',
    );
  const cycles = await stores.billing.cycleDays([...new Set(meters.map((m) => m.accountId))]);
  const tariffs = new Map<string, Tariff>();
  for (const m of meters) await tariffFor(stores, tariffs, m.tariffId);
  const periodsOfMeter = new Map(
    meters.map((m) => [m.meterId, periodsOf(selection, cycles.get(m.accountId) ?? 1)]),
  );
  const fromAggregates = source !== 'series' && asOf === undefined;
  const all = [...periodsOfMeter.values()].flat();
  const rows =
    fromAggregates && all.length > 0
      ? await stores.aggregates.dailyRows({
          meterIds: meters.map((m) => m.meterId),
          channel: BILLED_CHANNEL,
          from: all.reduce((a, p) => (p.from < a ? p.from : a), all[0]!.from),
          to: all.reduce((a, p) => (p.to > a ? p.to : a), all[0]!.to),
        })
      : new Map();
  const reader = stores.series();
  const byMeter = new Map<string, PeriodBill[]>();
  await forEachBounded(meters, READ_CONCURRENCY, async (m) => {
    const periods = periodsOfMeter.get(m.meterId)!;
    const range = {
      meterId: m.meterId,
      channel: BILLED_CHANNEL,
      from: periods[0]!.from,
      to: periods.at(-1)!.to,
    };
    const base = {
      meterId: m.meterId,
      accountId: m.accountId,
      timezone: m.timezone,
      intervalMinutes: m.intervalMinutes,
      channel: BILLED_CHANNEL,
      tariff: tariffs.get(m.tariffId)!,
    };
    const bills: (PeriodBill | null)[] = periods.map(() => null);
    const reasons: (string | null)[] = periods.map(() => null);
    if (fromAggregates) {
      const versions = await reader.currentVersions(range);
      periods.forEach((p, i) => {
        const a = aggregatePeriodDays(m.timezone, p, rows.get(m.meterId) ?? [], versions);
        if (a.usable) {
          const d = determinantsOfDays({ ...base, period: p, days: a.days });
          bills[i] = billOf(base, d, { source: 'aggregates', status: a.status, asOf: null, reason: null });
        } else if (source === 'aggregates')
          throw new InvalidDataError(
            `${m.meterId} ${p.from} – ${p.to}: cannot bill from the aggregates: ${a.reason}`,
            {
              code: 'AGGREGATES_NOT_CURRENT',
              hint: `Aggregate first: \`smt aggregate --period day --from ${p.from} --to ${p.to} --meters ${m.meterId}\`, or bill from the series (--source series).`,
            },
          );
        else reasons[i] = a.reason;
      });
    }
    if (bills.some((b) => b === null)) {
      const input = {
        ...base,
        days: await reader.days({ ...range, ...(asOf === undefined ? {} : { asOf }) }),
        asOf: asOf ?? null,
      };
      periods.forEach((p, i) => {
        bills[i] ??= billPeriod(input, p, reasons[i] ?? null);
      });
    }
    byMeter.set(m.meterId, bills as PeriodBill[]);
  });
  return meters.flatMap((m) => byMeter.get(m.meterId)!);
}

function singleCurrency(bills: readonly PeriodBill[]): string {
  const currencies = [...new Set(bills.map((b) => b.currency))];
  if (currencies.length > 1)
    throw new InvalidDataError(
      `the meters are billed in ${currencies.join(' and ')}; one bill cannot add them up`,
      {
        hint: 'Bill the meters one by one.',
      },
    );
  return currencies[0] ?? '';
}

export async function bill(config: SmtConfig, req: BillRequest): Promise<BillResult> {
  return withBillingStores(config, async (stores) => {
    const subject = await metersOf(stores, req.subject);
    const bills = await billMeters(stores, subject.meters, req.selection, req.asOf, req.source);
    const stored = await stores.billing.periods(bills.map((b) => ({ meterId: b.meterId, from: b.from })));
    const currency = singleCurrency(bills);
    return {
      subject: { kind: subject.kind, id: req.subject },
      currency,
      periods: bills.map((b) => ({ ...b, status: stored.get(`${b.meterId}|${b.from}`)?.status ?? 'open' })),
      total: roundCents(bills.reduce((a, b) => a + Math.round(b.total * 100), 0) / 100),
    };
  });
}

/** Meters a fleet-wide billing command acts on: one subject, or every active meter. */
async function fleet(stores: BillingStores, subject: string | undefined): Promise<Meter[]> {
  if (subject !== undefined) return (await metersOf(stores, subject)).meters;
  return (await stores.meters.all()).filter((m) => m.status === 'active');
}

export interface CloseResult {
  period: string;
  closed: {
    meterId: string;
    periodId: number;
    from: string;
    to: string;
    total: number;
    currency: string;
    /** what the frozen bill came from; its aggregate row versions are kept with it */
    basis: BillBasis;
  }[];
  alreadyClosed: { meterId: string; periodId: number; status: PeriodStatus; closedAt: string | null }[];
}

export async function closePeriod(
  config: SmtConfig,
  req: { period: string; subject?: string; source?: BillSource },
): Promise<CloseResult> {
  return withBillingStores(config, async (stores) => {
    const meters = await fleet(stores, req.subject);
    if (meters.length === 0)
      throw new UsageError('no active meters to close', 'Import meters first (`smt meters import`).');
    const bills = await billMeters(stores, meters, { period: req.period }, undefined, req.source);
    const r = await stores.billing.close(
      bills.map((b) => ({ accountId: b.accountId, bill: b, determinants: determinantRows(b) })),
    );
    const totals = new Map(bills.map((b) => [b.meterId, b]));
    return {
      period: req.period,
      closed: r.closed.map((p) => ({
        meterId: p.meterId,
        periodId: p.periodId,
        from: p.from,
        to: p.to,
        total: totals.get(p.meterId)!.total,
        currency: totals.get(p.meterId)!.currency,
        basis: totals.get(p.meterId)!.basis,
      })),
      alreadyClosed: r.alreadyClosed.map((p) => ({
        meterId: p.meterId,
        periodId: p.periodId,
        status: p.status,
        closedAt: p.closedAt,
      })),
    };
  });
}

export interface BillingExportResult {
  period: string;
  /** the reference the periods were billed under */
  invoiceRef: string;
  /** the periods handed over now, each with the bill frozen at close */
  billed: {
    periodId: number;
    meterId: string;
    accountId: string;
    from: string;
    to: string;
    total: number;
    currency: string;
    bill: PeriodBill;
  }[];
  /** daily aggregates whose status became `billed` */
  dailyAggregatesBilled: number;
}

/**
 * `smt billing export`: the closed periods of a cycle month go to invoicing with the bill frozen at
 * close, and become `billed` (their daily aggregates too). Later data for them still raises the
 * late-data alert with the delta against the billed determinants.
 */
export async function exportPeriod(
  config: SmtConfig,
  req: { period: string; subject?: string; invoiceRef?: string },
): Promise<BillingExportResult> {
  return withBillingStores(config, async (stores) => {
    const meters = req.subject === undefined ? undefined : (await metersOf(stores, req.subject)).meters;
    const invoiceRef = req.invoiceRef ?? `smt-${req.period}-${new Date().toISOString()}`;
    const r = await stores.billing.markBilled({
      month: req.period,
      ...(meters ? { meterIds: meters.map((m) => m.meterId) } : {}),
      invoiceRef,
    });
    return {
      period: req.period,
      invoiceRef,
      billed: r.periods.map((p) => ({
        periodId: p.periodId,
        meterId: p.meterId,
        accountId: p.accountId,
        from: p.from,
        to: p.to,
        total: p.bill!.total,
        currency: p.bill!.currency,
        bill: p.bill!,
      })),
      dailyAggregatesBilled: r.dailyRows,
    };
  });
}

export interface ReadinessProblem {
  meterId: string;
  accountId: string;
  from: string;
  to: string;
  intervalsExpected: number;
  intervalsMissing: number;
  estimatedShare: number;
  reasons: ('incomplete' | 'estimated')[];
}

export interface CheckResult {
  period: string;
  /** the largest estimated share (estimated kWh ÷ kWh) a ready meter may have */
  maxEstimatedShare: number;
  meters: number;
  ready: number;
  problems: ReadinessProblem[];
}

export async function checkPeriod(
  config: SmtConfig,
  req: { period: string; subject?: string; maxEstimatedShare: number },
): Promise<CheckResult> {
  if (!(req.maxEstimatedShare >= 0 && req.maxEstimatedShare <= 1))
    throw new UsageError(
      `the largest estimated share ${req.maxEstimatedShare} is not between 0 and 1`,
      'Give --max-estimated-percent 0..100.',
    );
  return withBillingStores(config, async (stores) => {
    const meters = await fleet(stores, req.subject);
    const problems: ReadinessProblem[] = [];
    for (let i = 0; i < meters.length; i += CLOSE_CHUNK) {
      for (const b of await billMeters(
        stores,
        meters.slice(i, i + CLOSE_CHUNK),
        { period: req.period },
        undefined,
      )) {
        const d = b.determinants;
        const reasons: ReadinessProblem['reasons'] = [];
        if (d.intervals.missing > 0) reasons.push('incomplete');
        if (d.estimatedShare > req.maxEstimatedShare) reasons.push('estimated');
        if (reasons.length > 0)
          problems.push({
            meterId: b.meterId,
            accountId: b.accountId,
            from: b.from,
            to: b.to,
            intervalsExpected: d.intervals.expected,
            intervalsMissing: d.intervals.missing,
            estimatedShare: d.estimatedShare,
            reasons,
          });
      }
    }
    return {
      period: req.period,
      maxEstimatedShare: req.maxEstimatedShare,
      meters: meters.length,
      ready: meters.length - problems.length,
      problems,
    };
  });
}

export interface CycleResult {
  accountId: string;
  cycleDay: number;
  /** the billing period of the current configuration that starts in this month */
  example: BillingPeriod;
}

export async function billingCycle(
  config: SmtConfig,
  req: { accountId: string; cycleDay?: number; month: string },
): Promise<CycleResult> {
  if (req.cycleDay !== undefined) assertCycleDay(req.cycleDay);
  return withBillingStores(config, async (stores) => {
    if (req.cycleDay !== undefined) await stores.billing.setCycleDay(req.accountId, req.cycleDay);
    const day = (await stores.billing.cycleDays([req.accountId])).get(req.accountId) ?? 1;
    return { accountId: req.accountId, cycleDay: day, example: periodOfMonth(req.month, day) };
  });
}

export interface BilledComparison {
  period: StoredPeriod;
  billed: PeriodBill;
  current: PeriodBill;
  deltas: DeterminantDelta[];
  /** current total − billed total */
  totalDelta: number;
}

/**
 * What a closed or billed period would bill now against what it billed: for late-data alerts
 * (the delta an operator decides a rebill on). The period is the stored one that starts on `from`;
 * the tariff is the one it was billed with.
 */
export async function compareWithBilled(
  stores: BillingStores,
  meterId: string,
  from: string,
): Promise<BilledComparison> {
  const stored = (await stores.billing.periods([{ meterId, from }])).get(`${meterId}|${from}`);
  if (!stored || stored.bill === null)
    throw new SmtError(`meter ${meterId} has no closed billing period starting ${from}`, {
      exitCode: 3,
      code: 'NOT_FOUND',
      hint: 'Close it first with `smt billing close --period YYYY-MM`.',
    });
  const meter = await stores.meters.get(meterId);
  if (!meter) throw new SmtError(`meter ${meterId} is not registered`, { exitCode: 3, code: 'NOT_FOUND' });
  const tariff = await tariffFor(stores, new Map(), stored.bill.tariffId);
  const days = await stores
    .series()
    .days({ meterId, channel: stored.bill.determinants.channel, from: stored.from, to: stored.to });
  const current = billPeriod(
    {
      meterId,
      accountId: stored.accountId,
      timezone: meter.timezone,
      intervalMinutes: meter.intervalMinutes,
      channel: stored.bill.determinants.channel,
      tariff,
      days,
      asOf: null,
    },
    { from: stored.from, to: stored.to },
  );
  const billedRows = await stores.billing.determinants(stored.periodId);
  return {
    period: stored,
    billed: stored.bill,
    current,
    deltas: determinantDeltas(billedRows, determinantRows(current)),
    totalDelta: roundCents(current.total - stored.bill.total),
  };
}

/** compareWithBilled with its own store connections. */
export function billedDelta(config: SmtConfig, meterId: string, from: string): Promise<BilledComparison> {
  return withBillingStores(config, (stores) => compareWithBilled(stores, meterId, from));
}
