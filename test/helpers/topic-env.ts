/**
 * The environment that gives one test (or bench run) its own Kafka topics, consumer group and no
 * metrics listener, so several share one stack: `<prefix>.<label>.raw` … and group `<prefix>-<label>`.
 */
export function ingestTopicsEnv(label: string, prefix = 'it'): Record<string, string> {
  return {
    SMT_TOPIC_RAW: `${prefix}.${label}.raw`,
    SMT_TOPIC_VALIDATED: `${prefix}.${label}.validated`,
    SMT_TOPIC_REJECTED: `${prefix}.${label}.rejected`,
    SMT_TOPIC_EVENTS: `${prefix}.${label}.events`,
    SMT_INGEST_GROUP: `${prefix}-${label}`,
    SMT_INGEST_METRICS_PORT: '0',
  };
}
