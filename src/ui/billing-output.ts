/** Tables for people: tariffs, bills, closes and readiness checks (scripts use --json). */
import type { BillBasis } from '../core/billing/bill.js';
import type { BillingExportResult, BillResult, CheckResult, CloseResult } from '../core/billing/service.js';
import type { MonthHourMatrix, RatePeriod } from '../core/billing/tariff.js';
import type { TariffDetail } from '../core/billing/tariff-service.js';
import { renderKeyValues, renderTable } from './output.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function hh(h: number): string {
  return String(h).padStart(2, '0');
}

/** One day's 24 periods as `00-07 offpeak, 07-21 peak, 21-24 offpeak`. */
function dayRanges(row: readonly number[], periods: readonly RatePeriod[]): string {
  const out: string[] = [];
  let from = 0;
  for (let h = 1; h <= 24; h++) {
    if (h === 24 || row[h] !== row[from]) {
      out.push(`${hh(from)}-${hh(h)} ${periods[row[from]!]?.name ?? row[from]}`);
      from = h;
    }
  }
  return out.join(', ');
}

function scheduleRows(label: string, m: MonthHourMatrix, periods: readonly RatePeriod[]): string[][] {
  const groups = new Map<string, number[]>();
  m.forEach((row, i) => {
    const k = dayRanges(row, periods);
    groups.set(k, [...(groups.get(k) ?? []), i]);
  });
  return [...groups].map(([ranges, months]) => [label, months.map((i) => MONTHS[i]).join(' '), ranges]);
}

function tiersText(p: RatePeriod, unit: string): string {
  return p.tiers
    .map((t) => `${t.rate}/${unit}${t.max === null ? '' : ` to ${t.max} ${unit}${t.daily ? '/day' : ''}`}`)
    .join(', then ');
}

export function renderTariff(t: TariffDetail): string {
  const d = t.definition;
  const head = renderKeyValues([
    ['tariff', t.tariffId],
    ['name', t.name],
    ['kind', t.kind],
    ['valid', `${t.validFrom ?? '…'} – ${t.validTo ?? '…'}`],
    [
      'source',
      d
        ? [d.source.kind, d.source.label, d.source.uri].filter(Boolean).join(' ')
        : 'not imported (created by meters import)',
    ],
    ['currency', d?.currency ?? ''],
    [
      'holidays',
      d?.holidays
        ? [d.holidays.country, d.holidays.state, d.holidays.region].filter(Boolean).join('-')
        : 'none',
    ],
    ['fixed', d ? `${d.fixed.monthly}/month, ${d.fixed.daily}/day` : ''],
    ['minimum', d ? `${d.minimumMonthly}/month` : ''],
  ]);
  if (!d) return head;
  const rates: string[][] = [
    ...d.energy.periods.map((p) => ['energy', p.name, tiersText(p, 'kWh')]),
    ...(d.demand?.periods.map((p) => ['demand (time of use)', p.name, tiersText(p, 'kW')]) ?? []),
    ...(d.flatDemand?.periods.map((p) => ['demand (billing period)', p.name, tiersText(p, 'kW')]) ?? []),
  ];
  const schedules: string[][] = [];
  for (const k of ['weekday', 'weekend', 'holiday'] as const) {
    schedules.push(...scheduleRows(`energy ${k}`, d.energy.schedule[k], d.energy.periods));
    if (d.demand) schedules.push(...scheduleRows(`demand ${k}`, d.demand.schedule[k], d.demand.periods));
  }
  if (d.flatDemand)
    schedules.push([
      'flat demand',
      'by month',
      d.flatDemand.months.map((p, i) => `${MONTHS[i]} ${d.flatDemand!.periods[p]!.name}`).join(', '),
    ]);
  return [
    head,
    renderTable(['charge', 'period', 'rates'], rates),
    renderTable(['schedule', 'months', 'hours (local)'], schedules),
  ].join('\n');
}

/** Where a bill's figures come from, in a line an operator reads. */
export function basisText(b: BillBasis): string {
  if (b.source === 'aggregates')
    return `aggregates (${b.status}, authoritative daily aggregates by local hour)`;
  const series = `series (${b.status}${b.asOf ? `, as of ${b.asOf}` : ', current versions'})`;
  return b.reason ? `${series}: ${b.reason}` : series;
}

export function renderBill(b: BillResult): string {
  const parts: string[] = [];
  for (const p of b.periods) {
    const d = p.determinants;
    parts.push(
      renderKeyValues([
        ['meter', `${p.meterId} (account ${p.accountId})`],
        ['period', `${p.from} – ${p.to} (${d.days} days, ${p.status})`],
        ['tariff', `${p.tariffId} ${p.tariffName}`],
        ['source', basisText(p.basis)],
        ['energy', `${d.energyKwh} kWh`],
        [
          'intervals',
          `${d.intervals.expected} expected, ${d.intervals.actual} actual, ${d.intervals.estimated} estimated, ${d.intervals.missing} missing`,
        ],
        ['estimated share', `${(d.estimatedShare * 100).toFixed(2)} % of kWh`],
        ...d.demand.map((x): [string, string] => [
          `peak ${x.period}`,
          `${x.kw} kW${x.at ? ` at ${x.at}` : ''}`,
        ]),
        ...(d.flatDemand
          ? ([
              [
                `peak (${d.flatDemand.period})`,
                `${d.flatDemand.kw} kW${d.flatDemand.at ? ` at ${d.flatDemand.at}` : ''}`,
              ],
            ] as [string, string][])
          : []),
      ]),
    );
    parts.push(
      renderTable(
        ['charge', 'quantity', 'unit', 'rate', `amount ${p.currency}`],
        [
          ...p.lines.map((l) => [l.description, l.quantity, l.unit, l.rate, l.amount.toFixed(2)]),
          ['total', '', '', '', p.total.toFixed(2)],
        ],
      ),
    );
  }
  if (b.periods.length > 1)
    parts.push(`total ${b.total.toFixed(2)} ${b.currency} over ${b.periods.length} periods`);
  return parts.join('\n');
}

export function renderClose(r: CloseResult): string {
  const rows = [
    ...r.closed.map((c) => [
      c.meterId,
      `${c.from} – ${c.to}`,
      'closed now',
      `${c.total.toFixed(2)} ${c.currency}`,
      c.basis.source === 'aggregates' ? `aggregates (${c.basis.status})` : `series (${c.basis.status})`,
    ]),
    ...r.alreadyClosed.map((c) => [c.meterId, '', `already ${c.status} (${c.closedAt ?? ''})`, '', '']),
  ];
  return `${renderTable(['meter', 'period', 'status', 'total', 'source'], rows)}\n${r.closed.length} closed, ${r.alreadyClosed.length} already closed`;
}

export function renderExport(r: BillingExportResult): string {
  const table = renderTable(
    ['meter', 'account', 'period', 'total', 'status'],
    r.billed.map((b) => [
      b.meterId,
      b.accountId,
      `${b.from} – ${b.to}`,
      `${b.total.toFixed(2)} ${b.currency}`,
      'billed now',
    ]),
  );
  return `${r.billed.length > 0 ? `${table}\n` : ''}${r.billed.length} periods of ${r.period} billed as ${r.invoiceRef}; ${r.dailyAggregatesBilled} daily aggregates now billed (authoritative)`;
}

export function renderCheck(r: CheckResult): string {
  const table = renderTable(
    ['meter', 'account', 'period', 'missing', 'estimated share', 'problem'],
    r.problems.map((p) => [
      p.meterId,
      p.accountId,
      `${p.from} – ${p.to}`,
      `${p.intervalsMissing} of ${p.intervalsExpected}`,
      `${(p.estimatedShare * 100).toFixed(2)} %`,
      p.reasons.join(', '),
    ]),
  );
  return `${r.problems.length > 0 ? `${table}\n` : ''}${r.ready} of ${r.meters} meters ready for ${r.period} (estimated share at most ${(r.maxEstimatedShare * 100).toFixed(2)} %)`;
}
