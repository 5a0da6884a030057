/**
 * The config contract: every ConfigBackend must pass these tests, driven through the
 * plugin's import fragment the way jco calls it.
 */
import { describe, expect, it } from 'vitest';
import type { HostInterface } from '../../../api/index.js';
import { waitFor } from '../../../../test/support/wait.js';
import { bindFor, fn, thrown } from '../testing.js';
import type { ConfigBackend } from './backend.js';
import { CONFIG_STORE, configPlugin } from './index.js';

const GRANT: HostInterface = { namespace: 'wasi', package: 'config', interfaces: ['store'], version: '0.2.0-rc.1' };

/** ConfigSetter changes a component's configuration at run time through the backend under test. */
export type ConfigSetter = (
  ref: { namespace: string; workload: string; component: string },
  key: string,
  value: string | undefined,
) => Promise<void> | void;


/** configContract registers the config contract tests for backends made by `makeBackend`. */
export function configContract(
  name: string,
  makeBackend: () =>
    | Promise<{ backend: ConfigBackend; set: ConfigSetter }>
    | { backend: ConfigBackend; set: ConfigSetter },
): void {
  describe(`wasi:config contract: ${name}`, () => {
    const component = { name: 'web', config: { greeting: 'ahoy', mode: 'dev' } };

    it('gets single values and all values from the component config', async () => {
      const { backend } = await makeBackend();
      const b = await bindFor(configPlugin({ backend }), { grants: [GRANT], component });
      expect(await fn(b, CONFIG_STORE, 'get')('greeting')).toBe('ahoy');
      expect(await fn(b, CONFIG_STORE, 'get')('missing')).toBeUndefined();
      expect(await fn(b, CONFIG_STORE, 'get')('toString')).toBeUndefined();
      const all = await fn(b, CONFIG_STORE, 'getAll')();
      expect(new Map(all)).toEqual(
        new Map([
          ['greeting', 'ahoy'],
          ['mode', 'dev'],
        ]),
      );
    });

    it('serves an empty config when the component has none', async () => {
      const { backend } = await makeBackend();
      const b = await bindFor(configPlugin({ backend }), { grants: [GRANT], component: { name: 'bare' } });
      expect(await fn(b, CONFIG_STORE, 'getAll')()).toEqual([]);
    });

    it('binds nothing when the interface is not granted', async () => {
      const { backend } = await makeBackend();
      const b = await bindFor(configPlugin({ backend }), { grants: [] });
      expect(b.binding.imports).toEqual({});
    });

    it('lets run-time changes reach a running binding, for that component only', async () => {
      const { backend, set } = await makeBackend();
      const plugin = configPlugin({ backend });
      const b = await bindFor(plugin, { namespace: 'ns', name: 'wl', grants: [GRANT], component });
      const other = await bindFor(plugin, { namespace: 'other', name: 'wl', grants: [GRANT], component });
      await set({ namespace: 'ns', workload: 'wl', component: 'web' }, 'greeting', 'hello');
      await set({ namespace: 'ns', workload: 'wl', component: 'web' }, 'extra', 'yes');
      // A remote source propagates changes asynchronously: wait for them with a deadline.
      await waitFor('the new value', async () => (await fn(b, CONFIG_STORE, 'get')('greeting')) === 'hello', 5000);
      await waitFor(
        'the added key',
        async () => new Map(await fn(b, CONFIG_STORE, 'getAll')()).get('extra') === 'yes',
        5000,
      );
      expect(await fn(other, CONFIG_STORE, 'get')('greeting')).toBe('ahoy');
      await set({ namespace: 'ns', workload: 'wl', component: 'web' }, 'greeting', undefined);
      await waitFor('the manifest value again', async () => (await fn(b, CONFIG_STORE, 'get')('greeting')) === 'ahoy', 5000);
      expect(await fn(other, CONFIG_STORE, 'get')('greeting')).toBe('ahoy');
    });

    it('reports a failing source as upstream and a stopped workload as io', async () => {
      const failing: ConfigBackend = {
        open: () => ({
          get: () => Promise.reject(new Error('source down')),
          getAll: () => Promise.reject(new Error('source down')),
        }),
      };
      const b = await bindFor(configPlugin({ backend: failing }), { grants: [GRANT], component });
      expect(await thrown(fn(b, CONFIG_STORE, 'get')('greeting'))).toEqual({ tag: 'upstream', val: 'source down' });
      expect(await thrown(fn(b, CONFIG_STORE, 'getAll')())).toEqual({ tag: 'upstream', val: 'source down' });
      const { backend } = await makeBackend();
      const stopped = await bindFor(configPlugin({ backend }), { grants: [GRANT], component });
      await stopped.stop();
      expect(await thrown(fn(stopped, CONFIG_STORE, 'get')('greeting'))).toMatchObject({ tag: 'io' });
    });
  });
}
