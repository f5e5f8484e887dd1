import { type ConfigSource, maskedValue, type SmtConfig } from './config.js';
import { CONFIG_KEYS } from './keys.js';

export interface ConfigShowRow {
  key: string;
  value: string;
  source: ConfigSource;
  env: string;
  description: string;
}

export interface ConfigShowResult {
  file: string | null;
  keys: ConfigShowRow[];
}

export function describeConfig(config: SmtConfig): ConfigShowResult {
  return {
    file: config.file ?? null,
    keys: config.all().map((e) => ({
      key: e.key,
      value: maskedValue(e),
      source: e.source,
      env: e.env,
      description: CONFIG_KEYS[e.key].description,
    })),
  };
}
