/**
 * `skiff host` with capabilities switched off, as a user runs it (a separate process, a
 * real nats-server): its heartbeats announce neither the disabled plugins nor, with http
 * off, the HTTP incoming handler and port; contradictory flags exit 2.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Heartbeat } from '../../src/api/index.js';
import { heartbeatSchema } from '../../src/api/index.js';
import { decode } from '../../src/nats/codec.js';
import { connectNats } from '../../src/nats/connection.js';
import { heartbeatSubject } from '../../src/nats/subjects.js';
import { type CliRun, runCli } from '../support/cli.js';
import { useNats } from '../support/nats.js';
import { waitFor } from '../support/wait.js';

const nats = useNats();
const runs: CliRun[] = [];
afterAll(async () => {
  await Promise.all(runs.map((r) => r.stop()));
});

const host = (id: string, ...extra: string[]) => {
  const run = runCli(['host', '--nats', nats().url, '--name', id, '--port', '0', '--metrics-port', '0', ...extra]);
  runs.push(run);
  return run;
};

async function heartbeat(id: string): Promise<Heartbeat> {
  const nc = await connectNats({ servers: [nats().url] }, { name: 'test heartbeat reader' });
  try {
    const seen: Heartbeat[] = [];
    const sub = nc.subscribe(heartbeatSubject(id), {
      callback: (_e, m) => void seen.push(decode(heartbeatSchema, m.data, 'heartbeat')),
    });
    await waitFor(`a heartbeat of ${id}`, () => seen.length > 0, 10_000);
    sub.unsubscribe();
    return seen[0]!;
  } finally {
    await nc.close();
  }
}

describe('skiff host --disable-plugin', () => {
  it('announces neither disabled plugins nor, with http off, the incoming handler and an HTTP port', async () => {
    const all = host('plug-all', '--bind', '127.0.0.1', '--heartbeat-seconds', '0.2');
    const some = host(
      'plug-some',
      '--bind',
      '127.0.0.1',
      '--heartbeat-seconds',
      '0.2',
      '--disable-plugin',
      'messaging,http',
      '--disable-plugin',
      'blobstore',
      '--config-backend',
      'memory',
      '--logging-backend',
      'nats',
    );
    await all.waitFor(/plug-all ready; http port \d+/);
    await some.waitFor(/plug-some ready; http port none/);
    const [a, s] = [await heartbeat('plug-all'), await heartbeat('plug-some')];
    expect(a.interfaces).toEqual(
      expect.arrayContaining(['wasmcloud:messaging/consumer', 'wasi:http/incoming-handler']),
    );
    expect(a.httpPort).toBeGreaterThan(0);
    const off = (i: string) => /^(wasmcloud:messaging|wasi:blobstore|wasi:http)\//.test(i);
    expect(s.interfaces.filter(off)).toEqual([]);
    expect(s.interfaces).toEqual(expect.arrayContaining(['wasi:keyvalue/store', 'wasi:config/store']));
    expect(s.httpPort).toBeUndefined();
  });

  it('exits 2 on a backend for a disabled plugin and on an unknown plugin name', async () => {
    const both = runCli(['host', '--nats', nats().url, '--disable-plugin', 'keyvalue', '--keyvalue-backend', 'memory']);
    expect(await both.exited).toBe(2);
    expect(both.output()).toContain('--keyvalue-backend and --disable-plugin keyvalue contradict each other');
    const unknown = runCli(['host', '--nats', nats().url, '--disable-plugin', 'sql']);
    expect(await unknown.exited).toBe(2);
    expect(unknown.output()).toContain('--disable-plugin must name one of');
  });
});
