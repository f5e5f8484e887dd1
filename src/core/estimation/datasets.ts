/**
 * Where backtest data comes from: the series store (what smt holds), the simulator (a clean fleet
 * generated in memory, with the simulator's load profiles and noise), or the vendored OpenDSM UK
 * household-like series (data/opendsm-uk: sample data of the PyPI package opendsm 1.2.7,
 * Apache-2.0, declared simulated by its publisher; see its README for provenance), or the vendored
 * measured household of Sceaux, France (data/uci-household-sceaux: UCI, CC BY 4.0).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { decode } from '../codecs/index.js';
import { forEachBounded } from '../concurrency.js';
import type { SmtConfig } from '../config/config.js';
import { InvalidDataError } from '../errors.js';
import type { MeterFacts } from '../gaps/expected.js';
import { openQualityStores } from '../gaps/stores.js';
import type { Segment } from '../registry/meter.js';
import { emptyDay, type SeriesDay } from '../series/day.js';
import { simulateFleet } from '../simulate/generator.js';
import { LocalCalendar } from '../time/calendar.js';
import type { BacktestMeter } from './backtest.js';
import type { EstimationSettings } from './settings.js';

function actualDay(meterId: string, date: string, zone: string, minutes: number): SeriesDay {
  const d = emptyDay({ meterId, channel: 'active_import_kwh', day: date }, zone, minutes);
  d.version = 1;
  return d;
}

/** A clean simulated fleet (no faults), `days` days from `start`. */
export function simulatorMeters(o: {
  seed: number;
  meters: number;
  days: number;
  start: string;
  timezone: string;
}): BacktestMeter[] {
  const sim = simulateFleet({
    seed: o.seed,
    meters: o.meters,
    days: o.days,
    start: o.start,
    timezone: o.timezone,
    format: 'json',
  });
  const byMeter = new Map<string, BacktestMeter>();
  for (let i = 0; i < sim.fleet.size; i++) {
    const m = sim.fleet.meter(i);
    byMeter.set(m.meterId, {
      facts: {
        meterId: m.meterId,
        timezone: m.timezone,
        intervalMinutes: m.intervalMinutes,
        regionId: m.regionId,
        segment: m.segment,
        status: 'active',
        installedAt: m.installedAt.getTime(),
        removedAt: null,
        deenergised: [],
      },
      days: [],
    });
  }
  for (const msg of sim) {
    const bm = byMeter.get(msg.meterId);
    if (!bm || msg.kind !== 'ok') continue;
    for (const b of decode('json', msg.value, { meterId: msg.meterId }).blocks) {
      const d = actualDay(b.meterId, msg.day, bm.facts.timezone, b.intervalMinutes);
      const base = d.dayStart;
      for (let j = 0; j < b.starts.length; j++) {
        const p = (b.starts[j]! - base) / (b.intervalMinutes * 60_000);
        if (p >= 0 && p < d.values.length) d.values[p] = b.values[j]!;
      }
      bm.days.push(d);
    }
  }
  for (const m of byMeter.values()) m.days.sort((a, b) => (a.day < b.day ? -1 : 1));
  return [...byMeter.values()];
}

export const OPENDSM_DIR = fileURLToPath(new URL('../../../data/opendsm-uk/', import.meta.url));
export const OPENDSM_FILES = [
  'uk-electricity-hdd-only-hourly-sample-1.csv.gz',
  'uk-electricity-hdd-only-hourly-sample-2.csv.gz',
];
/** the region id the UK series are given: its holidays are England's */
export const OPENDSM_REGION = 'GB-ENG';

export const UCI_SCEAUX_FILE = fileURLToPath(
  new URL('../../../data/uci-household-sceaux/sceaux-15min.csv.gz', import.meta.url),
);
export const UCI_SCEAUX_ZONE = 'Europe/Paris';
/** the region id the Sceaux household is given: its holidays are France's */
export const UCI_SCEAUX_REGION = 'FR';

/** The holiday regions of the vendored datasets, for rule sets that do not name them. */
export function addDatasetHolidayRegions(settings: EstimationSettings): void {
  settings.holidays.regions[OPENDSM_REGION] ??= { country: 'GB', state: 'ENG' };
  settings.holidays.regions[UCI_SCEAUX_REGION] ??= { country: 'FR' };
}

/**
 * One vendored series file (gzip CSV, a header line, then `start,value`: interval start in UTC,
 * kWh per interval) as a residential backtest meter whose local days are those of `zone`.
 * Intervals absent from the file are gaps of the data, never scored.
 */
function vendoredMeter(
  file: string,
  o: { meterId: string; zone: string; minutes: 15 | 30; regionId: string; hint: string },
): BacktestMeter {
  let text: string;
  try {
    text = gunzipSync(readFileSync(file)).toString('utf8');
  } catch (err) {
    throw new InvalidDataError(`cannot read the vendored dataset ${file}: ${(err as Error).message}`, {
      hint: o.hint,
    });
  }
  const zone = o.zone;
  const cal = LocalCalendar.for(zone);
  const days = new Map<string, SeriesDay>();
  const step = o.minutes * 60_000;
  for (const line of text.split('\n').slice(1)) {
    if (line === '') continue;
    const [ts, v] = line.split(',');
    const ms = Date.parse(`${ts!.replace(' ', 'T')}Z`);
    const value = Number(v);
    if (!Number.isFinite(ms) || !Number.isFinite(value)) continue;
    const date = cal.localDateOf(ms);
    let d = days.get(date);
    if (!d) {
      d = actualDay(o.meterId, date, zone, o.minutes);
      days.set(date, d);
    }
    const p = (ms - d.dayStart) / step;
    if (Number.isInteger(p) && p >= 0 && p < d.values.length) d.values[p] = value;
  }
  return {
    facts: {
      meterId: o.meterId,
      timezone: zone,
      intervalMinutes: o.minutes,
      regionId: o.regionId,
      segment: 'residential' as Segment,
      status: 'active' as const,
      installedAt: 0,
      removedAt: null,
      deenergised: [],
    },
    days: [...days.values()].sort((a, b) => (a.day < b.day ? -1 : 1)),
  };
}

/** The vendored OpenDSM UK half-hourly household series, in UTC (the files' clock). */
export function opendsmMeters(dir = OPENDSM_DIR): BacktestMeter[] {
  return OPENDSM_FILES.map((file, i) =>
    vendoredMeter(`${dir}${file}`, {
      meterId: `OPENDSM-UK-${i + 1}`,
      // the files' clock has no zone: read as UTC
      zone: 'UTC',
      minutes: 30,
      regionId: OPENDSM_REGION,
      hint: 'The file ships with smt in data/opendsm-uk; reinstall if it is missing.',
    }),
  );
}

/**
 * The measured household of Sceaux (UCI "Individual household electric power consumption",
 * CC BY 4.0) in quarter-hours, 2006-12-16 … 2010-11-26, in local days of Europe/Paris (92 / 96 /
 * 100 quarter-hours). See data/uci-household-sceaux/README.md.
 */
export function uciSceauxMeters(file = UCI_SCEAUX_FILE): BacktestMeter[] {
  return [
    vendoredMeter(file, {
      meterId: 'UCI-SCEAUX',
      zone: UCI_SCEAUX_ZONE,
      minutes: 15,
      regionId: UCI_SCEAUX_REGION,
      hint: 'The file ships with smt in data/uci-household-sceaux; reinstall if it is missing.',
    }),
  ];
}

/** Registered meters (of one segment, when given) and their current series over from..to. */
export async function seriesMeters(
  config: SmtConfig,
  o: { from: string; to: string; channel: string; segment?: Segment; prefix?: string; limit: number },
): Promise<BacktestMeter[]> {
  const stores = openQualityStores(config);
  try {
    const facts: MeterFacts[] = (await stores.gaps.meterFacts(null, o.prefix))
      .filter((m) => !o.segment || m.segment === o.segment)
      .slice(0, o.limit);
    const out: BacktestMeter[] = [];
    await forEachBounded(facts, 16, async (m) => {
      out.push({
        facts: m,
        days: await stores.reader.days({ meterId: m.meterId, channel: o.channel, from: o.from, to: o.to }),
      });
    });
    return out.sort((a, b) => (a.facts.meterId < b.facts.meterId ? -1 : 1));
  } finally {
    await stores.close();
  }
}
