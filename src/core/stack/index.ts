export { type ProbeOptions, type ProbeResult, probeService, probeServices } from './health.js';
export {
  type ServiceDownResult,
  type ServiceStatus,
  type ServiceUpResult,
  type StackDownResult,
  type StackStatusResult,
  type StackUpResult,
  stackDown,
  stackStatus,
  stackUp,
} from './orchestrator.js';
export { parseServiceList, SERVICE_NAMES, type ServiceName } from './services.js';
