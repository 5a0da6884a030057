/**
 * The messaging contract: every MessagingBackend must pass these tests. Guests are stood
 * in for by `invoke` callbacks that record what the handler export received.
 */
import { describe, expect, it } from 'vitest';
import type { HostInterface } from '../../../api/index.js';
import { waitFor } from '../../../../test/support/wait.js';
import { bindFor, bytes, fn, type TestBinding, text, thrown } from '../testing.js';
import type { BrokerMessage, MessagingBackend } from './backend.js';
import { CONSUMER, HANDLER, messagingPlugin, TYPES } from './index.js';

/** messagingContract registers the messaging contract tests for backends made by `makeBackend`. */
export function messagingContract(name: string, makeBackend: () => Promise<MessagingBackend> | MessagingBackend): void {
  describe(`wasmcloud:messaging contract: ${name}`, () => {
    const grant = (config?: Record<string, string>): HostInterface => ({
      namespace: 'wasmcloud',
      package: 'messaging',
      interfaces: ['consumer', 'handler'],
      version: '0.2.0',
      ...(config ? { config } : {}),
    });

    async function setup() {
      const plugin = messagingPlugin({ backend: await makeBackend() });
      // handler binds a workload whose handler export records messages (and may answer them).
      async function handler(opts: {
        namespace?: string;
        name?: string;
        config?: Record<string, string>;
        componentConfig?: Record<string, string>;
        answer?: (msg: BrokerMessage, self: TestBinding) => Promise<void>;
      }) {
        const got: BrokerMessage[] = [];
        let self: TestBinding | undefined;
        self = await bindFor(plugin, {
          namespace: opts.namespace ?? 'ns',
          name: opts.name ?? 'worker',
          grants: [grant(opts.config)],
          component: { name: 'main', ...(opts.componentConfig ? { config: opts.componentConfig } : {}) },
          invoke: async (iface, func, args) => {
            expect([iface, func]).toEqual([HANDLER, 'handleMessage']);
            const msg = args[0] as BrokerMessage;
            got.push(msg);
            if (msg.body.length > 0 && text(msg.body) === 'fail') throw { payload: 'handler refused' };
            await opts.answer?.(msg, self!);
          },
        });
        await self.binding.ready?.();
        return { b: self, got };
      }
      const client = await bindFor(plugin, { namespace: 'other', name: 'client', grants: [grant()] });
      const publish = (subject: string, body: string, replyTo?: string) =>
        fn(client, CONSUMER, 'publish')({ subject, body: bytes(body), replyTo });
      return { plugin, handler, client, publish };
    }

    it('binds consumer and types when granted, nothing otherwise', async () => {
      const plugin = messagingPlugin({ backend: await makeBackend() });
      const b = await bindFor(plugin, { grants: [grant()] });
      expect(Object.keys(b.binding.imports).sort()).toEqual([CONSUMER, TYPES]);
      expect((await bindFor(plugin, { grants: [] })).binding.imports).toEqual({});
    });

    it('delivers published messages across workloads to subscribed handlers, wildcards included', async () => {
      const { handler, publish } = await setup();
      const h = await handler({ config: { subscriptions: 'orders.created, audit.>' } });
      await publish('orders.created', 'one');
      await publish('audit.orders.created', 'two');
      await publish('unrelated', 'three');
      await waitFor('both messages handled', () => h.got.length === 2, 5000);
      expect(h.got.map((m) => [m.subject, text(m.body)])).toEqual([
        ['orders.created', 'one'],
        ['audit.orders.created', 'two'],
      ]);
    });

    it('prefers the component config subscriptions over the grant config', async () => {
      const { handler, publish } = await setup();
      const h = await handler({
        config: { subscriptions: 'from.grant' },
        componentConfig: { subscriptions: 'from.component' },
      });
      await publish('from.grant', 'x');
      await publish('from.component', 'y');
      await waitFor('the first message handled', () => h.got.length >= 1, 5000);
      await publish('from.component', 'z');
      await waitFor('the second message handled', () => h.got.length >= 2, 5000);
      expect(h.got.map((m) => text(m.body))).toEqual(['y', 'z']);
    });

    it('answers requests through reply-to, and reports timeouts and no responders', async () => {
      const { handler, client } = await setup();
      await handler({
        config: { subscriptions: 'echo' },
        answer: async (msg, self) => {
          if (text(msg.body) === 'ignore') return;
          await fn(self, CONSUMER, 'publish')({ subject: msg.replyTo, body: bytes(`re: ${text(msg.body)}`) });
        },
      });
      const request = fn(client, CONSUMER, 'request');
      const reply = await request('echo', bytes('hi'), 2000);
      expect(text(reply.body)).toBe('re: hi');
      expect(typeof reply.subject).toBe('string');
      expect(await thrown(request('echo', bytes('ignore'), 20))).toEqual(expect.stringContaining('timed out'));
      expect(await thrown(request('nobody.home', bytes('hi'), 2000))).toEqual(expect.any(String));
    });

    it('shares messages among replicas in a queue group, or broadcasts when asked', async () => {
      const { handler, publish } = await setup();
      const r1 = await handler({ name: 'grouped', config: { subscriptions: 'jobs' } });
      const r2 = await handler({ name: 'grouped', config: { subscriptions: 'jobs' } });
      const b1 = await handler({ name: 'fan', config: { subscriptions: 'jobs', consumer_group: 'broadcast' } });
      const b2 = await handler({ name: 'fan', config: { subscriptions: 'jobs', consumer_group: 'broadcast' } });
      for (let i = 0; i < 10; i++) await publish('jobs', `job-${i}`);
      await waitFor(
        'every delivery',
        () => r1.got.length + r2.got.length === 10 && b1.got.length === 10 && b2.got.length === 10,
        5000,
      );
      expect(new Set([...r1.got, ...r2.got].map((m) => text(m.body))).size).toBe(10);
    });

    it('logs handler errors and keeps delivering', async () => {
      const { handler, publish } = await setup();
      const h = await handler({ config: { subscriptions: 'work' } });
      await publish('work', 'fail');
      await publish('work', 'ok');
      await waitFor(
        'the failed handler in the log',
        () => h.got.length === 2 && h.b.logs.some((l) => l.msg === 'message handler failed'),
        5000,
      );
      expect(h.b.logs.find((l) => l.msg === 'message handler failed')).toMatchObject({ err: 'handler refused' });
    });

    it('rejects invalid subjects with an error string', async () => {
      const { client, handler } = await setup();
      const publish = fn(client, CONSUMER, 'publish');
      expect(await thrown(publish({ subject: '', body: bytes('') }))).toEqual(expect.any(String));
      expect(await thrown(publish({ subject: 'a.*', body: bytes('') }))).toEqual(expect.any(String));
      expect(await thrown(publish({ subject: 'a', body: bytes(''), replyTo: 'has space' }))).toEqual(
        expect.any(String),
      );
      expect(await thrown(fn(client, CONSUMER, 'request')('a b', bytes(''), 10))).toEqual(expect.any(String));
      const h = await handler({ config: { subscriptions: 'bad..subject,good' } });
      expect(h.b.logs.some((l) => l.msg === 'ignoring an invalid or reserved subscription subject')).toBe(true);
    });

    it('keeps guests off platform subjects: control plane, JetStream, inboxes, catch-all patterns', async () => {
      const { client, handler } = await setup();
      const publish = fn(client, CONSUMER, 'publish');
      const request = fn(client, CONSUMER, 'request');
      for (const subject of ['skiff.host.h1.workload.stop', '$JS.API.STREAM.DELETE.x', '$KV.b.k', '_INBOX.abc']) {
        expect(await thrown(publish({ subject, body: bytes('') }))).toMatch(/is reserved/);
        expect(await thrown(request(subject, bytes(''), 10))).toMatch(/is reserved/);
      }
      expect(await thrown(publish({ subject: 'a', body: bytes(''), replyTo: 'skiff.host.h1.workload.stop' }))).toMatch(
        /is reserved/,
      );
      const h = await handler({ config: { subscriptions: '>,*.workload.start,skiff.>,$JS.>' } });
      expect(h.b.logs.filter((l) => l.msg === 'ignoring an invalid or reserved subscription subject')).toHaveLength(4);
    });

    it('stops deliveries and calls after close', async () => {
      const { handler, publish, client } = await setup();
      const closed = await handler({ name: 'closed', config: { subscriptions: 'news' } });
      const open = await handler({ name: 'open', config: { subscriptions: 'news' } });
      await closed.b.stop();
      await publish('news', 'after close');
      await waitFor('the message to the open subscription', () => open.got.length === 1, 5000);
      expect(closed.got).toEqual([]);
      await client.stop();
      expect(await thrown(fn(client, CONSUMER, 'publish')({ subject: 'news', body: bytes('') }))).toEqual(
        expect.any(String),
      );
    });
  });
}
