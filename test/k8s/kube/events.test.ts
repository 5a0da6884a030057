/**
 * The Event recorder against the real API server: an events.k8s.io/v1 Event appears about
 * the object, a repeat bumps its series, a long note is cut to the server's limit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFIGMAPS, EVENTS, EventRecorder, type Kube } from '../../../src/operator/kube/index.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { type Cluster, connect, createNamespace } from '../cluster.js';
import { kubeFor } from './proxy.js';

let cluster: Cluster;
let ns: string;
let kube: Kube;

beforeAll(async () => {
  cluster = await connect();
  ns = await createNamespace(cluster, 'kube-events');
  kube = kubeFor(cluster.info.kubeconfig);
});
afterAll(async () => {
  kube?.close();
  await cluster?.release();
});

type Event = {
  reason: string;
  note: string;
  type: string;
  action: string;
  reportingController: string;
  reportingInstance: string;
  regarding: { kind: string; name: string; uid: string };
  series?: { count: number; lastObservedTime: string };
};

describe('EventRecorder', () => {
  it('writes an Event about the object and bumps its series on a repeat', async () => {
    const subject = await kube.apply(CONFIGMAPS, { metadata: { name: 'subject', namespace: ns }, data: {} });
    const recorder = new EventRecorder({
      kube,
      controller: 'skiff-operator',
      instance: 'op-0',
      logger: silentLogger(),
    });
    recorder.record(subject, 'Warning', 'StartFailed', 'host h1: trap', 'Start');
    await recorder.flush();
    const first = (await kube.list(EVENTS, ns)).items as unknown as Event[];
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({
      type: 'Warning',
      reason: 'StartFailed',
      note: 'host h1: trap',
      action: 'Start',
      reportingController: 'skiff-operator',
      reportingInstance: 'op-0',
      regarding: { kind: 'ConfigMap', name: 'subject', uid: subject.metadata.uid },
    });
    expect(first[0]?.series).toBeUndefined();

    recorder.record(subject, 'Warning', 'StartFailed', 'host h1: trap', 'Start');
    recorder.record(subject, 'Warning', 'StartFailed', 'host h1: trap', 'Start');
    recorder.record(subject, 'Normal', 'Scheduled', 'placed on h2', 'Schedule');
    await recorder.flush();
    const after = (await kube.list(EVENTS, ns)).items as unknown as Event[];
    expect(after).toHaveLength(2);
    expect(after.find((e) => e.reason === 'StartFailed')?.series?.count).toBe(3);
    expect(after.find((e) => e.reason === 'Scheduled')?.series).toBeUndefined();
  });

  it('cuts a long note to 1 KiB and never throws at the caller', async () => {
    const subject = await kube.apply(CONFIGMAPS, { metadata: { name: 'long', namespace: ns }, data: {} });
    const recorder = new EventRecorder({
      kube,
      controller: 'skiff-operator',
      instance: 'op-0',
      logger: silentLogger(),
    });
    recorder.record(subject, 'Normal', 'Long', 'x'.repeat(5_000), 'Test');
    // No apiVersion/kind: refused and logged, not thrown.
    recorder.record({ metadata: { name: 'anonymous', namespace: ns } }, 'Normal', 'Nope', 'n', 'Test');
    await recorder.flush();
    const events = (await kube.list(EVENTS, ns)).items as unknown as Event[];
    const long = events.find((e) => e.reason === 'Long');
    expect(Buffer.byteLength(long?.note ?? '')).toBeLessThanOrEqual(1024);
    expect(long?.note.startsWith('xxx')).toBe(true);
    expect(events.find((e) => e.reason === 'Nope')).toBeUndefined();
  });
});
