/**
 * Load shapes for simulated meters, modelled on the German BDEW standard load profiles (VDEW 1999,
 * still the reference for non-metered customers): H0 household, G0 general commercial, plus two
 * industrial shapes of our own (BDEW has none for industry, which is metered). Each is a table of
 * average power per hour of the local day, per season × day type, in W for a customer using
 * 1,000 kWh a year, as BDEW publishes them. The hourly values here are our own approximation of the
 * published curves' shape (morning and evening peaks, weekend midday, business hours), not a copy of
 * the quarter-hour tables; they are rescaled at load time so that each profile integrates to exactly
 * 1,000 kWh over a reference year.
 *
 * BDEW calendar rules used: winter 1 Nov – 20 Mar, summer 15 May – 14 Sep, transition otherwise;
 * day types weekday / Saturday / Sunday; the H0 "dynamisation" polynomial scales each household day
 * by the day of the year (about 1.24 in January, 0.8 in summer). Public holidays are not modelled
 * (BDEW treats them as Sundays).
 *
 * Everything is in local time: a spring-forward day has 23 hours of load (92 quarter-hours) and a
 * fall-back day 25 (100), the repeated hour drawing the same load twice, as real meters record.
 */
import type { IntervalMinutes } from '../readings/block.js';
import type { Segment } from '../registry/meter.js';
import type { LocalCalendar } from '../time/calendar.js';
import { formatLocalDate, MS_PER_DAY, MS_PER_MINUTE, parseLocalDate } from '../time/local-date.js';

export const PROFILE_IDS = ['H0', 'G0', 'I3', 'I2'] as const;
/** H0 household, G0 commercial, I3 three-shift industry, I2 two-shift industry */
export type ProfileId = (typeof PROFILE_IDS)[number];

export const SEASONS = ['winter', 'summer', 'transition'] as const;
export type Season = (typeof SEASONS)[number];

export const DAY_TYPES = ['weekday', 'saturday', 'sunday'] as const;
export type DayType = (typeof DAY_TYPES)[number];

type Hourly = readonly number[];
type SeasonTables = Record<DayType, Hourly>;
type ProfileTables = Record<Season, SeasonTables>;

// ---- raw hourly tables (W per 1,000 kWh/a, hour 0 = 00:00–01:00 local) --------------------------

const H0_WINTER: SeasonTables = {
  weekday: [
    72, 60, 55, 53, 53, 58, 80, 115, 130, 128, 125, 130, 145, 140, 125, 120, 128, 160, 195, 200, 185, 165,
    140, 105,
  ],
  saturday: [
    80, 66, 58, 55, 54, 56, 66, 90, 120, 140, 150, 155, 165, 160, 145, 140, 145, 170, 195, 195, 185, 170, 150,
    115,
  ],
  sunday: [
    85, 70, 60, 56, 54, 54, 58, 70, 100, 135, 160, 175, 195, 180, 150, 135, 135, 160, 185, 190, 180, 160, 135,
    100,
  ],
};
const H0_SUMMER: SeasonTables = {
  weekday: [
    68, 56, 50, 48, 48, 52, 70, 100, 110, 108, 105, 110, 122, 118, 105, 100, 102, 112, 125, 135, 145, 150,
    135, 100,
  ],
  saturday: [
    75, 62, 54, 50, 49, 50, 58, 80, 105, 120, 128, 132, 140, 135, 120, 112, 112, 120, 132, 138, 145, 148, 135,
    105,
  ],
  sunday: [
    80, 66, 56, 52, 50, 50, 52, 62, 88, 115, 135, 150, 165, 150, 125, 110, 108, 115, 128, 135, 142, 145, 130,
    98,
  ],
};

/** Offices, shops, workshops: business hours on weekdays, a short Saturday, base load on Sunday. */
const G0_WINTER: SeasonTables = {
  weekday: [
    55, 52, 50, 50, 52, 60, 85, 135, 185, 205, 210, 210, 200, 200, 205, 200, 185, 160, 125, 95, 80, 70, 63,
    58,
  ],
  saturday: [
    58, 54, 52, 51, 52, 56, 65, 85, 110, 125, 130, 130, 125, 115, 100, 90, 85, 80, 75, 70, 66, 62, 60, 58,
  ],
  sunday: [55, 52, 50, 50, 50, 51, 52, 55, 58, 60, 62, 63, 62, 60, 58, 57, 57, 58, 60, 60, 59, 58, 56, 55],
};
/** G0 in summer: less lighting, so a little lower overall and clearly lower in the late afternoon. */
const G0_SUMMER: SeasonTables = mapTables(G0_WINTER, (w, h) => w * 0.93 * (h >= 16 && h <= 21 ? 0.85 : 1));

/** Three shifts on weekdays (dips at the 06/14/22 changes), reduced Saturday, base load Sunday. */
const I3_BASE: SeasonTables = {
  weekday: [
    96, 96, 96, 96, 96, 96, 90, 108, 108, 108, 108, 108, 108, 108, 95, 104, 104, 104, 104, 104, 104, 104, 90,
    96,
  ],
  saturday: [90, 90, 90, 90, 90, 90, 95, 95, 95, 95, 95, 95, 95, 95, 80, 80, 80, 80, 80, 80, 80, 80, 65, 65],
  sunday: [62, 62, 62, 62, 62, 62, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60],
};
/** Two shifts (06–22) on weekdays, one on Saturday morning, base load otherwise. */
const I2_BASE: SeasonTables = {
  weekday: [
    45, 45, 45, 45, 45, 45, 85, 120, 120, 120, 120, 120, 120, 120, 105, 115, 115, 115, 115, 115, 115, 115, 70,
    50,
  ],
  saturday: [45, 45, 45, 45, 45, 45, 70, 90, 90, 90, 90, 90, 90, 90, 50, 50, 50, 50, 50, 50, 50, 50, 45, 45],
  sunday: [40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40],
};
/** Industry barely follows the seasons: some heating and lighting in winter. */
const INDUSTRY_SEASON: Record<Season, number> = { winter: 1.05, transition: 1, summer: 0.95 };

function mapTables(t: SeasonTables, f: (w: number, hour: number) => number): SeasonTables {
  return { weekday: t.weekday.map(f), saturday: t.saturday.map(f), sunday: t.sunday.map(f) };
}

function mean(a: SeasonTables, b: SeasonTables): SeasonTables {
  const m = (x: Hourly, y: Hourly) => x.map((v, i) => (v + y[i]!) / 2);
  return {
    weekday: m(a.weekday, b.weekday),
    saturday: m(a.saturday, b.saturday),
    sunday: m(a.sunday, b.sunday),
  };
}

function withSeasons(base: SeasonTables): ProfileTables {
  return {
    winter: mapTables(base, (w) => w * INDUSTRY_SEASON.winter),
    transition: base,
    summer: mapTables(base, (w) => w * INDUSTRY_SEASON.summer),
  };
}

const RAW: Record<ProfileId, ProfileTables> = {
  // BDEW's transition tables sit between winter and summer; the mean is a fair stand-in.
  H0: { winter: H0_WINTER, summer: H0_SUMMER, transition: mean(H0_WINTER, H0_SUMMER) },
  G0: { winter: G0_WINTER, summer: G0_SUMMER, transition: mean(G0_WINTER, G0_SUMMER) },
  I3: withSeasons(I3_BASE),
  I2: withSeasons(I2_BASE),
};

// ---- calendar rules ---------------------------------------------------------------------------

/** Month and day of an epoch day (proleptic Gregorian, zone-free). */
function monthDay(epochDay: number): { year: number; month: number; day: number } {
  const d = new Date(epochDay * MS_PER_DAY);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

export function seasonOf(epochDay: number): Season {
  const { month, day } = monthDay(epochDay);
  const md = month * 100 + day;
  if (md >= 1101 || md <= 320) return 'winter';
  if (md >= 515 && md <= 914) return 'summer';
  return 'transition';
}

export function dayTypeOf(epochDay: number): DayType {
  // 1970-01-01 (epoch day 0) was a Thursday; 0 = Sunday.
  const dow = (((epochDay + 4) % 7) + 7) % 7;
  return dow === 0 ? 'sunday' : dow === 6 ? 'saturday' : 'weekday';
}

/** Day of the year, 1-based. */
function dayOfYear(epochDay: number): number {
  const { year } = monthDay(epochDay);
  return epochDay - Math.floor(Date.UTC(year, 0, 1) / MS_PER_DAY) + 1;
}

/** BDEW H0 dynamisation factor of a day (4th-order polynomial in the day of the year, rounded as BDEW does). */
export function h0Dynamisation(epochDay: number): number {
  const t = dayOfYear(epochDay);
  const f = -3.92e-10 * t ** 4 + 3.2e-7 * t ** 3 - 7.02e-5 * t ** 2 + 2.1e-3 * t + 1.24;
  return Math.round(f * 1e4) / 1e4;
}

// ---- evaluation -------------------------------------------------------------------------------

/** Raw (not yet normalised) power at a local minute of a day, linear between hour midpoints. */
function rawPower(profile: ProfileId, season: Season, dayType: DayType, minuteOfDay: number): number {
  const t = RAW[profile][season][dayType];
  const x = minuteOfDay / 60 - 0.5;
  const i0 = Math.floor(x);
  const f = x - i0;
  const a = t[(i0 + 24) % 24]!;
  const b = t[(i0 + 25) % 24]!;
  return a + (b - a) * f;
}

/** Scales so that each profile uses 1,000 kWh over the reference year (the day types of a real year). */
const NORMALISE: Record<ProfileId, number> = (() => {
  const out = {} as Record<ProfileId, number>;
  const first = parseLocalDate('2025-01-01');
  for (const p of PROFILE_IDS) {
    let kwh = 0;
    for (let d = first; d < first + 365; d++) {
      const season = seasonOf(d);
      const type = dayTypeOf(d);
      const dyn = p === 'H0' ? h0Dynamisation(d) : 1;
      for (let m = 7.5; m < 1440; m += 15) kwh += (rawPower(p, season, type, m) * dyn * 0.25) / 1000;
    }
    out[p] = 1000 / kwh;
  }
  return out;
})();

/**
 * Average power in W of a 1,000 kWh/a customer at a local minute of a local day (interval midpoint
 * for interval energy), dynamisation included.
 */
export function profilePower(profile: ProfileId, epochDay: number, minuteOfDay: number): number {
  const dyn = profile === 'H0' ? h0Dynamisation(epochDay) : 1;
  return rawPower(profile, seasonOf(epochDay), dayTypeOf(epochDay), minuteOfDay) * dyn * NORMALISE[profile];
}

/** The load of every profile for one local day at one interval length; shared by every meter of the day. */
export interface ProfileDay {
  epochDay: number;
  date: string;
  season: Season;
  dayType: DayType;
  intervalMinutes: IntervalMinutes;
  /** interval starts, UTC epoch ms (92 / 96 / 100 at 15 minutes) */
  starts: Float64Array;
  /** local wall-clock minute at each interval start (repeats on the fall-back day) */
  localMinutes: Float64Array;
  /** kWh per interval for a customer using 1,000 kWh a year, by profile */
  energy: Record<ProfileId, Float64Array>;
}

export function profileDay(
  calendar: LocalCalendar,
  epochDay: number,
  intervalMinutes: IntervalMinutes,
): ProfileDay {
  const starts = calendar.intervalStartsOf(epochDay, intervalMinutes);
  const n = starts.length;
  const localMinutes = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const s = starts[i]!;
    localMinutes[i] = (s + calendar.offsetMsAt(s) - epochDay * MS_PER_DAY) / MS_PER_MINUTE;
  }
  const hours = intervalMinutes / 60;
  const energy = {} as Record<ProfileId, Float64Array>;
  for (const p of PROFILE_IDS) {
    const e = new Float64Array(n);
    for (let i = 0; i < n; i++)
      e[i] = (profilePower(p, epochDay, localMinutes[i]! + intervalMinutes / 2) * hours) / 1000;
    energy[p] = e;
  }
  return {
    epochDay,
    date: formatLocalDate(epochDay),
    season: seasonOf(epochDay),
    dayType: dayTypeOf(epochDay),
    intervalMinutes,
    starts,
    localMinutes,
    energy,
  };
}

/**
 * Noise per profile. `sigma`: interval-to-interval variation (multiplicative), autocorrelated with
 * `phi` (a household's kettle and oven last more than one quarter-hour); `levelSigma`: the
 * day-to-day level of one customer (weather, occupancy). Households are noisy, industry is steady.
 */
export const PROFILE_NOISE: Record<ProfileId, { sigma: number; phi: number; levelSigma: number }> = {
  H0: { sigma: 0.28, phi: 0.6, levelSigma: 0.12 },
  G0: { sigma: 0.08, phi: 0.5, levelSigma: 0.06 },
  I3: { sigma: 0.04, phi: 0.7, levelSigma: 0.03 },
  I2: { sigma: 0.05, phi: 0.7, levelSigma: 0.03 },
};

/** Bounds of the noise multiplier: keeps clean readings positive and below the meter's rating. */
export const NOISE_MIN = 0.25;
export const NOISE_MAX = 2.2;

/** Highest power (W per 1,000 kWh/a) any day of the profile reaches before noise; for rating meters. */
export const PROFILE_PEAK_W: Record<ProfileId, number> = (() => {
  const out = {} as Record<ProfileId, number>;
  for (const p of PROFILE_IDS) {
    let peak = 0;
    for (const season of SEASONS) {
      for (const type of DAY_TYPES) {
        for (const w of RAW[p][season][type]) peak = Math.max(peak, w);
      }
    }
    // dynamisation peaks at ~1.24 (early January)
    out[p] = peak * NORMALISE[p] * (p === 'H0' ? 1.25 : 1);
  }
  return out;
})();

export function profileFor(segment: Segment, industrialShifts: 2 | 3): ProfileId {
  if (segment === 'residential') return 'H0';
  if (segment === 'commercial') return 'G0';
  return industrialShifts === 3 ? 'I3' : 'I2';
}
