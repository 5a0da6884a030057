/**
 * Density: started workloads hold no instance and no thread; a request instantiates on
 * demand; the pool shrinks back to zero once every workload has been idle for the idle
 * timeout; one compiled program serves every workload running the same component.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualHostRouter } from '../../src/runtime/http/routers.js';
import { fixturePath } from '../support/fixtures.js';
import { startTestHost, type TestHost, workload } from '../support/host.js';
import { waitFor } from '../support/wait.js';

const N = 12;
let t: TestHost;

beforeAll(async () => {
  const hello = await fixturePath('hello-js');
  t = await startTestHost({ router: new VirtualHostRouter(), threads: { idleTimeoutMs: 400, maxThreads: 2 } });
  for (let i = 0; i < N; i++) {
    const grant = { namespace: 'wasi', package: 'http', interfaces: ['incoming-handler'], config: { host: `w${i}.test` } };
    await t.host.workloadStart(workload(`w${i}`, [{ name: 'web', image: `file://${hello}` }], [grant], { namespace: `ns${i}` }));
  }
});
afterAll(async () => {
  await t?.stop();
});

describe('many workloads on one host', () => {
  it('holds no instance for a started workload, and checks instantiation once per program', async () => {
    // The first start checked that the component instantiates; the others skipped the check,
    // so at most that one checked instance is warm (until the idle timeout).
    expect(t.logs.filter((l) => l.msg === 'checked that the component instantiates')).toHaveLength(1);
    expect(t.host.threads().contexts).toBeLessThanOrEqual(1);
    expect(t.host.threads()).toMatchObject({ leased: 0, queued: 0 });
    expect(t.host.list().filter((s) => s.state === 'Running')).toHaveLength(N);
  });

  it('instantiates on the first request and shrinks to zero threads when idle', async () => {
    for (let i = 0; i < N; i++) {
      expect(await t.request('/', { host: `w${i}.test` })).toEqual({ status: 200, text: 'hello from skiff' });
    }
    const busy = t.host.threads();
    expect(busy.threads).toBeGreaterThan(0);
    expect(busy.contexts).toBeGreaterThan(0);
    await waitFor('the pool to shrink to zero', () => t.host.threads().threads === 0);
    expect(t.host.threads().contexts).toBe(0);
    // And serves again from nothing.
    expect(await t.request('/', { host: 'w3.test' })).toEqual({ status: 200, text: 'hello from skiff' });
  });
});
