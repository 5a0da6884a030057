/**
 * `skiff dev` with a service: the manifest's HTTP component (tcp-client-c) reaches the
 * service (service-c, echo mode) on the workload's virtual loopback, as it would on a host.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { fixturePath } from '../support/fixtures.js';
import { waitFor } from '../support/wait.js';

describe('skiff dev', () => {
  it('runs a workload with a service its HTTP component talks to over TCP', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-dev-service-'));
    const file = join(dir, 'workload.yaml');
    const manifest = {
      apiVersion: 'runtime.skiff.dev/v1alpha1',
      kind: 'Workload',
      metadata: { name: 'echo' },
      spec: {
        components: [
          { name: 'web', image: `file://${await fixturePath('tcp-client-c')}`, environment: { TCP_PORT: '7070' } },
        ],
        hostInterfaces: [{ namespace: 'wasi', package: 'http', interfaces: ['incoming-handler'] }],
        service: {
          name: 'echo',
          image: `file://${await fixturePath('service-c')}`,
          environment: { SERVICE_MODE: 'echo' },
        },
      },
    };
    // JSON is YAML.
    writeFileSync(file, JSON.stringify(manifest, null, 2));
    const cli = runCli(['dev', file, '--port', '0', '--metrics-port', '0', '--no-watch']);
    try {
      const [, url] = await cli.waitFor(/serving echo on (http:\/\/127\.0\.0\.1:\d+\/)/);
      // The service listens a moment after its start: until then the component is refused (502).
      const res = await waitFor('the service to answer through the component', async () => {
        const r = await fetch(url!);
        return r.status === 200 && { status: r.status, text: await r.text() };
      });
      expect(res).toEqual({ status: 200, text: 'echo: hello from http\n' });
    } finally {
      expect(await cli.stop()).toBe(0);
    }
  });
});
