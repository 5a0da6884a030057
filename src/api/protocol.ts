/**
 * The host control protocol: every message hosts and controllers (the operator, `skiff ctl`)
 * exchange over NATS, as zod schemas. Subjects live in `src/nats/subjects.ts`; the decisions
 * are in docs/adr/0007-control-protocol.md.
 *
 * Requests a host receives are strict (an unknown field is refused). What consumers receive
 * — heartbeats and replies — drops unknown fields instead, and every field added after the
 * first revision is optional or defaulted, so a newer host and an older consumer (or the
 * other way round) keep understanding each other during a rolling upgrade.
 */
import { z } from 'zod';
import { stringMap } from './common.js';
import { pullCredentialSchema, sourceSchema } from './sources.js';
import { type Workload, workloadSchema } from './workload.js';

/**
 * PROTOCOL_VERSION is bumped on any incompatible change to these messages; additions that
 * older peers can ignore (new optional fields, new verbs) keep it (ADR 0007, Revision 1).
 */
export const PROTOCOL_VERSION = 1;

/** HOST_ID_PATTERN keeps host ids usable as one NATS subject token. */
export const HOST_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

/** hostIdSchema is a host identity: one NATS subject token (letters, digits, '-', '_'). */
export const hostIdSchema = z
  .string()
  .regex(HOST_ID_PATTERN, 'must be 1-128 letters, digits, "-" or "_", starting with a letter or digit');

/** workloadIdSchema is a workload id on a host: `namespace/name`. */
export const workloadIdSchema = z
  .string()
  .min(3)
  .max(317)
  .regex(/^[^/\s]+\/[^/\s]+$/, 'must be namespace/name');

/** workloadStateSchema is where a workload is in its life on a host. */
export const workloadStateSchema = z.enum(['Starting', 'Running', 'Stopping', 'Failed']);

/** serviceReportSchema is a host's report on a workload's long-running service (Revision 4 of ADR 0007). */
export const serviceReportSchema = z.object({
  name: z.string().max(253),
  state: z.enum(['Running', 'Restarting', 'Failed', 'Stopped']),
  restarts: z.number().int().min(0),
  reason: z.string().max(128).optional(),
  message: z.string().max(4096).optional(),
});

/** workloadReportSchema is a host's report on one workload (in heartbeats and the replies to start and status). */
export const workloadReportSchema = z.object({
  id: workloadIdSchema,
  uid: z.string(),
  generation: z.number().int(),
  /** revision is the start request's revision, when it had one (Revision 2). */
  revision: z.string().max(64).optional(),
  state: workloadStateSchema,
  message: z.string().optional(),
  reason: z.string().optional(),
  components: z.array(z.object({ name: z.string(), digest: z.string() })),
  /** hosts are the virtual hosts the workload claims (its `wasi:http` grants' `config.host`), lower-cased; absent from older hosts. */
  hosts: z.array(z.string().max(253)).max(64).optional(),
  /** service is the state of the workload's `spec.service` on this host; absent without one, and from older hosts. */
  service: serviceReportSchema.optional(),
});

/** capacitySchema is what a host can take on, for scheduling. */
export const capacitySchema = z.object({
  maxWorkloads: z.number().int().min(0).describe('How many workloads the host accepts.'),
  workloads: z.number().int().min(0).describe('How many workloads it runs now.'),
  cpus: z.number().int().min(1).describe('Logical CPUs of the machine.'),
  memoryBytes: z.number().int().min(0).describe('Total memory of the machine.'),
  freeMemoryBytes: z.number().int().min(0).describe('Free memory of the machine.'),
  services: z
    .object({ max: z.number().int().min(0), running: z.number().int().min(0) })
    .optional()
    .describe('Threads for services (spec.service): how many the host gives them, how many run (ADR 0021).'),
});

/** podIdentitySchema is the Kubernetes pod a host runs in (from the downward API). */
export const podIdentitySchema = z.object({
  namespace: z.string().min(1).max(63),
  name: z.string().min(1).max(253),
  uid: z.string().min(1).max(128),
  ip: z.union([z.ipv4(), z.ipv6()]),
});

/** heartbeatSchema is what a host publishes every few seconds and in reply to a ping. */
export const heartbeatSchema = z.object({
  protocol: z.literal(PROTOCOL_VERSION),
  hostId: hostIdSchema,
  podName: z.string().optional().describe('Kubernetes pod the host runs in, if any (also in pod.name).'),
  /** pod is the host's pod, when it runs in one and was told (`--pod-*` flags, downward API). */
  pod: podIdentitySchema.optional(),
  labels: stringMap,
  capacity: capacitySchema,
  /**
   * interfaces are the WIT interfaces the host provides: each unversioned
   * (`wasi:keyvalue/store`) and, when its plugin declares versions, at each version
   * (`wasi:keyvalue/store@0.2.0-draft`). The WASI core is always provided and not listed.
   */
  interfaces: z.array(z.string().max(256)).max(4096),
  /** httpPort is the port of the host's HTTP server, when it serves HTTP. */
  httpPort: z.number().int().min(1).max(65535).optional(),
  /**
   * namespaces are the namespaces whose workloads the host runs (Revision 2); absent: every
   * namespace (a host started by hand without --namespaces, or from before Revision 2).
   */
  namespaces: z.array(z.string().min(1).max(63)).max(1024).optional(),
  /**
   * natsUser is the public nkey of the user the host connects to namespace accounts with
   * (ADR 0022, `skiff host --nats-accounts`): the operator signs that key's JWTs. Absent: the
   * host uses one NATS identity for everything.
   */
  natsUser: z
    .string()
    .regex(/^U[A-Z2-7]{55}$/)
    .optional(),
  /** cordoned is true while the host refuses starts of workloads it does not run yet. */
  cordoned: z.boolean().default(false),
  /**
   * features are optional protocol features the host understands (Revision 3), e.g.
   * `drain` (a stop's `drainMs`); absent from older hosts, which understand none.
   */
  features: z.array(z.string().max(64)).max(64).optional(),
  workloads: z.array(workloadReportSchema),
  /** intervalSeconds is the heartbeat period; consumers expire the host after K missed beats. */
  intervalSeconds: z.number().positive(),
  /** stopping is true in the last heartbeat of a host shutting down: forget it at once. */
  stopping: z.boolean().optional(),
  startedAt: z.string().describe('When the host started (RFC 3339).'),
  sentAt: z.string().describe('When this heartbeat was sent (RFC 3339).'),
});

/** natsJwtSchema is a NATS JWT as it travels: three base64url parts, bounded. */
export const natsJwtSchema = z
  .string()
  .max(8192)
  .regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, 'must be a JWT');

/** startRequestSchema asks a host to run (or replace) a workload. */
export const startRequestSchema = z
  .object({
    workload: workloadSchema,
    /** baseDir resolves relative file:// images (same machine only; for `skiff ctl` and tests). */
    baseDir: z.string().optional(),
    /**
     * revision identifies what runs beside uid and generation: a start of the same generation
     * with another revision replaces the running one (its ConfigMaps or Secrets changed).
     */
    revision: z.string().min(1).max(64).optional(),
    /** sources are the referenced ConfigMaps and Secrets, resolved by the operator (secret: never logged). */
    sources: z.array(sourceSchema).max(256).optional(),
    /** pullCredentials are the credentials of components that name an imagePullSecret, for that pull only. */
    pullCredentials: z.array(pullCredentialSchema).max(33).optional(),
    /**
     * natsCredentials carry a user JWT of the workload's namespace account for the host's
     * announced `natsUser` key (ADR 0022). Not a secret: useless without the host's private key.
     */
    natsCredentials: z.object({ jwt: natsJwtSchema }).strict().optional(),
  })
  .strict();

/** FEATURE_DRAIN is announced in `features` by hosts that understand a stop's `drainMs` (Revision 3). */
export const FEATURE_DRAIN = 'drain';

/** MAX_DRAIN_MS bounds a stop's drain period. */
export const MAX_DRAIN_MS = 60_000;

/**
 * stopRequestSchema asks a host to stop a workload. With `uid`, the stop only applies to
 * that incarnation: a workload recreated under the same name (another uid) is left running.
 * With `drainMs` (Revision 3; only to hosts announcing FEATURE_DRAIN), the host first keeps
 * serving the workload that long while closing its clients' connections, then stops it.
 */
export const stopRequestSchema = z
  .object({
    id: workloadIdSchema,
    uid: z.string().min(1).max(128).optional(),
    drainMs: z.number().int().min(0).max(MAX_DRAIN_MS).optional(),
  })
  .strict();

/** cordonRequestSchema is the (empty) body of `cordon` and `uncordon`: the verb says which. */
export const cordonRequestSchema = z.object({}).strict();

/**
 * credentialsRequestSchema hands a host in account mode (ADR 0022) a newer user JWT of a
 * namespace, before the one it holds expires (`skiff.host.<id>.admin.credentials`).
 */
export const credentialsRequestSchema = z
  .object({ namespace: z.string().min(1).max(63), jwt: natsJwtSchema })
  .strict();

/** statusRequestSchema asks a host about one workload, or all of them when id is absent. */
export const statusRequestSchema = z.object({ id: workloadIdSchema.optional() }).strict();

/** protocolErrorSchema is the error half of every reply; `code` is stable, `message` is for people. */
export const protocolErrorSchema = z.object({ code: z.string().min(1), message: z.string() });

const failure = z.object({ ok: z.literal(false), error: protocolErrorSchema });

/** startReplySchema answers a start: the workload's report, or why it did not start. */
export const startReplySchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), workload: workloadReportSchema }),
  failure,
]);

/** stopReplySchema answers a stop; `absent` says the host did not have the workload (a stop is idempotent). */
export const stopReplySchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), id: workloadIdSchema, absent: z.boolean().optional() }),
  failure,
]);

/** cordonReplySchema answers cordon and uncordon with the host's new state. */
export const cordonReplySchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), hostId: hostIdSchema, cordoned: z.boolean() }),
  failure,
]);

/** credentialsReplySchema acknowledges new credentials. */
export const credentialsReplySchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), hostId: hostIdSchema, namespace: z.string() }),
  failure,
]);

/** statusReplySchema answers a status request with the reports asked for. */
export const statusReplySchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), hostId: hostIdSchema, workloads: z.array(workloadReportSchema) }),
  failure,
]);

/** Heartbeat is a parsed heartbeat. */
export type Heartbeat = z.infer<typeof heartbeatSchema>;
/** ServiceReport is a host's report on a workload's service. */
export type ServiceReport = z.infer<typeof serviceReportSchema>;
/** WorkloadReport is a host's report on one workload. */
export type WorkloadReport = z.infer<typeof workloadReportSchema>;
/** HostCapacity is what a host can take on. */
export type HostCapacity = z.infer<typeof capacitySchema>;
/** StartRequest asks a host to run a workload. */
export type StartRequest = z.infer<typeof startRequestSchema>;
/** StopRequest asks a host to stop a workload. */
export type StopRequest = z.infer<typeof stopRequestSchema>;
/** StatusRequest asks a host about its workloads. */
export type StatusRequest = z.infer<typeof statusRequestSchema>;
/** ProtocolErrorBody is the error of a failed reply. */
export type ProtocolErrorBody = z.infer<typeof protocolErrorSchema>;
/** StartReply answers a start. */
export type StartReply = z.infer<typeof startReplySchema>;
/** StopReply answers a stop. */
export type StopReply = z.infer<typeof stopReplySchema>;
/** StatusReply answers a status request. */
export type StatusReply = z.infer<typeof statusReplySchema>;
/** CordonReply answers cordon and uncordon. */
export type CordonReply = z.infer<typeof cordonReplySchema>;
/** PodIdentity is the pod a host runs in. */
export type PodIdentity = z.infer<typeof podIdentitySchema>;

/** WASI_CORE_PACKAGES are provided by every host to every component: never granted, announced or scheduled on. */
export const WASI_CORE_PACKAGES: readonly string[] = Object.freeze([
  'wasi:cli',
  'wasi:clocks',
  'wasi:random',
  'wasi:io',
  'wasi:filesystem',
  'wasi:sockets',
]);

/** WASI_CORE_INTERFACES are the interfaces outside WASI_CORE_PACKAGES every host links for every component. */
export const WASI_CORE_INTERFACES: readonly string[] = Object.freeze(['wasi:http/types', 'wasi:http/outgoing-handler']);

/** InterfaceEntry is an interface name (`wasi:keyvalue/store`) and, when pinned, its version. */
export interface InterfaceEntry {
  readonly name: string;
  readonly version?: string | undefined;
}

/** parseInterfaceEntry splits `namespace:package/interface@version` into name and version. */
export function parseInterfaceEntry(entry: string): InterfaceEntry {
  const at = entry.indexOf('@');
  return at < 0 ? { name: entry } : { name: entry.slice(0, at), version: entry.slice(at + 1) };
}

/** isWasiCore says whether an interface (versioned or not) is part of the always-provided WASI core. */
export function isWasiCore(iface: string): boolean {
  const { name } = parseInterfaceEntry(iface);
  const slash = name.indexOf('/');
  const pkg = slash < 0 ? name : name.slice(0, slash);
  return WASI_CORE_PACKAGES.includes(pkg) || WASI_CORE_INTERFACES.includes(name);
}

function semver(v: string): { core: [number, number, number]; pre: string } | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)(?:-(.+))?$/.exec(v);
  return m ? { core: [Number(m[1]), Number(m[2]), Number(m[3])], pre: m[4] ?? '' } : undefined;
}

/**
 * interfaceVersionsCompatible says whether an interface at version `a` serves one at `b`:
 * the same major version (the same minor for 0.x) and the same pre-release tag; patch
 * versions may differ (wasi:http 0.2.0 and 0.2.10 link alike). It is the host's grant rule.
 */
export function interfaceVersionsCompatible(a: string, b: string): boolean {
  const x = semver(a);
  const y = semver(b);
  if (!x || !y) return a === b;
  if (x.core[0] !== y.core[0]) return false;
  if (x.core[0] === 0 && x.core[1] !== y.core[1]) return false;
  return x.pre === y.pre;
}

/**
 * providesInterface says whether a host announcing `announced` serves `required`: any entry
 * of that name for an unversioned requirement, a compatible versioned entry otherwise (a
 * host that announces no version of an interface serves only unversioned requirements).
 */
export function providesInterface(announced: readonly string[], required: string): boolean {
  const want = parseInterfaceEntry(required);
  return announced.some((entry) => {
    const have = parseInterfaceEntry(entry);
    if (have.name !== want.name) return false;
    if (want.version === undefined) return true;
    return have.version !== undefined && interfaceVersionsCompatible(have.version, want.version);
  });
}

/** workloadIdOf is the id hosts know a workload by: `namespace/name` (namespace `default` when unset). */
export function workloadIdOf(workload: Workload): string {
  return `${workload.metadata.namespace ?? 'default'}/${workload.metadata.name}`;
}

/** virtualHostsOf lists the virtual hosts a workload claims: its `wasi:http` grants' `config.host`, lower-cased. */
export function virtualHostsOf(workload: Workload): string[] {
  const hosts = workload.spec.hostInterfaces
    .filter((h) => h.namespace === 'wasi' && h.package === 'http' && h.config?.host)
    .map((h) => h.config!.host!.toLowerCase());
  return [...new Set(hosts)].sort();
}
