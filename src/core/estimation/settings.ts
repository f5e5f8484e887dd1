/**
 * The `estimation:` section of a rule-set YAML: the fallback chain per segment and the parameters
 * of each method. Resolution per segment: `estimation.segments.<segment>.<key>`, else
 * `estimation.<key>`, else the defaults below (docs/estimation.md).
 */
import { SEGMENTS, type Segment } from '../registry/meter.js';

export const METHOD_NAMES = [
  'linear',
  'interp_blend',
  'profile',
  'day_blend',
  'like_day',
  'average_day',
  'zero',
] as const;
export type EstimationMethodName = (typeof METHOD_NAMES)[number];

export interface ChainSettings {
  /** tried in order; the first method that can fill a gap fills it */
  chain: EstimationMethodName[];
  linear: { maxMinutes: number };
  likeDay: { days: number; lookbackDays: number };
  /** bounds of the level factor profile shaping applies to the like-day shape */
  profile: { minRatio: number; maxRatio: number; minReferenceHours: number };
}

export interface HolidayCalendarRef {
  /** ISO 3166-1 country code as date-holidays knows it, e.g. SE */
  country: string;
  /** a state / province code, optional */
  state?: string;
}

export interface EstimationSettings {
  holidays: HolidayCalendarRef & { regions: Record<string, HolidayCalendarRef> };
  base: ChainSettings;
  segments: Record<Segment, ChainSettings>;
}

export const DEFAULT_CHAIN: ChainSettings = {
  chain: ['linear', 'interp_blend', 'profile', 'day_blend', 'like_day', 'average_day', 'zero'],
  // Ontario IESO VEE: linear interpolation for gaps up to one hour
  linear: { maxMinutes: 60 },
  likeDay: { days: 3, lookbackDays: 56 },
  profile: { minRatio: 0.25, maxRatio: 4, minReferenceHours: 4 },
};

export function defaultEstimationSettings(): EstimationSettings {
  const seg = {} as Record<Segment, ChainSettings>;
  for (const s of SEGMENTS) seg[s] = cloneChain(DEFAULT_CHAIN);
  return { holidays: { country: 'SE', regions: {} }, base: cloneChain(DEFAULT_CHAIN), segments: seg };
}

function cloneChain(c: ChainSettings): ChainSettings {
  return {
    chain: [...c.chain],
    linear: { ...c.linear },
    likeDay: { ...c.likeDay },
    profile: { ...c.profile },
  };
}

export interface SettingsIssue {
  path: string;
  message: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const NUMBERS: Record<
  'linear' | 'likeDay' | 'profile',
  Record<string, { min: number; max: number; integer: boolean }>
> = {
  linear: { maxMinutes: { min: 0, max: 1440, integer: true } },
  likeDay: { days: { min: 1, max: 10, integer: true }, lookbackDays: { min: 7, max: 400, integer: true } },
  profile: {
    minRatio: { min: 0, max: 1, integer: false },
    maxRatio: { min: 1, max: 100, integer: false },
    minReferenceHours: { min: 1, max: 24, integer: true },
  },
};

/** Parses the section; problems are appended to `issues` (paths start with `estimation`). */
export function parseEstimationSettings(node: unknown, issues: SettingsIssue[]): EstimationSettings {
  const out = defaultEstimationSettings();
  if (node === undefined || node === null) return out;
  if (!isRecord(node)) {
    issues.push({
      path: 'estimation',
      message: 'expected a mapping with chain, linear, likeDay, profile, holidays, segments',
    });
    return out;
  }
  unknownKeys('estimation', node, ['holidays', 'chain', 'linear', 'likeDay', 'profile', 'segments'], issues);
  if (node.holidays !== undefined) {
    const h = node.holidays;
    if (!isRecord(h))
      issues.push({
        path: 'estimation.holidays',
        message: 'expected a mapping with country, state, regions',
      });
    else {
      unknownKeys('estimation.holidays', h, ['country', 'state', 'regions'], issues);
      const ref = calendarRef('estimation.holidays', h, issues);
      if (ref) Object.assign(out.holidays, ref);
      if (h.regions !== undefined) {
        if (!isRecord(h.regions))
          issues.push({
            path: 'estimation.holidays.regions',
            message: 'expected a mapping of region id → { country, state }',
          });
        else
          for (const [region, r] of Object.entries(h.regions)) {
            const p = `estimation.holidays.regions.${region}`;
            if (!isRecord(r)) issues.push({ path: p, message: 'expected a mapping with country, state' });
            else {
              unknownKeys(p, r, ['country', 'state'], issues);
              const ref2 = calendarRef(p, r, issues);
              if (ref2) out.holidays.regions[region] = ref2;
            }
          }
      }
    }
  }
  chainLevel('estimation', node, out.base, issues);
  if (node.segments !== undefined && !isRecord(node.segments))
    issues.push({ path: 'estimation.segments', message: `expected a mapping with ${SEGMENTS.join(', ')}` });
  const segs = isRecord(node.segments) ? node.segments : {};
  unknownKeys('estimation.segments', segs, SEGMENTS, issues);
  for (const s of SEGMENTS) {
    out.segments[s] = cloneChain(out.base);
    const own = segs[s];
    if (own === undefined || own === null) continue;
    if (!isRecord(own)) {
      issues.push({
        path: `estimation.segments.${s}`,
        message: 'expected a mapping with chain, linear, likeDay, profile',
      });
      continue;
    }
    unknownKeys(`estimation.segments.${s}`, own, ['chain', 'linear', 'likeDay', 'profile'], issues);
    chainLevel(`estimation.segments.${s}`, own, out.segments[s], issues);
  }
  return out;
}

function calendarRef(
  path: string,
  r: Record<string, unknown>,
  issues: SettingsIssue[],
): HolidayCalendarRef | null {
  if (typeof r.country !== 'string' || !/^[A-Z]{2}$/.test(r.country)) {
    issues.push({
      path: `${path}.country`,
      message: `expected a two-letter country code (e.g. SE), found ${JSON.stringify(r.country)}`,
    });
    return null;
  }
  if (r.state !== undefined && typeof r.state !== 'string') {
    issues.push({ path: `${path}.state`, message: 'expected a state or province code' });
    return null;
  }
  return r.state === undefined ? { country: r.country } : { country: r.country, state: r.state as string };
}

function chainLevel(
  path: string,
  node: Record<string, unknown>,
  into: ChainSettings,
  issues: SettingsIssue[],
): void {
  if (node.chain !== undefined) {
    const c = node.chain;
    if (
      !Array.isArray(c) ||
      c.length === 0 ||
      !c.every((m) => (METHOD_NAMES as readonly unknown[]).includes(m))
    )
      issues.push({
        path: `${path}.chain`,
        message: `expected a non-empty list of ${METHOD_NAMES.join(', ')}, found ${JSON.stringify(c)}`,
      });
    else if (new Set(c).size !== c.length)
      issues.push({ path: `${path}.chain`, message: 'a method is listed twice' });
    else into.chain = [...(c as EstimationMethodName[])];
  }
  for (const group of ['linear', 'likeDay', 'profile'] as const) {
    const g = node[group];
    if (g === undefined || g === null) continue;
    const specs = NUMBERS[group];
    if (!isRecord(g)) {
      issues.push({
        path: `${path}.${group}`,
        message: `expected a mapping with ${Object.keys(specs).join(', ')}`,
      });
      continue;
    }
    unknownKeys(`${path}.${group}`, g, Object.keys(specs), issues);
    for (const [k, spec] of Object.entries(specs)) {
      const v = g[k];
      if (v === undefined) continue;
      const ok =
        typeof v === 'number' &&
        Number.isFinite(v) &&
        v >= spec.min &&
        v <= spec.max &&
        (!spec.integer || Number.isInteger(v));
      if (!ok)
        issues.push({
          path: `${path}.${group}.${k}`,
          message: `expected ${spec.integer ? 'an integer' : 'a number'} from ${spec.min} to ${spec.max}, found ${JSON.stringify(v)}`,
        });
      else (into[group] as Record<string, number>)[k] = v;
    }
  }
}

function unknownKeys(
  path: string,
  obj: Record<string, unknown>,
  known: readonly string[],
  issues: SettingsIssue[],
): void {
  for (const k of Object.keys(obj))
    if (!known.includes(k))
      issues.push({
        path: `${path}.${k}`,
        message: `unknown key "${k}"; expected one of ${known.join(', ')}`,
      });
}
