/**
 * A host pod deleted on the real cluster: the kubelet stops it (SIGTERM, grace period), the
 * operator loses its host and starts the Workload on the other host pod, which answers.
 */
import { describe, expect, it } from 'vitest';
import { fixturePath } from '../support/fixtures.js';
import {
  conditionOf,
  e2eSuite,
  get,
  helloWorkload,
  type Placement,
  pushComponent,
  readyPodIp,
  startHostPod,
  waitHostsReady,
  waitWorkload,
} from './cluster.js';

describe('a host pod deleted', () => {
  const s = e2eSuite('e2e-resched');

  it('moves its Workload to the other host pod, which then answers', async () => {
    const { e2e, ns } = s;
    const names = ['host-a', 'host-b'] as const;
    for (const name of names) await startHostPod(e2e, ns, name);
    const ips: Record<string, string> = {};
    for (const name of names) ips[name] = await readyPodIp(e2e, ns, name);
    await waitHostsReady(e2e, ns, names);

    await pushComponent(e2e, await fixturePath('hello-c'), 'e2e/hello-c:1');
    const hostname = `hello.${ns}`;
    await e2e.kubectl(
      ['apply', '-f', '-'],
      JSON.stringify(helloWorkload(ns, 'hello', 'localhost:5000/e2e/hello-c:1', hostname)),
    );
    const ready = await waitWorkload(e2e, ns, 'hello');
    const first = (ready.status.placements as Placement[]).find((p) => p.state === 'Running')?.host;
    expect(names).toContain(first);
    const other = first === 'host-a' ? 'host-b' : 'host-a';
    expect(await get(ips[first!]!, 8080, hostname)).toEqual({ status: 200, body: 'hello from skiff' });

    await e2e.kubectl(['-n', ns, 'delete', 'pod', first!, '--wait=false']);
    const moved = await waitWorkload(
      e2e,
      ns,
      'hello',
      `Ready on ${other}`,
      (wl) =>
        conditionOf(wl, 'Ready')?.status === 'True' &&
        (wl.status?.placements ?? []).some((p: Placement) => p.host === other && p.state === 'Running'),
      60_000,
    );
    expect((moved.status.placements as Placement[]).filter((p) => p.state === 'Running').map((p) => p.host)).toEqual([
      other,
    ]);
    expect(await get(ips[other]!, 8080, hostname)).toEqual({ status: 200, body: 'hello from skiff' });
  });
});
