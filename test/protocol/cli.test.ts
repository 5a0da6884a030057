/**
 * `skiff host` and `skiff ctl` as a user runs them: separate processes, a real nats-server,
 * a Workload manifest file, HTTP by virtual host, and a clean SIGTERM.
 */

import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Heartbeat, heartbeatSchema } from '../../src/api/index.js';
import { formatLogLine, table } from '../../src/cli/ctl.js';
import { defaultHostId, parseLabels, podIdentity } from '../../src/cli/host.js';
import { decode, encode } from '../../src/nats/codec.js';
import { connectNats } from '../../src/nats/connection.js';
import { heartbeatSubject, workloadLogSubject } from '../../src/nats/subjects.js';
import { type CliRun, runCli } from '../support/cli.js';
import { fixturePath } from '../support/fixtures.js';
import { useNats } from '../support/nats.js';
import { freePort } from '../support/ports.js';
import { waitFor } from '../support/wait.js';

const nats = useNats();
let host: CliRun;
let httpPort: number;
let metricsPort: number;
let manifest: string;

async function ctl(...args: string[]): Promise<{ code: number; out: string }> {
  const run = runCli(['ctl', '--nats', nats().url, ...args]);
  const code = await run.exited;
  return { code, out: run.output() };
}

function get(port: number, vhost: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ hostname: '127.0.0.1', port, path: '/', headers: { host: vhost } }, (res) => {
      let text = '';
      res.on('data', (d) => {
        text += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  const wasm = await fixturePath('hello-js');
  const dir = mkdtempSync(join(tmpdir(), 'skiff-ctl-'));
  manifest = join(dir, 'hello.yaml');
  writeFileSync(
    manifest,
    `apiVersion: runtime.skiff.dev/v1alpha1
kind: Workload
metadata:
  name: hello
  namespace: web
spec:
  hostSelector: { zone: a }
  components:
    - name: web
      image: file://${wasm}
  hostInterfaces:
    - namespace: wasi
      package: http
      interfaces: [incoming-handler]
      config: { host: hello.test }
`,
  );
  metricsPort = await freePort();
  host = runCli(
    [
      'host',
      '--nats',
      nats().url,
      '--name',
      'cli-host',
      '--label',
      'zone=a',
      '--port',
      '0',
      '--bind',
      '127.0.0.1',
      '--metrics-port',
      String(metricsPort),
      '--heartbeat-seconds',
      '1',
      '--allow-file-images',
      dirname(wasm),
    ],
    {
      // In a pod these come from the downward API.
      SKIFF_POD_NAMESPACE: 'skiff',
      SKIFF_POD_NAME: 'skiff-host-0',
      SKIFF_POD_UID: '0b5e3c1a-1111-4222-8333-444455556666',
      SKIFF_POD_IP: '10.244.0.7',
    },
  );
  const m = await host.waitFor(/cli-host ready; http port (\d+)/);
  httpPort = Number(m[1]);
});
afterAll(async () => {
  await host?.stop();
});

describe('skiff host + skiff ctl', () => {
  it('ctl hosts lists the host with its labels', async () => {
    const { code, out } = await ctl('hosts', '--wait-ms', '500');
    expect(code).toBe(0);
    expect(out).toMatch(/^HOST\s+STATUS\s+POD\s+WORKLOADS/m);
    expect(out).toMatch(/^cli-host\s+Ready\s+skiff\/skiff-host-0\s+0\/100\s+\d+\s+\d+Mi\s+zone=a\s+\d+$/m);
  });

  it('heartbeats carry the pod, the HTTP port and versioned interfaces', async () => {
    const { code, out } = await ctl('hosts', '--json', '--wait-ms', '500');
    expect(code).toBe(0);
    const [hb] = JSON.parse(out) as Heartbeat[];
    expect(hb).toMatchObject({
      hostId: 'cli-host',
      podName: 'skiff-host-0',
      pod: { namespace: 'skiff', name: 'skiff-host-0', uid: '0b5e3c1a-1111-4222-8333-444455556666', ip: '10.244.0.7' },
      httpPort,
      cordoned: false,
    });
    expect(hb!.interfaces).toEqual(
      expect.arrayContaining(['wasi:http/incoming-handler@0.2.0', 'wasi:keyvalue/store@0.2.0-draft']),
    );
  });

  it('ctl start runs the manifest on a matching host; it serves its virtual host', async () => {
    const { code, out } = await ctl('start', manifest);
    expect(out).toContain('web/hello Running on cli-host (generation 1)');
    expect(code).toBe(0);
    expect(await get(httpPort, 'hello.test')).toEqual({ status: 200, text: 'hello from skiff' });
    expect((await get(httpPort, 'other.test')).status).toBe(404);
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/skiff_http_requests_total\{workload="web\/hello",code="200"\} 1/);
  });

  it('a second ctl start is the next generation and replaces the first', async () => {
    const { code, out } = await ctl('start', manifest, '--host', 'cli-host');
    expect(out).toContain('web/hello Running on cli-host (generation 2)');
    expect(code).toBe(0);
  });

  it('ctl status shows the workload; an unknown one exits 1', async () => {
    const { code, out } = await ctl('status', 'web/hello');
    expect(code).toBe(0);
    expect(out).toMatch(/^web\/hello\s+cli-host\s+Running\s+2\s*$/m);
    const missing = await ctl('status', 'nope');
    expect(missing.code).toBe(1);
    expect(missing.out).toContain('default/nope runs on no host');
  });

  it('ctl start refuses a manifest no host matches, naming why', async () => {
    const other = manifest.replace(/hello\.yaml$/, 'other.yaml');
    writeFileSync(other, (await import('node:fs')).readFileSync(manifest, 'utf8').replace('zone: a', 'zone: b'));
    const { code, out } = await ctl('start', other);
    expect(code).toBe(1);
    expect(out).toContain(
      'skiff ctl start: web/hello: 1 of 1 replicas fit on no host: NoMatchingHosts: no host matches hostSelector zone=b',
    );
  });

  it('ctl cordon keeps new workloads off a host; uncordon lets them on again', async () => {
    const other = manifest.replace(/hello\.yaml$/, 'second.yaml');
    writeFileSync(
      other,
      (await import('node:fs'))
        .readFileSync(manifest, 'utf8')
        .replace('name: hello', 'name: second')
        .replace('hello.test', 'second.test'),
    );
    expect(await ctl('cordon', 'cli-host')).toEqual({ code: 0, out: 'cli-host cordoned\n' });
    expect((await ctl('hosts', '--wait-ms', '500')).out).toMatch(/^cli-host\s+Cordoned\s/m);
    const refused = await ctl('start', other);
    expect(refused.code).toBe(1);
    expect(refused.out).toContain(
      'web/second: 1 of 1 replicas fit on no host: InsufficientCapacity: 0 of 1 matching hosts have room (1 cordoned)',
    );
    // What it runs may still be updated.
    expect((await ctl('start', manifest)).out).toContain('web/hello Running on cli-host (generation 3)');
    expect(await ctl('uncordon', 'cli-host')).toEqual({ code: 0, out: 'cli-host uncordoned\n' });
    const started = await ctl('start', other);
    expect(started.out).toContain('web/second Running on cli-host (generation 1)');
    expect(started.code).toBe(0);
    expect(await get(httpPort, 'second.test')).toEqual({ status: 200, text: 'hello from skiff' });
    expect((await ctl('stop', 'web/second')).code).toBe(0);
  });

  it('ctl start of two replicas on one host starts one and says the other fits nowhere', async () => {
    const two = manifest.replace(/hello\.yaml$/, 'two.yaml');
    writeFileSync(
      two,
      (await import('node:fs'))
        .readFileSync(manifest, 'utf8')
        .replace('name: hello', 'name: two')
        .replace('hello.test', 'two.test')
        .replace('spec:\n', 'spec:\n  replicas: 2\n'),
    );
    const { code, out } = await ctl('start', two);
    expect(out).toContain('web/two Running on cli-host (generation 1)');
    expect(out).toContain(
      'skiff ctl start: web/two: 1 of 2 replicas fit on no host: InsufficientCapacity: 1 of 1 matching hosts have room; 2 replicas need 2 hosts, one replica per host',
    );
    expect(code).toBe(1);
    expect((await ctl('stop', 'web/two')).code).toBe(0);
  });

  it('ctl stop stops it everywhere (draining it first with --drain-ms)', async () => {
    const { code, out } = await ctl('stop', 'web/hello', '--drain-ms', '200');
    expect(out).toContain('web/hello stopped on cli-host');
    expect(code).toBe(0);
    expect((await get(httpPort, 'hello.test')).status).toBe(404);
    expect((await ctl('stop', 'web/hello')).code).toBe(1);
    // Naming the host: a workload it does not have is already stopped.
    expect(await ctl('stop', 'web/hello', '--host', 'cli-host')).toEqual({
      code: 0,
      out: 'web/hello does not run on cli-host\n',
    });
  });

  it('SIGTERM stops the host cleanly with a last "stopping" heartbeat', async () => {
    const nc = await connectNats({ servers: [nats().url] });
    const last: boolean[] = [];
    const sub = nc.subscribe(heartbeatSubject('cli-host'), {
      callback: (_e, m) => {
        last.push(decode(heartbeatSchema, m.data, 'heartbeat').stopping === true);
      },
    });
    await nc.flush();
    const code = await host.stop();
    expect(code).toBe(0);
    await waitFor('the goodbye heartbeat', () => last.includes(true), 5_000);
    sub.unsubscribe();
    await nc.close();
  });
});

describe('skiff ctl logs', () => {
  it('follows the workload log subject until SIGTERM', async () => {
    const logs = runCli(['ctl', '--nats', nats().url, 'logs', 'web/hello']);
    const nc = await connectNats({ servers: [nats().url] });
    const line = encode({ level: 'warn', context: 'app', message: 'disk almost full' });
    // The subscription is ready at some point after start: publish until the line shows.
    await waitFor(
      'the log line',
      () => {
        nc.publish(workloadLogSubject('web', 'hello'), line);
        return logs.output().includes('WARN [app] disk almost full');
      },
      30_000,
    );
    expect(await logs.stop()).toBe(0);
    await nc.close();
  });
});

describe('cli helpers', () => {
  it('read the pod identity from flags (winning) and SKIFF_POD_*', () => {
    const flags = (entries: Record<string, string>) => new Map(Object.entries(entries).map(([k, v]) => [k, [v]]));
    const env = { namespace: 'skiff', name: 'env-pod', uid: 'u-1', ip: '10.0.0.1' };
    expect(podIdentity(flags({}), {})).toEqual({});
    expect(podIdentity(flags({ 'pod-name': 'p' }), {})).toEqual({ podName: 'p' });
    expect(podIdentity(flags({ 'pod-name': 'flag-pod', 'pod-ip': 'fd00::7' }), env)).toEqual({
      podName: 'flag-pod',
      pod: { namespace: 'skiff', name: 'flag-pod', uid: 'u-1', ip: 'fd00::7' },
    });
    expect(() => podIdentity(flags({ 'pod-name': 'p', 'pod-namespace': 'ns' }), {})).toThrow(
      '--pod-namespace, --pod-name, --pod-uid and --pod-ip go together; missing --pod-uid, --pod-ip',
    );
    expect(() => podIdentity(flags({}), { ...env, ip: 'not-an-ip' })).toThrow(/^--pod-ip: /);
  });

  it('parse labels, derive host ids, render tables and log lines', () => {
    expect(parseLabels(['a=1', 'b=x=y'])).toEqual({ a: '1', b: 'x=y' });
    expect(() => parseLabels(['nokey'])).toThrow('--label "nokey" must be key=value');
    expect(defaultHostId('pod.example.com')).toBe('pod-example-com');
    expect(
      table([
        ['A', 'BB'],
        ['ccc', 'd'],
      ]),
    ).toBe('A    BB\nccc  d\n');
    expect(formatLogLine('{"level":"info","context":"app","message":"hi"}')).toBe('INFO [app] hi');
    expect(formatLogLine('plain')).toBe('plain');
  });
});
