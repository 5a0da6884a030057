import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { announcedInterfaces } from '../control/heartbeat.js';
import { BackendSettingsError, hostPlugins } from './backends.js';
import { STORE } from './keyvalue/index.js';
import { BackendUnavailableError } from './multiplex.js';
import { bindFor, bytes, fn } from './testing.js';

const root = mkdtempSync(join(tmpdir(), 'skiff-backends-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const grant = (name?: string, backend?: string) => ({
  namespace: 'wasi',
  package: 'keyvalue',
  interfaces: ['store'],
  ...(name ? { name } : {}),
  ...(backend ? { config: { backend } } : {}),
});
const keyvalueOf = (plugins: ReturnType<typeof hostPlugins>) => plugins.find((p) => p.id === 'wasi:keyvalue')!;

describe('hostPlugins', () => {
  it('uses the filesystem by default when given a data directory, memory when asked', async () => {
    const dir = join(root, 'a');
    const b = await bindFor(keyvalueOf(hostPlugins({ dataDir: dir })), { namespace: 'dev', grants: [grant()] });
    await (await fn(b, STORE, 'open')('notes')).set('k', bytes('v'));
    expect(existsSync(join(dir, 'keyvalue', 'dev', 'notes', 'k'))).toBe(true);

    const dir2 = join(root, 'b');
    const plugins = hostPlugins({ dataDir: dir2, keyvalue: 'memory' });
    const m = await bindFor(keyvalueOf(plugins), {
      namespace: 'dev',
      grants: [grant(), grant('durable', 'filesystem')],
    });
    await (await fn(m, STORE, 'open')('notes')).set('k', bytes('v'));
    await (await fn(m, STORE, 'open')('durable')).set('k', bytes('v'));
    expect(existsSync(join(dir2, 'keyvalue', 'dev', 'notes'))).toBe(false);
    expect(existsSync(join(dir2, 'keyvalue', 'dev', 'durable', 'k'))).toBe(true);
  });

  it('refuses a default backend the settings do not enable, and a grant selecting one', async () => {
    expect(() => hostPlugins({ keyvalue: 'redis' })).toThrow(BackendSettingsError);
    expect(() => hostPlugins({ blobstore: 'filesystem' })).toThrow(
      /"filesystem" is not enabled \(set a data directory\)/,
    );
    const plugin = keyvalueOf(hostPlugins({}));
    await expect(bindFor(plugin, { grants: [grant('orders', 'nats')] })).rejects.toThrow(BackendUnavailableError);
  });

  it('leaves disabled capabilities out, so heartbeats do not announce them', () => {
    const all = announcedInterfaces(hostPlugins({}));
    expect(all).toContain('wasmcloud:messaging/consumer');
    expect(all).toContain('wasi:keyvalue/store');
    const plugins = hostPlugins({ disabled: ['messaging', 'keyvalue'] });
    expect(plugins.map((p) => p.id).sort()).toEqual([
      'wasi:blobstore',
      'wasi:config',
      'wasi:logging',
      'wasi:otel',
      'wasmcloud:secrets',
    ]);
    const some = announcedInterfaces(plugins);
    expect(some.filter((i) => i.startsWith('wasmcloud:messaging') || i.startsWith('wasi:keyvalue'))).toEqual([]);
    expect(some).toContain('wasi:blobstore/blobstore');
    // A disabled capability's backend is never created, so its settings need not enable it.
    expect(() => hostPlugins({ keyvalue: 'redis', disabled: ['keyvalue'] })).not.toThrow();
  });

  it('refuses NATS for config, logging or messaging without a NATS connection', () => {
    for (const what of ['config', 'logging', 'messaging'] as const) {
      expect(() => hostPlugins({ [what]: 'nats' })).toThrow(
        new RegExp(`default ${what} backend "nats" is not enabled \\(connect to NATS\\)`),
      );
      expect(() => hostPlugins({ [what]: 'memory' })).not.toThrow();
    }
  });
});
