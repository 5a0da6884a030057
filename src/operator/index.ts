/**
 * The Skiff operator: reconciles Workload resources onto hosts over the NATS control
 * protocol and writes status back. `operator.ts` wires it together; `workload/` decides
 * (`plan.ts`, pure) and acts (`controller.ts`); `hosts/` keeps the live-host registry and the
 * Host objects; `scheduler/` places replicas (pure); `kube/` is the only code that talks to
 * the API server. Imports `api`, `nats`, `telemetry` and `@kubernetes/client-node` only.
 */
export { loadOperatorEnv, type OperatorEnv } from './config.js';
export { HealthServer, type Readiness } from './health.js';
export { HOST_ID_LABEL, HostObjects, hostObjectName } from './hosts/objects.js';
export { DEFAULT_MISSED, HostRegistry, type LiveHost, type RegistryChange } from './hosts/registry.js';
export { DEFAULT_OPERATOR_CONFIG, Operator, type OperatorConfig } from './operator.js';
export { WorkloadController } from './workload/controller.js';
export { type Action, FINALIZER, type Plan, plan, WORKLOAD_LABEL, type WorkloadSnapshot } from './workload/plan.js';
