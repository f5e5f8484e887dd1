/**
 * VEE (validation, estimation, editing): the validation engine. Rules and their ids: rules.ts and
 * docs/vee-rules.md; rule-set files: rule-set.ts; hot path: engine.ts.
 */
export {
  CONTEXT_RULES,
  type CompiledRuleSet,
  channelRules,
  compileRuleSet,
  HISTORY_RULES,
  REGISTRY_RULES,
  SegmentParams,
} from './compile.js';
export {
  HISTORY_BUCKETS,
  type HistoryContext,
  type HistorySummary,
  historyBucket,
  type MeterSnapshot,
  meterSnapshot,
  type RegistrySnapshot,
  registrySnapshot,
  snapshotActiveAt,
  type ValidationContext,
} from './context.js';
export { type BatchValidation, bucketOfLocal, runLength, ValidationColumns, VeeEngine } from './engine.js';
export { blockFailures, describeFiring, explain, type FailureDetail } from './explain.js';
export { LocalClock } from './local-clock.js';
export {
  builtInRuleSet,
  DEFAULT_RULE_SET_PATH,
  formatIssue,
  loadDefaultRuleSet,
  loadRuleSetFile,
  parseRuleSet,
  type RuleSetDefinition,
  RuleSetError,
  type RuleSetIssue,
  type RuleSettings,
} from './rule-set.js';
export {
  LATE_DEFAULT_AFTER_HOURS,
  RULE_ACTIONS,
  RULE_SLOTS,
  RULES,
  RULES_BY_KEY,
  type RuleAction,
  RuleId,
  type RuleSpec,
  ruleById,
  ruleKey,
  rulesInMask,
} from './rules.js';
