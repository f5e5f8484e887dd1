import type { IntervalMinutes } from '../readings/block.js';

export const SEGMENTS = ['residential', 'commercial', 'industrial'] as const;
export type Segment = (typeof SEGMENTS)[number];

export const METER_STATUSES = ['active', 'inactive', 'removed'] as const;
export type MeterStatus = (typeof METER_STATUSES)[number];

export interface Meter {
  meterId: string;
  accountId: string;
  tariffId: string;
  regionId: string;
  segment: Segment;
  timezone: string;
  intervalMinutes: IntervalMinutes;
  status: MeterStatus;
  /** rated power in kW; null when unknown (physical-limit rules then use the segment default) */
  ratedKw: number | null;
  installedAt: Date;
  removedAt: Date | null;
  /**
   * the channels the meter reports, canonical ids (src/core/readings/channel.ts), sorted; absent or
   * null: not declared, every channel accepted
   */
  channels?: readonly string[] | null;
}

/** Registered and active at the instant: what the "meter registered" business rule checks. */
export function isActiveAt(meter: Meter, atMs: number): boolean {
  if (meter.status !== 'active' && meter.status !== 'removed') return false;
  if (atMs < meter.installedAt.getTime()) return false;
  return meter.removedAt === null || atMs < meter.removedAt.getTime();
}
