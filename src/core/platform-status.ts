import type { SmtConfig } from './config/config.js';
import { errorMessage } from './errors.js';
import { storeSchemaStatus } from './migrations/service.js';
import type { Store } from './migrations/types.js';
import { probeServices } from './stack/health.js';
import { SERVICE_NAMES, type ServiceName } from './stack/services.js';

export interface ComponentStatus {
  component: ServiceName;
  reachable: boolean;
  version: string | null;
  latencyMs: number;
  /** applied schema version / latest known to this smt; null for Kafka or when unreachable */
  schemaVersion: number | null;
  schemaLatest: number | null;
  problem: string | null;
}

export interface PlatformStatus {
  ok: boolean;
  components: ComponentStatus[];
  down: ServiceName[];
}

const STORES: readonly string[] = ['postgres', 'cassandra', 'clickhouse'];

/** One line per component: reachable, version, schema version, latency. */
export async function platformStatus(
  config: SmtConfig,
  options: { timeoutMs?: number } = {},
): Promise<PlatformStatus> {
  const probes = await probeServices(config, SERVICE_NAMES, { timeoutMs: options.timeoutMs ?? 5_000 });
  const components = await Promise.all(
    probes.map(async (p): Promise<ComponentStatus> => {
      const base: ComponentStatus = {
        component: p.service,
        reachable: p.reachable,
        version: p.version,
        latencyMs: p.latencyMs,
        schemaVersion: null,
        schemaLatest: null,
        problem: p.reachable ? null : (p.error ?? 'unreachable'),
      };
      if (!p.reachable || !STORES.includes(p.service)) return base;
      try {
        const s = await storeSchemaStatus(config, p.service as Store);
        return {
          ...base,
          schemaVersion: s.current,
          schemaLatest: s.latest,
          problem:
            s.pending.length > 0 ? `${s.pending.length} pending migration(s): run \`smt db migrate\`` : null,
        };
      } catch (err) {
        return { ...base, problem: `schema unreadable: ${errorMessage(err)}` };
      }
    }),
  );
  const down = components.filter((c) => !c.reachable).map((c) => c.component);
  return { ok: components.every((c) => c.problem === null), components, down };
}
