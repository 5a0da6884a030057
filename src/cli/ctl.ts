/**
 * `skiff ctl --nats URL hosts | start FILE [--host ID] | status [NAME] | stop NAME | logs NAME
 * | cordon HOST | uncordon HOST`: the control protocol for a person. It talks to hosts exactly
 * as the operator does, and places workloads with the operator's scheduler.
 */
import { createHash } from 'node:crypto';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  FEATURE_DRAIN,
  type Heartbeat,
  MAX_DRAIN_MS,
  type Workload,
  type WorkloadReport,
  workloadIdOf,
} from '../api/index.js';
import { ControlClient, ControlError } from '../nats/client.js';
import { NATS_FLAGS, NATS_USAGE, natsSettings } from '../nats/config.js';
import { connectNats } from '../nats/connection.js';
import { HostTracker } from '../nats/hosts.js';
import { workloadLogSubject } from '../nats/subjects.js';
import { candidateFromHeartbeat, schedule } from '../operator/scheduler/index.js';
import { intFlag, type ParsedArgs, parseArgs, UsageError } from './args.js';
import { loadManifest } from './manifest.js';

const USAGE = `usage: skiff ctl --nats URL [--wait-ms 1500] [--json] COMMAND
commands:
  hosts                 list hosts that answer or heartbeat within --wait-ms
  start FILE [--host ID] run a Workload manifest (same as skiff dev) on the hosts the
                        scheduler picks for its replicas (or on --host)
  status [NAME]         workloads on every host (NAME is [namespace/]name)
  stop NAME [--host ID] [--drain-ms N]
                        stop a workload wherever it runs; with --drain-ms, hosts that can
                        keep serving it N ms first while closing its clients' connections
  logs NAME             follow a workload's log lines until interrupted
  cordon HOST           the host takes no new workloads (it keeps what it runs)
  uncordon HOST         the host takes new workloads again
${NATS_USAGE}`;

/** Out is where ctl writes (stdout and stderr by default; tests pass their own). */
export interface Out {
  out(text: string): void;
  err(text: string): void;
}

const stdio: Out = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

/** run runs one `skiff ctl` command and resolves with the exit code. */
export async function run(argv: string[], io: Out = stdio): Promise<number> {
  let args: ParsedArgs;
  let settings: ReturnType<typeof natsSettings>;
  let waitMs: number;
  try {
    args = parseArgs(argv, { ...NATS_FLAGS, host: true, 'wait-ms': true, 'drain-ms': true, json: false, help: false });
    if (args.flags.has('help') || args.positionals.length === 0) {
      io.out(USAGE);
      return args.flags.has('help') ? 0 : 2;
    }
    settings = natsSettings(args);
    if (!settings) throw new UsageError('--nats URL (or SKIFF_NATS_URL) is required');
    waitMs = intFlag(args, 'wait-ms', 1500, 1, 600_000);
  } catch (err) {
    io.err(`skiff ctl: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const [command, ...rest] = args.positionals;
  let nc: NatsConnection;
  try {
    nc = await connectNats(settings, { name: 'skiff-ctl' });
  } catch (err) {
    io.err(`skiff ctl: ${(err as Error).message}\n`);
    return 1;
  }
  const ctx: Ctx = { nc, client: new ControlClient(nc), args, rest, waitMs, json: args.flags.has('json'), io };
  try {
    switch (command) {
      case 'hosts':
        return await hosts(ctx);
      case 'start':
        return await start(ctx);
      case 'status':
        return await status(ctx);
      case 'stop':
        return await stop(ctx);
      case 'logs':
        return await logs(ctx);
      case 'cordon':
      case 'uncordon':
        return await cordon(ctx, command === 'cordon');
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    const e = err as Error;
    io.err(`skiff ctl ${command}: ${e.message}\n${e instanceof UsageError ? USAGE : ''}`);
    return e instanceof UsageError ? 2 : 1;
  } finally {
    await nc.close();
  }
}

interface Ctx {
  nc: NatsConnection;
  client: ControlClient;
  args: ParsedArgs;
  rest: string[];
  waitMs: number;
  json: boolean;
  io: Out;
}

/** discover pings every host and listens to heartbeats for `waitMs`; the union, expired hosts dropped. */
async function discover(ctx: Ctx): Promise<Heartbeat[]> {
  const tracker = new HostTracker();
  const sub = ctx.client.watchHeartbeats(tracker);
  try {
    for (const hb of await ctx.client.ping(ctx.waitMs)) tracker.observe(hb);
  } finally {
    sub.unsubscribe();
  }
  return tracker.alive().map((e) => e.heartbeat);
}

/** table renders rows as aligned columns. */
export function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => `${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')}\n`).join('');
}

async function hosts(ctx: Ctx): Promise<number> {
  const found = await discover(ctx);
  if (ctx.json) {
    ctx.io.out(`${JSON.stringify(found)}\n`);
    return 0;
  }
  const rows = [['HOST', 'STATUS', 'POD', 'WORKLOADS', 'CPUS', 'FREE-MEM', 'LABELS', 'INTERFACES']];
  for (const h of found) {
    rows.push([
      h.hostId,
      h.cordoned ? 'Cordoned' : 'Ready',
      h.pod ? `${h.pod.namespace}/${h.pod.name}` : (h.podName ?? '-'),
      `${h.capacity.workloads}/${h.capacity.maxWorkloads}`,
      String(h.capacity.cpus),
      `${Math.round(h.capacity.freeMemoryBytes / 2 ** 20)}Mi`,
      Object.entries(h.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(',') || '-',
      String(h.interfaces.length),
    ]);
  }
  ctx.io.out(found.length === 0 ? 'no hosts answered\n' : table(rows));
  return 0;
}

/** workloadId turns NAME or namespace/NAME into a workload id. */
export function workloadId(name: string): string {
  return name.includes('/') ? name : `default/${name}`;
}

async function start(ctx: Ctx): Promise<number> {
  if (ctx.rest.length !== 1) throw new UsageError('start takes exactly one FILE');
  const manifest = await loadManifest(ctx.rest[0]!);
  const workload: Workload = structuredClone(manifest.workload);
  const id = workloadIdOf(workload);
  const only = ctx.args.flags.get('host')?.at(-1);
  let targets: string[];
  let shortfall: string | undefined;
  if (only) {
    targets = [only];
  } else {
    const found = await discover(ctx);
    const current = found.filter((h) => h.workloads.some((w) => w.id === id)).map((h) => h.hostId);
    const placement = schedule(
      workload,
      found.map((h) => candidateFromHeartbeat(h)),
      current,
    );
    if (placement.unplaced > 0 && placement.reason) {
      shortfall = `${placement.unplaced} of ${workload.spec.replicas} replicas fit on no host: ${placement.reason.reason}: ${placement.reason.message}`;
    }
    if (placement.hosts.length === 0)
      throw new ControlError('SKIFF_UNSCHEDULABLE', `${id}: ${shortfall ?? 'no replicas'}`);
    targets = placement.hosts;
  }
  // Without a uid, the manifest's identity is its namespace/name; without a generation each
  // `ctl start` is a new generation, so it replaces what runs (an apply).
  workload.metadata.uid ??= `ctl-${createHash('sha256').update(id).digest('hex').slice(0, 16)}`;
  if (workload.metadata.generation === undefined) {
    let running = 0;
    for (const hostId of targets) {
      const current = await ctx.client.status(hostId, id).then(
        (ws) => ws[0],
        () => undefined,
      );
      if (current && current.uid === workload.metadata.uid) running = Math.max(running, current.generation);
    }
    workload.metadata.generation = running + 1;
  }
  for (const hostId of targets) {
    const report = await ctx.client.start(hostId, workload, manifest.baseDir);
    ctx.io.out(
      ctx.json
        ? `${JSON.stringify({ hostId, ...report })}\n`
        : `${report.id} ${report.state} on ${hostId} (generation ${report.generation})\n`,
    );
  }
  if (shortfall) {
    ctx.io.err(`skiff ctl start: ${id}: ${shortfall}\n`);
    return 1;
  }
  return 0;
}

async function status(ctx: Ctx): Promise<number> {
  const id = ctx.rest[0] ? workloadId(ctx.rest[0]) : undefined;
  const rows: { hostId: string; w: WorkloadReport }[] = [];
  for (const h of await discover(ctx)) {
    try {
      for (const w of await ctx.client.status(h.hostId)) if (!id || w.id === id) rows.push({ hostId: h.hostId, w });
    } catch (err) {
      ctx.io.err(`skiff ctl status: host ${h.hostId}: ${(err as Error).message}\n`);
    }
  }
  if (ctx.json) {
    ctx.io.out(`${JSON.stringify(rows.map((r) => ({ hostId: r.hostId, ...r.w })))}\n`);
  } else if (rows.length === 0) {
    ctx.io.out(id ? `${id} runs on no host\n` : 'no workloads\n');
  } else {
    const lines = [['WORKLOAD', 'HOST', 'STATE', 'GENERATION', 'MESSAGE']];
    for (const { hostId, w } of rows) lines.push([w.id, hostId, w.state, String(w.generation), w.message ?? '']);
    ctx.io.out(table(lines));
  }
  return id && rows.length === 0 ? 1 : 0;
}

async function stop(ctx: Ctx): Promise<number> {
  if (ctx.rest.length !== 1) throw new UsageError('stop takes exactly one NAME');
  const id = workloadId(ctx.rest[0]!);
  const only = ctx.args.flags.get('host')?.at(-1);
  const drainMs = ctx.args.flags.has('drain-ms') ? intFlag(ctx.args, 'drain-ms', 0, 0, MAX_DRAIN_MS) : 0;
  const found = only ? undefined : (await discover(ctx)).filter((h) => h.workloads.some((w) => w.id === id));
  const targets = found ? found.map((h) => h.hostId) : [only!];
  if (targets.length === 0) throw new ControlError('SKIFF_WORKLOAD_NOT_FOUND', `${id} runs on no host`);
  for (const hostId of targets) {
    // Only hosts that announce the drain feature understand it (a named --host is trusted to).
    const drains = found?.find((h) => h.hostId === hostId)?.features?.includes(FEATURE_DRAIN) ?? true;
    const { absent } = await ctx.client.stop(hostId, id, undefined, drains ? { drainMs } : {});
    ctx.io.out(absent ? `${id} does not run on ${hostId}\n` : `${id} stopped on ${hostId}\n`);
  }
  return 0;
}

async function cordon(ctx: Ctx, cordoned: boolean): Promise<number> {
  if (ctx.rest.length !== 1) throw new UsageError(`${cordoned ? 'cordon' : 'uncordon'} takes exactly one HOST`);
  const hostId = ctx.rest[0]!;
  await ctx.client.cordon(hostId, cordoned);
  ctx.io.out(`${hostId} ${cordoned ? 'cordoned' : 'uncordoned'}\n`);
  return 0;
}

async function logs(ctx: Ctx): Promise<number> {
  if (ctx.rest.length !== 1) throw new UsageError('logs takes exactly one NAME');
  const [namespace, name] = workloadId(ctx.rest[0]!).split('/') as [string, string];
  const sub = ctx.nc.subscribe(workloadLogSubject(namespace, name));
  const stopAll = () => sub.unsubscribe();
  process.once('SIGINT', stopAll);
  process.once('SIGTERM', stopAll);
  const decoder = new TextDecoder();
  for await (const msg of sub) ctx.io.out(`${formatLogLine(decoder.decode(msg.data))}\n`);
  return 0;
}

/** formatLogLine renders one published log record (JSON with level/context/message, or plain text). */
export function formatLogLine(text: string): string {
  try {
    const r = JSON.parse(text) as {
      level?: unknown;
      context?: unknown;
      message?: unknown;
      msg?: unknown;
      time?: unknown;
    };
    const message = r.message ?? r.msg;
    if (typeof message !== 'string') return text;
    const parts = [
      typeof r.time === 'string' ? r.time : undefined,
      typeof r.level === 'string' ? r.level.toUpperCase() : undefined,
      typeof r.context === 'string' && r.context ? `[${r.context}]` : undefined,
      message,
    ];
    return parts.filter(Boolean).join(' ');
  } catch {
    return text;
  }
}
