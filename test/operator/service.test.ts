/**
 * A Workload's service end to end: the real API server, a real nats-server, a `skiff host`
 * process and the operator. The host restarts the trapping service and gives up on it; the
 * operator writes the service's state into the host's placement, and the Workload stays
 * Ready (its HTTP component keeps serving).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  applyWorkload,
  condition,
  deleteWorkload,
  getWorkload,
  type HostProcess,
  helloWorkload,
  type InProcessOperator,
  type Stack,
  startHost,
  startOperator,
  startStack,
  waitFor,
} from './stack.js';

let stack: Stack;
let host: HostProcess | undefined;
let op: InProcessOperator | undefined;

beforeAll(async () => {
  stack = await startStack('opsvc');
  host = await startHost(stack, 'host-svc');
  op = await startOperator(stack);
});

afterAll(async () => {
  await op?.stop();
  await host?.run.stop();
  await stack?.stop();
});

describe('operator: spec.service', () => {
  it("shows the host's service state in the Workload's placement while the workload stays Ready", async () => {
    const hello = await stack.image('hello-js');
    const service = await stack.image('service-c');
    await applyWorkload(
      stack,
      helloWorkload(stack.namespace, 'svc', hello, {
        service: { name: 'worker', image: service, environment: { SERVICE_MODE: 'trap' }, maxRestarts: 1 },
      }),
    );
    const w = await waitFor(
      'the service to be reported Failed',
      async () => {
        const x = await getWorkload(stack, 'svc');
        return x?.status?.placements?.[0]?.service?.state === 'Failed' ? x : undefined;
      },
      90_000,
    );
    expect(w.status.placements[0]).toMatchObject({
      host: 'host-svc',
      state: 'Running',
      service: { name: 'worker', state: 'Failed', restarts: 1, reason: 'ServiceTrapped' },
    });
    expect(w.status.placements[0].service.message).toContain('unreachable');
    expect(condition(w, 'Ready')?.status).toBe('True');
    expect(await host!.get(`svc.${stack.namespace}.test`)).toMatchObject({ status: 200 });
    await deleteWorkload(stack, 'svc');
  });
});
