/** Tables for people of `smt correct`, `smt audit` and `smt explain` (the `--json` output is the typed result). */
import type { AuditHistoryItem, VerifyReport } from '../core/audit/service.js';
import type { CorrectionReport } from '../core/corrections/service.js';
import type { Explanation } from '../core/lineage/explain.js';
import { num } from '../core/vee/explain.js';
import { renderKeyValues, renderTable } from './output.js';

const n = (x: number | null | undefined): string => (x === null || x === undefined ? '—' : num(x));

export function renderCorrection(r: CorrectionReport, limit: number): string {
  const parts: string[] = [];
  parts.push(
    renderKeyValues([
      [
        'correction',
        r.dryRun
          ? 'dry run: nothing written'
          : r.correctionId === null
            ? 'nothing to change'
            : r.correctionId,
      ],
      ['meter / channel', `${r.meterId} / ${r.channel}`],
      ['range (local)', `${r.fromLocal} → ${r.toLocal} (${r.timezone})`],
      ['range (UTC)', `${r.from} → ${r.to}`],
      ['operation', `${r.operation} ${JSON.stringify(r.parameters)} (method ${r.method})`],
      ['reason', r.reason],
      ['operator', r.operator],
      [
        'validation',
        r.validation
          ? `${r.validation.ruleSet}: ${r.validation.passed} passed, ${r.validation.accepted} accepted`
          : '—',
      ],
      [
        'intervals',
        `${r.intervals.inRange} in range: ${r.intervals.changed} change, ${r.intervals.unchanged} unchanged, ${r.intervals.skipped} skipped${r.operation === 'undo' ? ' (changed again since)' : ' (no value to derive from)'}`,
      ],
      ['recalculation queued', r.dryRun ? '—' : `${r.recalcQueued} meter-day(s)`],
      ['audit entry', r.audit ? `${r.audit.auditId} (${r.audit.entryHash.slice(0, 16)}…)` : '—'],
    ]),
  );
  if (r.changes.length > 0) {
    parts.push(
      renderTable(
        ['start (local)', 'start (UTC)', 'old', 'new', 'old quality', 'new quality'],
        r.changes
          .slice(0, limit)
          .map((c) => [c.startLocal, c.start, n(c.old), n(c.new), c.oldQuality, c.newQuality]),
      ),
    );
    if (r.changes.length > limit)
      parts.push(`showing ${limit} of ${r.changes.length} changed intervals (--limit)`);
  }
  if (r.days.length > 0)
    parts.push(
      renderTable(
        ['day', 'total before', 'total after', 'change', 'stored daily aggregate'],
        r.days.map((d) => [d.key, n(d.before), n(d.after), n(d.delta), n(d.stored)]),
      ),
    );
  if (r.months.length > 0)
    parts.push(
      renderTable(
        ['month', 'total before', 'total after', 'change', 'stored monthly aggregate'],
        r.months.map((m) => [m.key, n(m.before), n(m.after), n(m.delta), n(m.stored)]),
      ),
    );
  if (r.closedPeriods.length > 0) {
    parts.push(
      renderTable(
        ['billing period', 'from', 'to (excl.)', 'status', 'corrected days before', 'after'],
        r.closedPeriods.map((p) => [
          p.periodId,
          p.periodStart,
          p.periodEnd,
          p.status,
          n(p.before),
          n(p.after),
        ]),
      ),
    );
    parts.push(
      r.dryRun
        ? 'A closed or billed period is touched: the correction needs --allow-closed and raises an alert.'
        : `${r.alertsRaised} alert(s) raised in smt.correction_alerts.`,
    );
  }
  return parts.join('\n');
}

/** What undid a correction set, or what it undoes ('' for neither). */
export function undoLink(s: AuditHistoryItem): string {
  return s.undoes !== null ? `undoes ${s.undoes}` : s.undoneBy !== null ? `undone by ${s.undoneBy}` : '';
}

/** The audit entry that records a correction set, its hash shortened. */
export function auditEntryRef(s: AuditHistoryItem): string {
  return `${s.auditId} ${s.entryHash ? `${s.entryHash.slice(0, 12)}…` : '(missing)'}`;
}

export function renderAuditHistory(items: readonly AuditHistoryItem[]): string {
  if (items.length === 0) return 'No corrections recorded for this meter in the range.';
  return renderTable(
    [
      'correction',
      'when',
      'operator',
      'operation',
      'range (UTC)',
      'intervals',
      'reason',
      'undo',
      'audit entry',
    ],
    items.map((s) => [
      s.correctionId,
      s.createdAt,
      s.operator,
      `${s.operation} ${JSON.stringify(s.parameters)}`,
      `${s.rangeStart} → ${s.rangeEnd}`,
      s.intervals,
      s.reason,
      undoLink(s),
      auditEntryRef(s),
    ]),
  );
}

export function renderVerify(r: VerifyReport): string {
  return renderKeyValues([
    ['chain', r.ok ? 'unbroken' : `BROKEN at entry ${r.firstBroken!.auditId}`],
    ['entries verified', r.verified],
    ['entries before the chain (unchained)', r.unchained],
    ['head entry', r.headAuditId ?? '—'],
    ['head hash', r.head],
  ]);
}

export function renderExplanation(e: Explanation): string {
  const parts: string[] = [];
  const c = e.current;
  parts.push(
    renderKeyValues([
      ['meter / channel', `${e.meterId} / ${e.channel}`],
      ['interval (local)', `${e.interval.startLocal} → ${e.interval.endLocal} (${e.timezone})`],
      ['interval (UTC)', `${e.interval.start} → ${e.interval.end}`],
      [
        'position in day',
        `${e.interval.position} of ${e.interval.intervalsInDay} on ${e.interval.localDate}`,
      ],
      ['current value', c ? n(c.value) : 'never written'],
      ['quality', c ? c.quality : '—'],
      ['rules fired', c && c.rules.length > 0 ? c.rules.join(', ') : 'none'],
      ['set by', c?.source ? `${c.source} (version ${c.writeVersion})` : '—'],
      [
        'daily aggregate',
        e.aggregates.daily
          ? `${n(e.aggregates.daily.kwh)} (v${e.aggregates.daily.version}, ${e.aggregates.daily.computedAt})`
          : 'not computed',
      ],
      [
        'monthly aggregate',
        e.aggregates.monthly
          ? `${n(e.aggregates.monthly.kwh)} (v${e.aggregates.monthly.version}, ${e.aggregates.monthly.computedAt})`
          : 'not computed',
      ],
    ]),
  );
  if (e.registerPeriods.length > 0)
    parts.push(
      renderTable(
        ['register', 'read period', 'register read', 'period quantity', 'quality', 'version', 'source'],
        e.registerPeriods.map((r) => [
          r.channel,
          `${r.periodStart} → ${r.readAt}`,
          `${n(r.value)} ${r.unit}`,
          r.quantity === null ? '—' : `${n(r.quantity)} ${r.unit}`,
          r.quality,
          r.version,
          r.source,
        ]),
      ),
    );
  if (e.history.length > 0)
    parts.push(
      renderTable(
        ['day version', 'written', 'writer', 'source', 'value', 'quality', 'rules', 'reason'],
        e.history.map((h) => [
          h.version,
          h.writtenAt,
          h.writer,
          h.source,
          n(h.value),
          h.quality,
          h.rules.join(', '),
          h.reason,
        ]),
      ),
    );
  parts.push(
    e.raw.length === 0
      ? 'No raw payload archived for this interval (written by a correction or estimate, or past the archive TTL).'
      : renderTable(
          ['raw source', 'format', 'received', 'readings', 'bytes', 'payload starts'],
          e.raw.map((r) => [
            r.source,
            r.format,
            r.receivedAt,
            r.readings,
            r.payloadBytes,
            r.preview.slice(0, 60).replace(/\s+/g, ' '),
          ]),
        ),
  );
  if (e.corrections.length > 0)
    parts.push(
      renderTable(
        [
          'correction',
          'when',
          'operator',
          'operation',
          'old',
          'new',
          'series version',
          'reason',
          'audit entry',
        ],
        e.corrections.map((x) => [
          x.correctionId,
          x.createdAt,
          x.operator,
          x.undoes !== null ? `undo of ${x.undoes}` : x.operation,
          n(x.old),
          n(x.new),
          x.seriesVersion,
          x.reason,
          x.auditId,
        ]),
      ),
    );
  return parts.join('\n');
}
