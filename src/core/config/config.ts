import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { InvalidDataError, UsageError } from '../errors.js';
import { CONFIG_KEYS, type ConfigKey, type ConfigKeySpec } from './keys.js';

export type ConfigSource = 'flag' | 'env' | 'file' | 'default';
export type ConfigValue = string | number | boolean | string[];

export interface ConfigEntry {
  key: ConfigKey;
  value: ConfigValue;
  source: ConfigSource;
  env: string;
  secret: boolean;
}

export interface LoadConfigOptions {
  /** values given as flags, by dotted key */
  flags?: Partial<Record<ConfigKey, string | undefined>>;
  env?: NodeJS.ProcessEnv;
  /** explicit config file; otherwise SMT_CONFIG, then ./smt.config.yaml if it exists */
  file?: string;
  cwd?: string;
}

/** Effective configuration, flags > SMT_* environment > config file > defaults. */
export class SmtConfig {
  readonly file: string | undefined;
  private readonly entries: Map<ConfigKey, ConfigEntry>;

  constructor(entries: Map<ConfigKey, ConfigEntry>, file: string | undefined) {
    this.entries = entries;
    this.file = file;
  }

  string(key: ConfigKey): string {
    return String(this.entry(key).value);
  }

  int(key: ConfigKey): number {
    const v = this.entry(key).value;
    if (typeof v !== 'number') throw new Error(`config key ${key} is not an int`);
    return v;
  }

  list(key: ConfigKey): string[] {
    const v = this.entry(key).value;
    return Array.isArray(v) ? v : [String(v)];
  }

  bool(key: ConfigKey): boolean {
    return this.entry(key).value === true;
  }

  entry(key: ConfigKey): ConfigEntry {
    const e = this.entries.get(key);
    if (!e) throw new Error(`unknown config key ${key}`);
    return e;
  }

  all(): ConfigEntry[] {
    return [...this.entries.values()];
  }

  /** Absolute path of the stack directory (relative values resolve against the working directory). */
  stackDir(cwd = process.cwd()): string {
    return path.resolve(cwd, this.string('stack.dir'));
  }
}

export function loadConfig(options: LoadConfigOptions = {}): SmtConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const file = resolveConfigFile(options.file ?? env.SMT_CONFIG, cwd);
  const fileValues = file ? readConfigFile(file) : {};
  const entries = new Map<ConfigKey, ConfigEntry>();
  for (const [key, spec] of Object.entries(CONFIG_KEYS) as [ConfigKey, ConfigKeySpec][]) {
    const flag = options.flags?.[key];
    const envValue = env[spec.env];
    let raw: string;
    let source: ConfigSource;
    if (flag !== undefined) {
      raw = flag;
      source = 'flag';
    } else if (envValue !== undefined && envValue !== '') {
      raw = envValue;
      source = 'env';
    } else if (key in fileValues) {
      raw = fileValues[key]!;
      source = 'file';
    } else {
      raw = spec.default;
      source = 'default';
    }
    const where =
      source === 'flag'
        ? 'flag'
        : source === 'env'
          ? `environment variable ${spec.env}`
          : source === 'file'
            ? `config file ${file}`
            : 'default';
    entries.set(key, {
      key,
      value: parseValue(key, spec, raw, where),
      source,
      env: spec.env,
      secret: spec.secret === true,
    });
  }
  return new SmtConfig(entries, file);
}

function resolveConfigFile(explicit: string | undefined, cwd: string): string | undefined {
  if (explicit) {
    const p = path.resolve(cwd, explicit);
    if (!existsSync(p))
      throw new UsageError(
        `config file ${p} does not exist`,
        'Pass an existing file with --config or SMT_CONFIG, or remove the setting to use defaults.',
      );
    return p;
  }
  const local = path.resolve(cwd, 'smt.config.yaml');
  return existsSync(local) ? local : undefined;
}

function readConfigFile(file: string): Record<string, string> {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new InvalidDataError(`config file ${file} is not valid YAML: ${(err as Error).message}`, {
      hint: 'Fix the YAML syntax; `smt config show` prints the keys smt understands.',
    });
  }
  const out: Record<string, string> = {};
  flatten(doc ?? {}, '', out, file);
  for (const key of Object.keys(out)) {
    if (!(key in CONFIG_KEYS)) {
      throw new InvalidDataError(`config file ${file}: unknown key "${key}"`, {
        hint: `Known keys: ${Object.keys(CONFIG_KEYS).join(', ')}.`,
      });
    }
  }
  return out;
}

function flatten(node: unknown, prefix: string, out: Record<string, string>, file: string): void {
  if (node === null || typeof node !== 'object' || Array.isArray(node)) {
    if (Array.isArray(node)) out[prefix] = node.map(String).join(',');
    else out[prefix] = String(node);
    return;
  }
  for (const [k, v] of Object.entries(node)) {
    const key = prefix ? `${prefix}.${k}` : k;
    // A nested map that is itself a known key's value would be ambiguous; keys are scalars or lists.
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && key in CONFIG_KEYS) {
      throw new InvalidDataError(`config file ${file}: "${key}" must be a scalar or a list`);
    }
    flatten(v, key, out, file);
  }
}

function parseValue(key: string, spec: ConfigKeySpec, raw: string, where: string): ConfigValue {
  switch (spec.type) {
    case 'string':
      if (spec.nonEmpty && raw.trim() === '')
        throw new UsageError(
          `${key} from ${where} must not be empty`,
          `Set ${key}, or leave it out for the default.`,
        );
      if (spec.url) checkUrl(key, spec.url, raw, where);
      if (spec.oneOf) {
        const value = spec.oneOf.find((v) => v.toLowerCase() === raw.trim().toLowerCase());
        if (value === undefined)
          throw new UsageError(
            `${key} from ${where} must be one of ${spec.oneOf.join(', ')}, got "${raw}"`,
            `Set ${key} to one of those values, or leave it out for the default.`,
          );
        return value;
      }
      return raw;
    case 'int': {
      if (!/^-?\d+$/.test(raw.trim())) {
        throw new UsageError(
          `${key} from ${where} must be an integer, got "${raw}"`,
          `Set ${key} to a whole number.`,
        );
      }
      const n = Number(raw.trim());
      if (
        !Number.isSafeInteger(n) ||
        (spec.min !== undefined && n < spec.min) ||
        (spec.max !== undefined && n > spec.max)
      ) {
        throw new UsageError(
          `${key} from ${where} must be between ${spec.min ?? Number.MIN_SAFE_INTEGER} and ${spec.max ?? Number.MAX_SAFE_INTEGER}, got ${raw.trim()}`,
          `Set ${key} to a whole number in that range.`,
        );
      }
      return n;
    }
    case 'bool': {
      const v = raw.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(v)) return true;
      if (['0', 'false', 'no', 'off', ''].includes(v)) return false;
      throw new UsageError(`${key} from ${where} must be true or false, got "${raw}"`);
    }
    case 'list':
      return raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
  }
}

/**
 * A URL key must parse, use one of its schemes and name a host. The value itself is never quoted
 * in the error: it may carry a password.
 */
function checkUrl(
  key: string,
  { schemes, example }: NonNullable<ConfigKeySpec['url']>,
  raw: string,
  where: string,
): void {
  const refuse = (why: string): never => {
    throw new UsageError(
      `${key} from ${where} is not a usable URL: ${why}`,
      `Set ${key} to a URL such as ${example} (percent-encode special characters in the user and password).`,
    );
  };
  if (!URL.canParse(raw.trim()))
    refuse('it does not parse as a URL (a port above 65535, a space, or no scheme://)');
  const url = new URL(raw.trim());
  const scheme = url.protocol.replace(/:$/, '');
  if (!schemes.includes(scheme)) refuse(`the scheme is "${scheme}", expected ${schemes.join(' or ')}`);
  if (url.hostname === '') refuse('it names no host');
  try {
    decodeURIComponent(url.username);
    decodeURIComponent(url.password);
  } catch {
    refuse('the user or password holds a % that is not a valid percent-encoding');
  }
}

/** Key names that hold a credential whatever their spec says. */
const SECRET_KEY = /password|passwd|secret|token|credential|api[-_]?key/i;
/** Query parameters and libpq keywords that carry a credential. */
const SECRET_PARAM_NAME = /password|passwd|pwd|secret|token/i;
/** In an unparseable URL: everything from the user's colon to the last @ (over-masking is safe). */
const URL_USERINFO = /([a-z][a-z0-9+.-]*:\/\/[^/?#@\s:]*):[^\s,]*@/gi;
/** password=… in a query string or a libpq keyword/value string. */
const SECRET_PARAM =
  /((?:^|[?&;\s])[\w.-]*(?:password|passwd|pwd|secret|token)[\w.-]*\s*=\s*)('[^']*'|"[^"]*"|[^&#;\s]*)/gi;

/**
 * Mask every credential in a text (one value or a comma-separated list): the password of a URL
 * and password-like query parameters through the URL parser; in text that does not parse, by
 * pattern. A value without credentials comes back unchanged (not re-serialised).
 */
export function maskCredentials(text: string): string {
  return text
    .split(',')
    .map((part) => {
      if (part.includes('://') && URL.canParse(part)) {
        const url = new URL(part);
        let changed = false;
        if (url.password !== '') {
          url.password = '****';
          changed = true;
        }
        for (const name of [...url.searchParams.keys()]) {
          if (SECRET_PARAM_NAME.test(name)) {
            url.searchParams.set(name, '****');
            changed = true;
          }
        }
        return changed ? url.toString() : part;
      }
      return part.replace(URL_USERINFO, '$1:****@').replace(SECRET_PARAM, '$1****');
    })
    .join(',');
}

/**
 * Mask secrets for display: a secret key (or one named like a password, secret or token) shows
 * only a URL with its credentials masked, never an unparseable value; every other value has the
 * passwords inside URLs and password parameters masked (a ClickHouse URL with user:password@).
 */
export function maskedValue(entry: ConfigEntry): string {
  const text = Array.isArray(entry.value) ? entry.value.join(',') : String(entry.value);
  if (text === '') return text;
  if (!entry.secret && !SECRET_KEY.test(entry.key)) return maskCredentials(text);
  if (!URL.canParse(text) || !text.includes('://')) return '****';
  return maskCredentials(text);
}
