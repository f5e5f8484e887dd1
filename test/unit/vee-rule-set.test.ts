import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode, InvalidDataError } from '../../src/core/errors.js';
import {
  builtInRuleSet,
  DEFAULT_RULE_SET_PATH,
  loadDefaultRuleSet,
  loadRuleSetFile,
  parseRuleSet,
  RuleSetError,
} from '../../src/core/vee/rule-set.js';
import { RULE_SLOTS, RULES, RuleId } from '../../src/core/vee/rules.js';

function issuesOf(yaml: string): RuleSetError {
  try {
    parseRuleSet(yaml, 'bad.yaml');
  } catch (err) {
    if (err instanceof RuleSetError) return err;
    throw err;
  }
  throw new Error('expected a RuleSetError');
}

describe('rule catalogue', () => {
  it('has unique, stable ids that fit a 32-bit mask, and unique keys', () => {
    const ids = RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(Math.max(...ids)).toBeLessThan(RULE_SLOTS);
    expect(new Set(RULES.map((r) => r.key)).size).toBe(RULES.length);
    // Stored numbers: a change here is a data migration, not a refactoring.
    expect(RuleId.TimestampFuture).toBe(0);
    expect(RuleId.LimitsNegative).toBe(6);
    expect(RuleId.StatusPowerDown).toBe(11);
    expect(RuleId.RegistryUnknown).toBe(16);
    expect(RuleId.CommQuality).toBe(23);
  });

  it('every rule, id and parameter is documented in docs/vee-rules.md', () => {
    const doc = readFileSync(path.resolve('docs/vee-rules.md'), 'utf8');
    for (const r of RULES) {
      expect(doc, r.key).toMatch(new RegExp(`\\|\\s*${r.id}\\s*\\|\\s*\`${r.key.replace('.', '\\.')}\``));
      for (const p of r.params) expect(doc, `${r.key}.${p.name}`).toContain(`\`${p.name}\``);
    }
  });
});

describe('shipped rule sets', () => {
  it('rules/default.yaml loads and names every rule explicitly', () => {
    const def = loadDefaultRuleSet();
    expect(def.name).toBe('default');
    expect(def.version).toBe(1);
    expect(def.source).toBe(DEFAULT_RULE_SET_PATH);
    const text = readFileSync(DEFAULT_RULE_SET_PATH, 'utf8');
    for (const r of RULES) expect(text).toContain(`${r.key}:`);
    expect(def.segments.commercial['limits.max_energy']!.params.ratedKw).toBe(100);
    expect(def.segments.industrial['day.peak_ratio']!.params).toEqual({ ratio: 10, minPeak: 50 });
    expect(def.segments.residential).toEqual(def.rules);
  });

  it('its `rules` level equals the catalogue defaults', () => {
    expect(loadDefaultRuleSet().rules).toEqual(builtInRuleSet().rules);
  });
});

describe('resolution: segment override → rules level → default', () => {
  const def = parseRuleSet(
    `version: 3
name: resolve
rules:
  run.flat: { minHours: 10 }
segments:
  commercial:
    run.flat: { tolerance: 0.5, action: off }
`,
    'r.yaml',
  );

  it('takes each parameter from the nearest level that sets it', () => {
    expect(def.rules['run.flat']).toEqual({ action: 'accept', params: { minHours: 10, tolerance: 0 } });
    expect(def.segments.commercial['run.flat']).toEqual({
      action: 'off',
      params: { minHours: 10, tolerance: 0.5 },
    });
    expect(def.segments.industrial['run.flat']).toEqual({
      action: 'accept',
      params: { minHours: 10, tolerance: 0 },
    });
    expect(def.rules['run.zero']!.params.minHours).toBe(24);
  });

  it('fingerprints the effective settings, not the text', () => {
    const same = parseRuleSet(
      'name: resolve\nversion: 3\ndescription: other words\nrules:\n  run.flat:\n    minHours: 10\nsegments:\n  commercial:\n    run.flat: { action: off, tolerance: 0.5 }\n',
      'elsewhere.yaml',
    );
    expect(same.fingerprint).toBe(def.fingerprint);
    const changed = parseRuleSet(
      'name: resolve\nversion: 3\nrules:\n  run.flat: { minHours: 11 }\nsegments:\n  commercial:\n    run.flat: { action: off, tolerance: 0.5 }\n',
      'x.yaml',
    );
    expect(changed.fingerprint).not.toBe(def.fingerprint);
    expect(def.fingerprint).toMatch(/^[0-9a-f]{12}$/);
  });
});

describe('rule-set file errors: file, line, key path, expected and found', () => {
  it('is an InvalidDataError (exit 3) with a hint', () => {
    const err = issuesOf('name: x\n');
    expect(err).toBeInstanceOf(InvalidDataError);
    expect(err.exitCode).toBe(ExitCode.invalidData);
    expect(err.hint).toContain('docs/vee-rules.md');
  });

  it('reports a missing version and a wrongly typed one', () => {
    expect(issuesOf('name: x\n').issues).toEqual([
      {
        path: 'version',
        message: 'expected an integer ≥ 1 (the revision of this rule set), found nothing',
        expected: 'an integer ≥ 1 (the revision of this rule set)',
        found: 'nothing',
        line: 1,
        column: 1,
      },
    ]);
    const typed = issuesOf('version: "2"\nname: x\n').issues[0]!;
    expect(typed).toMatchObject({ path: 'version', found: '"2" (string)', line: 1, column: 10 });
  });

  it('points at the parameter with its range and unit', () => {
    const err = issuesOf(
      'version: 1\nname: x\nrules:\n  limits.max_energy:\n    margin: 0\n    ratedKw: "big"\n',
    );
    expect(err.issues.map((i) => [i.path, i.expected, i.found, i.line, i.column])).toEqual([
      ['rules.limits.max_energy.margin', 'a number > 0 (×)', '0', 5, 13],
      ['rules.limits.max_energy.ratedKw', 'a number > 0 (kW)', '"big" (string)', 6, 14],
    ]);
    expect(err.message).toContain(
      'bad.yaml:5:13: rules.limits.max_energy.margin: expected a number > 0 (×), found 0',
    );
  });

  it('suggests the rule meant by a misspelt key and lists known segments', () => {
    const err = issuesOf(
      'version: 1\nname: x\nrules:\n  limits.max_enrgy: { margin: 2 }\nsegments:\n  residental: {}\n',
    );
    expect(err.issues.map((i) => i.message)).toEqual([
      'unknown key "limits.max_enrgy"; did you mean "limits.max_energy"?',
      'unknown key "residental"; did you mean "residential"?',
    ]);
    expect(err.issues[0]).toMatchObject({ path: 'rules.limits.max_enrgy', line: 4, column: 3 });
  });

  it('rejects an unknown parameter and an unknown action', () => {
    const err = issuesOf('version: 1\nname: x\nrules:\n  run.zero: { minHour: 3, action: warn }\n');
    expect(err.issues.map((i) => [i.path, i.message])).toEqual([
      ['rules.run.zero.minHour', 'unknown key "minHour"; did you mean "minHours"?'],
      ['rules.run.zero.action', 'expected fail | accept | off, found "warn" (string)'],
    ]);
  });

  it('checks min ≤ max after resolution, reporting a segment only for what it overrides', () => {
    const err = issuesOf(
      'version: 1\nname: x\nrules:\n  limits.voltage: { min: 300 }\nsegments:\n  industrial:\n    limits.power_factor: { min: 0.9, max: 0.8 }\n',
    );
    expect(err.issues.map((i) => i.path)).toEqual([
      'rules.limits.voltage',
      'segments.industrial.limits.power_factor',
    ]);
    expect(err.issues[0]!.found).toBe('min 300, max 270');
  });

  it('rejects integers written as fractions for bit masks', () => {
    expect(
      issuesOf('version: 1\nname: x\nrules:\n  status.power_down: { mask: 1.5 }\n').issues[0]!.expected,
    ).toBe('an integer ≥ 0 and ≤ 4294967295 (bits)');
  });

  it('reports YAML syntax errors with their line', () => {
    const err = issuesOf('version: 1\nname: x\nrules:\n  run.zero: { minHours: 3\n');
    expect(err.issues[0]!.message).toMatch(/^YAML syntax: /);
    expect(err.issues[0]!.line).toBeGreaterThanOrEqual(4);
  });

  it('rejects a document that is not a mapping', () => {
    expect(issuesOf('- a\n- b\n').issues[0]!.message).toBe(
      'expected a mapping with version, name and rules, found a list',
    );
    expect(issuesOf('').issues[0]!.found).toBe('null');
  });

  it('reports every problem at once', () => {
    const err = issuesOf('version: 0\nname: ""\nlate: { afterHours: -1 }\nbogus: 1\n');
    expect(err.issues.map((i) => i.path)).toEqual(['version', 'name', 'late.afterHours', 'bogus']);
  });

  it('names the file it could not read', () => {
    expect(() => loadRuleSetFile('/nonexistent/rules.yaml')).toThrow(
      /cannot read rule set \/nonexistent\/rules.yaml: no such file/,
    );
  });

  it('loads a file from disk with its path in errors', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'smt-rules-'));
    const file = path.join(dir, 'r.yaml');
    writeFileSync(file, 'version: 1\nname: x\nrules:\n  comm.quality: { min: 101 }\n');
    expect(() => loadRuleSetFile(file)).toThrow(
      `${file}:4:24: rules.comm.quality.min: expected a number ≥ 0 and ≤ 100 (%), found 101`,
    );
  });
});
