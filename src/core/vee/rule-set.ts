/**
 * Rule sets as configuration: a versioned YAML file, loaded and checked with errors that name the
 * file, line, key path, what was expected and what was found (all problems at once, so an operator
 * fixes a file in one pass). The result is a fully resolved, plain-data definition: it is what
 * travels to workers and what a report names (name, version, fingerprint).
 *
 * Resolution of a parameter for a segment: `segments.<segment>.<rule>.<param>`, else
 * `rules.<rule>.<param>`, else the catalogue default (rules.ts). Meters without a known segment use
 * the `rules` level.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Document, isMap, isPair, isScalar, LineCounter, type Node, parseDocument } from 'yaml';
import { InvalidDataError } from '../errors.js';
import { type EstimationSettings, parseEstimationSettings } from '../estimation/settings.js';
import { SEGMENTS, type Segment } from '../registry/meter.js';
import {
  LATE_DEFAULT_AFTER_HOURS,
  type ParamSpec,
  RULE_ACTIONS,
  RULES,
  RULES_BY_KEY,
  type RuleAction,
  type RuleSpec,
} from './rules.js';

export interface RuleSettings {
  action: RuleAction;
  /** every parameter of the rule, resolved */
  params: Record<string, number>;
}

export type RuleSettingsByKey = Record<string, RuleSettings>;

export interface RuleSetDefinition {
  /** revision of this rule set; raise it with every change, it is recorded with results */
  version: number;
  name: string;
  description: string;
  /** first 12 hex digits of the SHA-256 of the effective settings: equal settings, equal fingerprint */
  fingerprint: string;
  /** file it was loaded from, or `built-in` */
  source: string;
  /** a reading whose interval ended more than this before `now` is marked late (kept, not failed) */
  lateAfterHours: number;
  /** the `rules` level: every rule of the catalogue, resolved */
  rules: RuleSettingsByKey;
  /** per segment: every rule, resolved (segment override → rules level → default) */
  segments: Record<Segment, RuleSettingsByKey>;
  /** the `estimation:` section (src/core/estimation/settings.ts); not part of the fingerprint */
  estimation: EstimationSettings;
}

export interface RuleSetIssue {
  /** dotted key path, e.g. `rules.limits.max_energy.margin` (empty for the document itself) */
  path: string;
  message: string;
  expected?: string;
  found?: string;
  line?: number;
  column?: number;
}

export class RuleSetError extends InvalidDataError {
  readonly file: string;
  readonly issues: RuleSetIssue[];

  constructor(file: string, issues: RuleSetIssue[]) {
    issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
    const lines = issues.map((i) => `  ${formatIssue(file, i)}`);
    super(
      `rule set ${file} is invalid (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${lines.join('\n')}`,
      {
        code: 'INVALID_RULE_SET',
        hint: 'Fix the keys named above. docs/vee-rules.md lists every rule, its parameters, their ranges and defaults; rules left out of the file take their defaults.',
      },
    );
    this.name = 'RuleSetError';
    this.file = file;
    this.issues = issues;
  }
}

export function formatIssue(file: string, i: RuleSetIssue): string {
  const where = i.line === undefined ? file : `${file}:${i.line}:${i.column ?? 1}`;
  const path = i.path === '' ? '' : `${i.path}: `;
  return `${where}: ${path}${i.message}`;
}

/** rules/default.yaml of the installed package (same relative place from src/ and dist/). */
export const DEFAULT_RULE_SET_PATH = fileURLToPath(new URL('../../../rules/default.yaml', import.meta.url));

export function loadRuleSetFile(file: string): RuleSetDefinition {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InvalidDataError(
      `cannot read rule set ${file}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
      {
        code: 'INVALID_RULE_SET',
        hint: 'Pass an existing YAML file with --rules, or leave --rules out to use the shipped rules/default.yaml.',
      },
    );
  }
  return parseRuleSet(text, file);
}

let defaultRuleSet: RuleSetDefinition | undefined;

/** The shipped rules/default.yaml, parsed once per process. */
export function loadDefaultRuleSet(): RuleSetDefinition {
  defaultRuleSet ??= loadRuleSetFile(DEFAULT_RULE_SET_PATH);
  return defaultRuleSet;
}

/** Every rule at its catalogue default: what a file that only has `version` and `name` gets. */
export function builtInRuleSet(): RuleSetDefinition {
  return parseRuleSet('version: 1\nname: built-in\n', 'built-in');
}

/** Parse and check rule-set YAML; throws RuleSetError listing every problem. */
export function parseRuleSet(text: string, file: string): RuleSetDefinition {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const issues: RuleSetIssue[] = [];
  for (const e of doc.errors) {
    const pos = lc.linePos(e.pos[0]);
    issues.push({
      path: '',
      message: `YAML syntax: ${e.message.split('\n')[0]}`,
      line: pos.line,
      column: pos.col,
    });
  }
  if (issues.length > 0) throw new RuleSetError(file, issues);

  const checker = new Checker(doc, lc, issues);
  const root: unknown = doc.toJS();
  if (!isRecord(root)) {
    checker.issue([], 'a mapping with version, name and rules', root);
    throw new RuleSetError(file, issues);
  }
  checker.keys([], root, ['version', 'name', 'description', 'late', 'rules', 'segments', 'estimation']);

  const version = root.version;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1)
    checker.issue(['version'], 'an integer ≥ 1 (the revision of this rule set)', version);
  const name = root.name;
  if (typeof name !== 'string' || name.trim() === '') checker.issue(['name'], 'a non-empty string', name);
  const description = root.description;
  if (description !== undefined && typeof description !== 'string')
    checker.issue(['description'], 'a string', description);

  let lateAfterHours = LATE_DEFAULT_AFTER_HOURS;
  if (root.late !== undefined) {
    if (!isRecord(root.late)) checker.issue(['late'], 'a mapping with afterHours', root.late);
    else {
      checker.keys(['late'], root.late, ['afterHours']);
      const v = root.late.afterHours;
      if (v !== undefined) {
        if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
          checker.issue(['late', 'afterHours'], 'a number ≥ 0 (hours)', v);
        else lateAfterHours = v;
      }
    }
  }

  const base = checker.ruleLevel(['rules'], root.rules, defaultsLevel());
  const segments = {} as Record<Segment, RuleSettingsByKey>;
  if (root.segments !== undefined && !isRecord(root.segments))
    checker.issue(['segments'], `a mapping with ${SEGMENTS.join(', ')}`, root.segments);
  const segRoot = isRecord(root.segments) ? root.segments : {};
  checker.keys(['segments'], segRoot, SEGMENTS);
  for (const seg of SEGMENTS) segments[seg] = checker.ruleLevel(['segments', seg], segRoot[seg], base);

  // Ranges that involve two parameters are checked on the resolved values of every level.
  // A segment is reported only for rules it overrides itself; the rules level covers the rest.
  checker.crossCheck(['rules'], base, undefined);
  for (const seg of SEGMENTS) {
    const own = segRoot[seg];
    checker.crossCheck(['segments', seg], segments[seg], isRecord(own) ? Object.keys(own) : []);
  }

  const estimationIssues: { path: string; message: string }[] = [];
  const estimation = parseEstimationSettings(root.estimation, estimationIssues);
  for (const i of estimationIssues) issues.push({ ...i, ...checker.at(i.path.split('.')) });

  if (issues.length > 0) throw new RuleSetError(file, issues);
  const settled = {
    version: version as number,
    name: (name as string).trim(),
    lateAfterHours,
    rules: base,
    segments,
  };
  return {
    version: settled.version,
    name: settled.name,
    description: typeof description === 'string' ? description.trim() : '',
    fingerprint: createHash('sha256').update(JSON.stringify(settled)).digest('hex').slice(0, 12),
    source: file,
    lateAfterHours,
    rules: base,
    segments,
    estimation,
  };
}

function defaultsLevel(): RuleSettingsByKey {
  const out: RuleSettingsByKey = {};
  for (const r of RULES)
    out[r.key] = {
      action: r.defaultAction,
      params: Object.fromEntries(r.params.map((p) => [p.name, p.default])),
    };
  return out;
}

class Checker {
  constructor(
    private readonly doc: Document,
    private readonly lc: LineCounter,
    private readonly issues: RuleSetIssue[],
  ) {}

  issue(path: string[], expected: string, found: unknown, keyNode = false): void {
    const pos = this.position(path, keyNode);
    const foundText = describeFound(found);
    this.issues.push({
      path: path.join('.'),
      message: `expected ${expected}, found ${foundText}`,
      expected,
      found: foundText,
      ...pos,
    });
  }

  /** Unknown keys are errors: a misspelt rule would otherwise be silently left at its default. */
  keys(path: string[], obj: Record<string, unknown>, known: readonly string[]): void {
    for (const k of Object.keys(obj)) {
      if (known.includes(k)) continue;
      const near = closest(k, known);
      const expected = `one of ${known.join(', ')}`;
      const message = near
        ? `unknown key "${k}"; did you mean "${near}"?`
        : `unknown key "${k}"; expected ${expected}`;
      const pos = this.position([...path, k], true);
      this.issues.push({ path: [...path, k].join('.'), message, expected, found: JSON.stringify(k), ...pos });
    }
  }

  /** A `rules`-shaped level (the top `rules` or one segment), resolved over `parent`. */
  ruleLevel(path: string[], node: unknown, parent: RuleSettingsByKey): RuleSettingsByKey {
    const out: RuleSettingsByKey = {};
    for (const r of RULES)
      out[r.key] = { action: parent[r.key]!.action, params: { ...parent[r.key]!.params } };
    if (node === undefined || node === null) return out;
    if (!isRecord(node)) {
      this.issue(path, 'a mapping of rule keys (see docs/vee-rules.md)', node);
      return out;
    }
    this.keys(
      path,
      node,
      RULES.map((r) => r.key),
    );
    for (const [key, value] of Object.entries(node)) {
      const spec = RULES_BY_KEY.get(key);
      if (!spec) continue;
      this.ruleEntry([...path, key], spec, value, out[key]!);
    }
    return out;
  }

  private ruleEntry(path: string[], spec: RuleSpec, value: unknown, into: RuleSettings): void {
    if (value === null) return;
    const paramNames = spec.params.map((p) => p.name);
    if (!isRecord(value)) {
      this.issue(path, `a mapping with ${['action', ...paramNames].join(', ')}`, value);
      return;
    }
    this.keys(path, value, ['action', ...paramNames]);
    if (value.action !== undefined) {
      if (typeof value.action === 'string' && (RULE_ACTIONS as readonly string[]).includes(value.action))
        into.action = value.action as RuleAction;
      else this.issue([...path, 'action'], RULE_ACTIONS.join(' | '), value.action);
    }
    for (const p of spec.params) {
      const v = value[p.name];
      if (v === undefined) continue;
      if (checkParam(p, v)) into.params[p.name] = v as number;
      else this.issue([...path, p.name], describeParam(p), v);
    }
  }

  crossCheck(path: string[], level: RuleSettingsByKey, only: string[] | undefined): void {
    for (const key of ['limits.voltage', 'limits.power_factor']) {
      if (only !== undefined && !only.includes(key)) continue;
      const p = level[key]!.params;
      if (p.min! > p.max!) {
        const pos = this.position([...path, key], false);
        this.issues.push({
          path: [...path, key].join('.'),
          message: `expected min ≤ max, found min ${p.min} > max ${p.max}${path[0] === 'segments' ? ' (with the rules level and defaults applied)' : ' (with defaults applied)'}`,
          expected: 'min ≤ max',
          found: `min ${p.min}, max ${p.max}`,
          ...pos,
        });
      }
    }
  }

  /** Line and column of the value at a path (or its nearest existing ancestor). */
  at(path: string[]): { line?: number; column?: number } {
    return this.position(path, false);
  }

  /** Line and column of the value (or key) at a path; the nearest existing ancestor otherwise. */
  private position(path: string[], keyNode: boolean): { line?: number; column?: number } {
    for (let depth = path.length; depth >= 0; depth--) {
      const node = findNode(this.doc.contents, path.slice(0, depth), keyNode && depth === path.length);
      const offset = node?.range?.[0];
      if (offset !== undefined) {
        const pos = this.lc.linePos(offset);
        return { line: pos.line, column: pos.col };
      }
    }
    return {};
  }
}

function findNode(root: unknown, path: string[], keyNode: boolean): Node | undefined {
  let node: unknown = root;
  for (let i = 0; i < path.length; i++) {
    if (!isMap(node)) return undefined;
    const pair = node.items.find((it) => isPair(it) && isScalar(it.key) && String(it.key.value) === path[i]);
    if (!pair) return undefined;
    if (i === path.length - 1 && keyNode) return pair.key as Node;
    node = pair.value;
  }
  return node as Node | undefined;
}

function checkParam(p: ParamSpec, v: unknown): boolean {
  if (typeof v !== 'number' || !Number.isFinite(v)) return false;
  if (p.kind === 'integer' && !Number.isInteger(v)) return false;
  if (p.min !== undefined && (p.minExclusive ? v <= p.min : v < p.min)) return false;
  if (p.max !== undefined && v > p.max) return false;
  return true;
}

function describeParam(p: ParamSpec): string {
  const kind = p.kind === 'integer' ? 'an integer' : 'a number';
  const range: string[] = [];
  if (p.min !== undefined) range.push(`${p.minExclusive ? '>' : '≥'} ${p.min}`);
  if (p.max !== undefined) range.push(`≤ ${p.max}`);
  const unit = p.unit ? ` (${p.unit})` : '';
  return `${kind}${range.length > 0 ? ` ${range.join(' and ')}` : ''}${unit}`;
}

function describeFound(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') return `${JSON.stringify(v)} (string)`;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return typeof v;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The known name within edit distance 3 (or sharing the part after the dot), if any. */
function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = 4;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  if (best) return best;
  const tail = word.split('.').pop();
  return candidates.find((c) => c.split('.').pop() === tail);
}

function editDistance(a: string, b: string): number {
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}
