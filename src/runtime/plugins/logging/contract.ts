/**
 * The logging contract: every LogBackend must pass these tests. Records reach both the
 * workload's pino logger (with workload and component fields) and the backend.
 */
import { describe, expect, it } from 'vitest';
import type { HostInterface } from '../../../api/index.js';
import { bindFor, fn } from '../testing.js';
import type { LogBackend, LogRecord } from './backend.js';
import { LOGGING, loggingPlugin } from './index.js';

const GRANT: HostInterface = { namespace: 'wasi', package: 'logging', interfaces: ['logging'], version: '0.1.0-draft' };
const PINO_NUMBERS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, critical: 60 } as const;

/** logRecordsOf reads back what a backend under test received, in order. */
export type LogReader = () => Promise<readonly LogRecord[]> | readonly LogRecord[];

/** loggingContract registers the logging contract tests for backends made by `makeBackend`. */
export function loggingContract(
  name: string,
  makeBackend: () => Promise<{ backend: LogBackend; read: LogReader }> | { backend: LogBackend; read: LogReader },
): void {
  describe(`wasi:logging contract: ${name}`, () => {
    it('writes every level to pino with workload fields and to the backend', async () => {
      const { backend, read } = await makeBackend();
      const b = await bindFor(loggingPlugin({ backend }), {
        namespace: 'ns',
        name: 'wl',
        grants: [GRANT],
        component: { name: 'web' },
      });
      const log = fn(b, LOGGING, 'log');
      for (const level of Object.keys(PINO_NUMBERS) as (keyof typeof PINO_NUMBERS)[]) {
        expect(log(level, 'ctx', `message at ${level}`)).toBeUndefined();
      }
      const guest = b.logs.filter((l) => l.source === 'guest');
      expect(guest.map((l) => l.level)).toEqual(Object.values(PINO_NUMBERS));
      expect(guest[5]).toMatchObject({
        workload: 'ns/wl',
        component: 'web',
        context: 'ctx',
        msg: 'message at critical',
      });
      const records = await read();
      expect(records.map((r) => r.level)).toEqual(Object.keys(PINO_NUMBERS));
      expect(records[0]).toMatchObject({ namespace: 'ns', workload: 'wl', component: 'web', context: 'ctx' });
    });

    it('binds nothing when the interface is not granted', async () => {
      const { backend } = await makeBackend();
      const b = await bindFor(loggingPlugin({ backend }), { grants: [] });
      expect(b.binding.imports).toEqual({});
    });

    it('drops records after the workload stops', async () => {
      const { backend, read } = await makeBackend();
      const b = await bindFor(loggingPlugin({ backend }), { grants: [GRANT] });
      await b.stop();
      fn(b, LOGGING, 'log')('info', '', 'late');
      expect(await read()).toEqual([]);
    });

    it('never fails the guest when the backend fails', async () => {
      const failing: LogBackend = {
        write: (r) =>
          r.message === 'sync'
            ? (() => {
                throw new Error('down');
              })()
            : Promise.reject(new Error('down')),
      };
      const b = await bindFor(loggingPlugin({ backend: failing }), { grants: [GRANT] });
      expect(fn(b, LOGGING, 'log')('info', '', 'sync')).toBeUndefined();
      expect(fn(b, LOGGING, 'log')('info', '', 'async')).toBeUndefined();
      await new Promise((resolve) => setImmediate(resolve));
      expect(b.logs.filter((l) => l.msg === 'log backend write failed')).toHaveLength(2);
      expect(b.logs.filter((l) => l.source === 'guest')).toHaveLength(2);
    });
  });
}
