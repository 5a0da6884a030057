/**
 * Leader election against the real API server: one leader among candidates, a prompt
 * hand-over when the leader stops, and a leader that cannot renew steps down before anyone
 * else takes the Lease (checked with the Lease's own timestamps).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Kube, LEASES, LeaderElector, type LeaderElectorOptions } from '../../../src/operator/kube/index.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { type Cluster, connect, createNamespace, waitFor } from '../cluster.js';
import { kubeFor, serverAddress, TcpProxy } from './proxy.js';

let cluster: Cluster;
let ns: string;
let kube: Kube;
const stops: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  cluster = await connect();
  ns = await createNamespace(cluster, 'kube-leader');
  kube = kubeFor(cluster.info.kubeconfig);
});
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});
afterAll(async () => {
  kube?.close();
  await cluster?.release();
});

type Timeline = { who: string; what: 'started' | 'stopped'; at: number }[];

/** candidates builds electors sharing one timeline, and flags any moment with two leaders. */
function candidates(lease: string, timing: Partial<LeaderElectorOptions>) {
  const timeline: Timeline = [];
  const leaders = new Set<string>();
  let overlap = false;
  const make = (identity: string, via: Kube = kube) => {
    const elector = new LeaderElector({
      kube: via,
      namespace: ns,
      name: lease,
      identity,
      logger: silentLogger(),
      onStartedLeading: () => {
        if (leaders.size > 0) overlap = true;
        leaders.add(identity);
        timeline.push({ who: identity, what: 'started', at: Date.now() });
      },
      onStoppedLeading: () => {
        leaders.delete(identity);
        timeline.push({ who: identity, what: 'stopped', at: Date.now() });
      },
      ...timing,
    });
    stops.push(() => elector.stop());
    return elector;
  };
  return { make, timeline, overlap: () => overlap };
}

type LeaseSpec = { holderIdentity?: string; renewTime?: string; acquireTime?: string; leaseTransitions?: number };
async function leaseSpec(name: string): Promise<LeaseSpec> {
  return ((await kube.get(LEASES, ns, name))?.spec ?? {}) as LeaseSpec;
}

const FAST = { leaseDurationMs: 4_000, renewDeadlineMs: 2_500, retryPeriodMs: 500 };

describe('LeaderElector', () => {
  it('lets exactly one of two candidates lead, and it keeps renewing', async () => {
    const { make, timeline, overlap } = candidates('one-leader', FAST);
    const a = make('a');
    const b = make('b');
    a.start();
    b.start();
    await Promise.race([a.waitForLeadership(20_000), b.waitForLeadership(20_000)]);
    const leader = a.isLeader ? 'a' : 'b';
    const first = await leaseSpec('one-leader');
    expect(first.holderIdentity).toBe(leader);
    let renewals = 0;
    let last = first.renewTime;
    await waitFor('two renewals by the leader', async () => {
      const spec = await leaseSpec('one-leader');
      if (spec.renewTime !== last) {
        expect(spec.holderIdentity).toBe(leader);
        renewals++;
        last = spec.renewTime;
      }
      return renewals >= 2 ? true : undefined;
    });
    expect([a.isLeader, b.isLeader].filter(Boolean)).toHaveLength(1);
    expect(timeline).toEqual([{ who: leader, what: 'started', at: expect.any(Number) }]);
    expect(overlap()).toBe(false);
  });

  it('hands over promptly when the leader stops: the Lease is released, not left to expire', async () => {
    const slow = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 500 };
    const { make, timeline, overlap } = candidates('hand-over', slow);
    const a = make('a');
    a.start();
    await a.waitForLeadership(20_000);
    const b = make('b');
    b.start();
    await waitFor('b to have seen a as holder', async () =>
      (await leaseSpec('hand-over')).holderIdentity === 'a' ? true : undefined,
    );
    await a.stop();
    expect(a.isLeader).toBe(false);
    // Without the release b would wait out the 15 s lease; the deadline here is well below it.
    await b.waitForLeadership(8_000);
    const spec = await leaseSpec('hand-over');
    expect(spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
    expect(timeline.map((t) => `${t.who} ${t.what}`)).toEqual(['a started', 'a stopped', 'b started']);
    expect(overlap()).toBe(false);
  });

  it('steps down when it cannot renew, before the other candidate may take the Lease', async () => {
    const proxy = new TcpProxy(serverAddress(cluster.info.credentials.server));
    await proxy.start();
    const viaProxy = kubeFor(cluster.info.kubeconfig, proxy.port);
    stops.push(async () => {
      viaProxy.close();
      await proxy.pause();
    });
    const { make, timeline, overlap } = candidates('cut-leader', FAST);
    const a = make('a', viaProxy);
    a.start();
    await a.waitForLeadership(20_000);
    const b = make('b');
    b.start();
    const before = await leaseSpec('cut-leader');
    await waitFor('a renewal seen after b started', async () => {
      const spec = await leaseSpec('cut-leader');
      return spec.holderIdentity === 'a' && spec.renewTime !== before.renewTime ? spec : undefined;
    });

    await proxy.pause();
    const lastRenewByA = Date.parse((await leaseSpec('cut-leader')).renewTime ?? '');
    await waitFor('a to step down', async () => (a.isLeader ? undefined : true), 20_000);
    await b.waitForLeadership(20_000);
    const taken = await leaseSpec('cut-leader');
    expect(taken).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
    const aStopped = timeline.find((t) => t.who === 'a' && t.what === 'stopped')?.at ?? Number.NaN;
    const bAcquired = Date.parse(taken.acquireTime ?? '');
    // a gave up within renewDeadline of its last renewal (plus timer slack), well inside the lease…
    expect(aStopped - lastRenewByA).toBeLessThan(FAST.leaseDurationMs);
    // …and b took over only after the whole lease had run out since that renewal.
    expect(bAcquired - lastRenewByA).toBeGreaterThanOrEqual(FAST.leaseDurationMs);
    expect(aStopped).toBeLessThan(bAcquired);
    expect(timeline.map((t) => `${t.who} ${t.what}`)).toEqual(['a started', 'a stopped', 'b started']);
    expect(overlap()).toBe(false);

    // Back online, the old leader stays a candidate while b keeps renewing.
    await proxy.resume();
    const held = (await leaseSpec('cut-leader')).renewTime;
    await waitFor('b renews after a is back', async () =>
      (await leaseSpec('cut-leader')).renewTime !== held ? true : undefined,
    );
    expect(a.isLeader).toBe(false);
    expect((await leaseSpec('cut-leader')).holderIdentity).toBe('b');
  });

  it('refuses timings that cannot be safe', () => {
    expect(
      () =>
        new LeaderElector({
          kube,
          namespace: ns,
          name: 'x',
          identity: 'x',
          logger: silentLogger(),
          onStartedLeading: () => {},
          onStoppedLeading: () => {},
          leaseDurationMs: 5_000,
          renewDeadlineMs: 5_000,
        }),
    ).toThrow(expect.objectContaining({ code: 'SKIFF_LEADER_CONFIG' }));
  });
});
