import client from 'prom-client';

/** Prometheus metrics of one ingest daemon, on their own registry (no global state). */
export class IngestMetrics {
  readonly registry = new client.Registry();
  readonly messages = new client.Counter({
    name: 'smt_ingest_messages_total',
    help: 'raw messages consumed',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly readings = new client.Counter({
    name: 'smt_ingest_readings_total',
    help: 'readings by outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly storeWrites = new client.Counter({
    name: 'smt_ingest_store_rows_total',
    help: 'rows written per store',
    labelNames: ['store'] as const,
    registers: [this.registry],
  });
  readonly rejects = new client.Counter({
    name: 'smt_ingest_rejects_total',
    help: 'rejected readings (or messages) by rule',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly batchSeconds = new client.Histogram({
    name: 'smt_ingest_batch_seconds',
    help: 'time to process and commit one batch',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly stageSeconds = new client.Histogram({
    name: 'smt_ingest_stage_seconds',
    help: 'time per pipeline stage',
    labelNames: ['stage'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly lag = new client.Gauge({
    name: 'smt_ingest_consumer_lag',
    help: 'messages behind the high watermark',
    labelNames: ['partition'] as const,
    registers: [this.registry],
  });
  readonly workerUtilization = new client.Gauge({
    name: 'smt_ingest_worker_utilization',
    help: 'share of time the worker pool was busy (0..1)',
    registers: [this.registry],
  });
  readonly retries = new client.Counter({
    name: 'smt_ingest_retries_total',
    help: 'batches retried after a store or broker failure',
    registers: [this.registry],
  });
  readonly consumerUp = new client.Gauge({
    name: 'smt_ingest_consumer_up',
    help: '1 while the consumer-group member runs; 0 after it crashed (the daemon then exits 4)',
    registers: [this.registry],
  });
  readonly waiting = new client.Gauge({
    name: 'smt_ingest_waiting',
    help: '1 while a batch waits for an unavailable dependency',
    registers: [this.registry],
  });
}
