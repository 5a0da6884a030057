/**
 * Helpers for the control-protocol tests: a real host answering over a real NATS server,
 * a client on its own connection, and waiting on conditions with deadlines.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import type { Workload } from '../../src/api/index.js';
import { ControlClient } from '../../src/nats/client.js';
import { connectNats } from '../../src/nats/connection.js';
import { HostControl, type HostControlOptions } from '../../src/runtime/control/index.js';
import type { ComponentSource } from '../../src/runtime/engine/source.js';
import type { Router } from '../../src/runtime/http/routers.js';
import type { HostPlugin } from '../../src/runtime/plugin.js';
import { fixturePath } from '../support/fixtures.js';
import { HTTP_GRANT, startTestHost, type TestHost, workload } from '../support/host.js';

/** ControlledTestHost is a started host, its control protocol, and a client to drive it. */
export interface ControlledTestHost {
  t: TestHost;
  control: HostControl;
  hostNc: NatsConnection;
  clientNc: NatsConnection;
  client: ControlClient;
  stop(): Promise<void>;
}

/** startControlledHost starts a host with HostControl on `url` and a separate client connection. */
export async function startControlledHost(
  url: string,
  options: {
    id: string;
    plugins?: HostPlugin[];
    sources?: ComponentSource[];
    logLevel?: string;
    router?: Router;
  } & Partial<Omit<HostControlOptions, 'nc' | 'host'>>,
): Promise<ControlledTestHost> {
  const { id, plugins, sources, logLevel, router, ...controlOptions } = options;
  const t = await startTestHost({
    plugins: plugins ?? [],
    sources: sources ?? [],
    logLevel,
    ...(router ? { router } : {}),
  });
  // The test host has a random id; the protocol needs a known one.
  Object.defineProperty(t.host, 'id', { value: id });
  const hostNc = await connectNats({ servers: [url] }, { name: `test-host ${id}` });
  const control = new HostControl({ nc: hostNc, host: t.host, logger: t.host.logger, ...controlOptions });
  await control.start();
  const clientNc = await connectNats({ servers: [url] }, { name: 'test-client' });
  return {
    t,
    control,
    hostNc,
    clientNc,
    client: new ControlClient(clientNc, { timeoutMs: 10_000 }),
    async stop() {
      await control.stop();
      await t.stop();
      await hostNc.close();
      await clientNc.close();
    },
  };
}

/** helloWorkload is the hello-js guest serving HTTP, with a fixed uid and the given generation. */
export async function helloWorkload(name: string, generation = 1, uid = `uid-${name}`): Promise<Workload> {
  const wasm = await fixturePath('hello-js');
  const w = workload(name, [{ name: 'web', image: `file://${wasm}` }], [HTTP_GRANT]);
  w.metadata.uid = uid;
  w.metadata.generation = generation;
  return w;
}
