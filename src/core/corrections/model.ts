/**
 * Manual corrections: what an operator asks for, what it changes, and the ledger port that records
 * it (PostgreSQL: src/core/postgres/correction-ledger.ts). docs/corrections.md.
 */
import type { ChainedEntry } from '../audit/chain.js';
import type { Bookkeeping } from '../series/ports.js';

export type CorrectionOperation =
  | { kind: 'value'; value: number }
  | { kind: 'scale'; factor: number }
  | { kind: 'copy_from'; meterId: string }
  | { kind: 'copy_from'; day: string }
  | { kind: 'estimate'; method: string };

export type OperationKind = CorrectionOperation['kind'] | 'undo';

/** One interval a correction set changes: the state before and after. */
export interface CorrectedInterval {
  /** UTC epoch ms */
  start: number;
  /** local date of the interval in the meter's zone */
  day: string;
  position: number;
  /** NaN = missing */
  oldValue: number;
  oldQuality: number;
  newValue: number;
  newQuality: number;
  /** the meter-day version the change supersedes (0: the day had none) */
  oldVersion: number;
  newVersion: number;
}

/** A billing period the correction touches that is closed, billed or waiting for a rebill. */
export interface ClosedPeriod {
  periodId: number;
  /** local dates, [start, end) */
  periodStart: string;
  periodEnd: string;
  status: 'closed' | 'billed' | 'rebill_required';
}

export interface StoredAggregate {
  /** YYYY-MM-DD (a day) or YYYY-MM (a month) */
  key: string;
  kwh: number | null;
  version: number;
  computedAt: string;
}

export interface CorrectionAlert {
  periodId: number;
  periodStatus: ClosedPeriod['status'];
  kwhBefore: number;
  kwhAfter: number;
}

/** Everything recorded for one correction set, in one transaction with its audit entry. */
export interface CorrectionRecord {
  correctionId: number;
  meterId: string;
  channel: string;
  rangeStart: number;
  rangeEnd: number;
  operation: OperationKind;
  parameters: Record<string, unknown>;
  reason: string;
  operator: string;
  seriesSource: string;
  undoes: number | null;
  closedPeriods: number[];
  intervals: CorrectedInterval[];
  alerts: CorrectionAlert[];
}

/** A recorded correction set as read back. */
export interface CorrectionSet {
  correctionId: number;
  meterId: string;
  channel: string;
  rangeStart: string;
  rangeEnd: string;
  operation: OperationKind;
  parameters: Record<string, unknown>;
  reason: string;
  operator: string;
  seriesSource: string;
  intervals: number;
  undoes: number | null;
  /** the correction set that undid this one, if any */
  undoneBy: number | null;
  closedPeriods: number[];
  auditId: number;
  createdAt: string;
}

export interface CorrectionIntervalRow {
  correctionId: number;
  start: number;
  oldValue: number | null;
  newValue: number | null;
  oldQuality: number | null;
  newQuality: number;
  oldVersion: number | null;
  newVersion: number | null;
}

export interface LedgerTransaction {
  /** the next correction id, taken before the series is written so its source names it */
  reserveId(): Promise<number>;
  /** the write model's bookkeeping inside this transaction: queues the touched meter-days for recalculation (reason `correction`) */
  bookkeeping: Bookkeeping;
  /** the set, its intervals, alerts and the audit entry */
  save(record: CorrectionRecord): Promise<ChainedEntry>;
}

export interface CorrectionLedger {
  closedPeriods(meterId: string, fromDay: string, toDay: string): Promise<ClosedPeriod[]>;
  /** validated aggregates already stored for these days / months (absent: none) */
  storedAggregates(
    meterId: string,
    channel: string,
    days: readonly string[],
    months: readonly string[],
  ): Promise<{ days: Map<string, StoredAggregate>; months: Map<string, StoredAggregate> }>;
  /** nothing is recorded when `fn` throws */
  transaction<T>(fn: (tx: LedgerTransaction) => Promise<T>): Promise<T>;
  set(correctionId: number): Promise<CorrectionSet | null>;
  intervals(correctionId: number): Promise<CorrectionIntervalRow[]>;
  /** sets of one meter whose range overlaps [from, to), oldest first */
  sets(meterId: string, from?: number, to?: number): Promise<CorrectionSet[]>;
  /** every correction of one interval, oldest first */
  forInterval(
    meterId: string,
    channel: string,
    start: number,
  ): Promise<(CorrectionIntervalRow & { set: CorrectionSet })[]>;
}
