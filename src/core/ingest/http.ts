import http from 'node:http';
import { UsageError } from '../errors.js';
import type { IngestMetrics } from './metrics.js';

export interface HealthState {
  healthy(): boolean;
  describe(): Record<string, unknown>;
}

/** /metrics (Prometheus text) and /healthz (200 when healthy, 503 otherwise) on 127.0.0.1. */
export async function startOpsServer(
  port: number,
  metrics: IngestMetrics,
  health: HealthState,
): Promise<http.Server | null> {
  if (port === 0) return null;
  const server = http.createServer(async (req, res) => {
    if (req.url === '/metrics') {
      res.writeHead(200, { 'content-type': metrics.registry.contentType });
      res.end(await metrics.registry.metrics());
      return;
    }
    if (req.url === '/healthz') {
      const ok = health.healthy();
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: ok ? 'ok' : 'degraded', ...health.describe() }));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new UsageError(
              `the metrics port ${port} on 127.0.0.1 is in use (another smt ingest?)`,
              'Give this daemon another port with --metrics-port (or SMT_INGEST_METRICS_PORT), or 0 for none.',
            )
          : err,
      ),
    );
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return server;
}
