/**
 * The host control protocol: every message hosts and controllers (the operator, `skiff ctl`)
 * exchange over NATS, as zod schemas. Subjects live in `src/nats/subjects.ts`; the decisions
 * are in docs/adr/0007-control-protocol.md.
 */
import { z } from 'zod';
import { stringMap } from './common.js';
import { workloadSchema } from './workload.js';

/** PROTOCOL_VERSION is bumped on any incompatible change to these messages. */
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

/** workloadReportSchema is a host's report on one workload (the reply to start and status). */
export const workloadReportSchema = z
  .object({
    id: workloadIdSchema,
    uid: z.string(),
    generation: z.number().int(),
    state: workloadStateSchema,
    message: z.string().optional(),
    reason: z.string().optional(),
    components: z.array(z.object({ name: z.string(), digest: z.string() }).strict()),
  })
  .strict();

/** capacitySchema is what a host can take on, for scheduling. */
export const capacitySchema = z
  .object({
    maxWorkloads: z.number().int().min(0).describe('How many workloads the host accepts.'),
    workloads: z.number().int().min(0).describe('How many workloads it runs now.'),
    cpus: z.number().int().min(1).describe('Logical CPUs of the machine.'),
    memoryBytes: z.number().int().min(0).describe('Total memory of the machine.'),
    freeMemoryBytes: z.number().int().min(0).describe('Free memory of the machine.'),
  })
  .strict();

/** heartbeatSchema is what a host publishes every few seconds and in reply to a ping. */
export const heartbeatSchema = z
  .object({
    protocol: z.literal(PROTOCOL_VERSION),
    hostId: hostIdSchema,
    podName: z.string().optional().describe('Kubernetes pod the host runs in, if any.'),
    labels: stringMap,
    capacity: capacitySchema,
    interfaces: z.array(z.string()).describe('WIT interfaces the host provides, e.g. wasi:keyvalue/store.'),
    workloads: z.array(workloadReportSchema),
    /** intervalSeconds is the heartbeat period; consumers expire the host after K missed beats. */
    intervalSeconds: z.number().positive(),
    /** stopping is true in the last heartbeat of a host shutting down: forget it at once. */
    stopping: z.boolean().optional(),
    startedAt: z.string().describe('When the host started (RFC 3339).'),
    sentAt: z.string().describe('When this heartbeat was sent (RFC 3339).'),
  })
  .strict();

/** startRequestSchema asks a host to run (or replace) a workload. */
export const startRequestSchema = z
  .object({
    workload: workloadSchema,
    /** baseDir resolves relative file:// images (same machine only; for `skiff ctl` and tests). */
    baseDir: z.string().optional(),
  })
  .strict();

/** stopRequestSchema asks a host to stop a workload. */
export const stopRequestSchema = z.object({ id: workloadIdSchema }).strict();

/** statusRequestSchema asks a host about one workload, or all of them when id is absent. */
export const statusRequestSchema = z.object({ id: workloadIdSchema.optional() }).strict();

/** protocolErrorSchema is the error half of every reply; `code` is stable, `message` is for people. */
export const protocolErrorSchema = z.object({ code: z.string().min(1), message: z.string() }).strict();

const failure = z.object({ ok: z.literal(false), error: protocolErrorSchema }).strict();

/** startReplySchema answers a start: the workload's report, or why it did not start. */
export const startReplySchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), workload: workloadReportSchema }).strict(),
  failure,
]);

/** stopReplySchema answers a stop. */
export const stopReplySchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), id: workloadIdSchema }).strict(),
  failure,
]);

/** statusReplySchema answers a status request with the reports asked for. */
export const statusReplySchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), hostId: hostIdSchema, workloads: z.array(workloadReportSchema) }).strict(),
  failure,
]);

/** Heartbeat is a parsed heartbeat. */
export type Heartbeat = z.infer<typeof heartbeatSchema>;
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
