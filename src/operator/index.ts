/**
 * The Skiff operator: reconciles Workload resources onto hosts over the NATS control
 * protocol, creates host pods from HostConfigs, and writes status back. `operator.ts` wires it
 * together; `workload/` and `hostconfig/` each decide (`plan.ts`, pure) and act
 * (`controller.ts`); `hosts/` keeps the live-host registry and the Host objects; `scheduler/`
 * places replicas (pure); `kube/` is the only code that talks to the API server;
 * `nats-accounts.ts` pushes namespace accounts and signs hosts' NATS credentials (ADR 0022). Imports
 * `api`, `nats`, `telemetry` and `@kubernetes/client-node` only.
 */
export { loadOperatorEnv, type OperatorEnv } from './config.js';
export { HealthServer, type Readiness } from './health.js';
export { HostConfigController } from './hostconfig/controller.js';
export { type HostConfigAction, type HostConfigPlan, planHostConfig } from './hostconfig/plan.js';
export {
  DRAIN_ANNOTATION,
  HOSTCONFIG_LABEL,
  hostPod,
  podTemplate,
  TEMPLATE_HASH_LABEL,
  templateHash,
} from './hostconfig/pod.js';
export {
  ACCOUNT_MODE_ANNOTATION,
  accountSecret,
  accountSecretName,
  inAccountMode,
  markAccountMode,
  NATS_ACCOUNT_CREDS,
  NATS_ACCOUNT_DIR,
  podName,
} from './hostconfig/nats-account.js';
export { HostPods, podLost } from './hostconfig/pods.js';
export { HOST_ID_LABEL, HostObjects, hostObjectName } from './hosts/objects.js';
export { DEFAULT_MISSED, HostRegistry, type LiveHost, type RegistryChange } from './hosts/registry.js';
export { connectWith, OperatorAccounts, type OperatorAccountsOptions } from './nats-accounts.js';
export { Operator } from './operator.js';
export { DEFAULT_OPERATOR_CONFIG, type OperatorConfig } from './settings.js';
export { WorkloadController } from './workload/controller.js';
export { parseWorkload, wireWorkload } from './workload/parse.js';
export { type Action, FINALIZER, type Plan, plan, type WorkloadSnapshot } from './workload/plan.js';
export { RoutePublisher } from './workload/routes.js';
export { MANAGED_BY, servesHttp, serviceFor, serviceName, slicesFor } from './workload/routing.js';
export { buildStatus, WORKLOAD_LABEL } from './workload/status.js';
