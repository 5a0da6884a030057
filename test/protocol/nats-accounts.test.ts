/**
 * Isolation between namespaces and between hosts in NATS operator mode (ADR 0022), against a
 * real nats-server: a client holding namespace alpha's credentials sees nothing of beta's
 * KV buckets, object stores or messages and cannot reach control subjects; a host's control
 * user reaches only its own subjects. "Nothing visible" is shown with a marker: a message
 * sent after the probe arrives, and nothing else arrived before it.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { createOperator, createUser } from '@nats-io/nkeys';
import { Objm } from '@nats-io/obj';
import {
  connect,
  credsAuthenticator,
  type NatsConnection,
  PermissionViolationError,
  type Subscription,
} from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credentials, ensureAccount, NatsIdentity, natsServerConfig } from '../../src/nats/accounts/index.js';
import { startNats, type TestNatsServer } from '../support/nats.js';

const identity = new NatsIdentity(createOperator());
let server: TestNatsServer;
const open: NatsConnection[] = [];

async function connectAs(creds: Promise<{ creds: string }> | { creds: string }): Promise<NatsConnection> {
  const text = (await creds).creds;
  const nc = await connect({
    servers: server.url,
    authenticator: credsAuthenticator(new TextEncoder().encode(text)),
    reconnect: false,
  });
  open.push(nc);
  return nc;
}

async function namespaceUser(namespace: string) {
  const kp = createUser();
  return credentials(await identity.namespaceUserJwt(namespace, kp.getPublicKey()), kp);
}

async function hostUser(hostId: string) {
  const kp = createUser();
  return credentials(await identity.hostControlUserJwt(hostId, kp.getPublicKey()), kp);
}

/** nextPermissionError resolves with the next permission violation the server reports on `nc`. */
async function nextPermissionError(nc: NatsConnection): Promise<PermissionViolationError> {
  for await (const s of nc.status()) {
    if (s.type === 'error' && s.error instanceof PermissionViolationError) return s.error;
  }
  throw new Error('connection closed without a permission error');
}

/** collectUntil gathers the subjects `sub` receives until one equals `marker`. */
async function collectUntil(sub: Subscription, marker: string): Promise<string[]> {
  const seen: string[] = [];
  for await (const m of sub) {
    if (m.subject === marker) return seen;
    seen.push(m.subject);
  }
  throw new Error(`subscription ended before ${marker}`);
}

let alpha: NatsConnection;
let beta: NatsConnection;

beforeAll(async () => {
  server = await startNats({ configure: ({ resolverDir }) => natsServerConfig(identity, { resolverDir }) });
  const sys = await connectAs(identity.systemUser());
  for (const ns of ['alpha', 'beta']) await ensureAccount(sys, await identity.namespaceAccountJwt(ns));
  alpha = await connectAs(namespaceUser('alpha'));
  beta = await connectAs(namespaceUser('beta'));
  const kv = await new Kvm(beta).create('skiff_beta_data');
  await kv.put('secret', 'beta-only');
  const os = await new Objm(beta).create('skiff_beta_photos');
  await os.putBlob({ name: 'photo' }, new TextEncoder().encode('beta-photo'));
});

afterAll(async () => {
  await Promise.all(open.map((nc) => nc.close()));
  await server?.stop();
});

describe("a namespace's credentials", () => {
  it("list no other namespace's buckets or object stores", async () => {
    const jsm = await jetstreamManager(alpha);
    const names: string[] = [];
    for await (const name of jsm.streams.names()) names.push(name);
    expect(names).toEqual([]);
    const bucketNames: string[] = [];
    for await (const s of new Kvm(alpha).list()) bucketNames.push(s.bucket);
    expect(bucketNames).toEqual([]);
    // beta sees its own
    const betaNames: string[] = [];
    for await (const name of (await jetstreamManager(beta)).streams.names()) betaNames.push(name);
    expect(betaNames.sort()).toEqual(['KV_skiff_beta_data', 'OBJ_skiff_beta_photos']);
  });

  it("cannot read, watch or write another namespace's KV bucket", async () => {
    const bucket = await new Kvm(alpha).open('skiff_beta_data');
    await expect(bucket.status()).rejects.toThrow(/not found/i);
    await expect(bucket.get('secret')).rejects.toThrow(/not found|no responders/i);
    await expect(bucket.watch()).rejects.toThrow(/not found/i);
    const jsm = await jetstreamManager(alpha);
    await expect(jsm.streams.info('KV_skiff_beta_data')).rejects.toThrow(/not found/i);
    await expect(
      jsm.streams.getMessage('KV_skiff_beta_data', { last_by_subj: '$KV.skiff_beta_data.secret' }),
    ).rejects.toThrow(/not found/i);
    // A raw publish onto beta's KV subject lands in alpha's account, where no stream listens.
    await expect(alpha.request('$KV.skiff_beta_data.secret', 'overwritten', { timeout: 2_000 })).rejects.toThrow(
      /no responders/i,
    );
    // Creating the "same" bucket makes one in alpha's own account: beta's value is untouched.
    const own = await new Kvm(alpha).create('skiff_beta_data');
    expect(await own.get('secret')).toBeNull();
    await own.put('secret', 'alpha-write');
    const theirs = await new Kvm(beta).open('skiff_beta_data');
    expect((await theirs.get('secret'))?.string()).toBe('beta-only');
    await (await jetstreamManager(alpha)).streams.delete('KV_skiff_beta_data');
    expect((await theirs.get('secret'))?.string()).toBe('beta-only');
  });

  it("cannot read or list another namespace's object store", async () => {
    await expect(new Objm(alpha).open('skiff_beta_photos')).rejects.toThrow(/not found/i);
    const list: string[] = [];
    for await (const s of new Objm(alpha).list()) list.push(s.bucket);
    expect(list).toEqual([]);
    const theirs = await new Objm(beta).open('skiff_beta_photos');
    expect(new TextDecoder().decode((await theirs.getBlob('photo')) ?? undefined)).toBe('beta-photo');
  });

  it("receive none of another namespace's messages, even on '>'", async () => {
    const sub = alpha.subscribe('>');
    await alpha.flush();
    const seen = collectUntil(sub, 'alpha.marker');
    beta.publish('app.events', 'beta-secret');
    beta.publish('skiff.logs.beta.web', 'beta-log');
    await beta.flush(); // the server has routed both before the marker is even sent
    alpha.publish('alpha.marker');
    expect(await seen).toEqual([]);
    sub.unsubscribe();
  });

  it('cannot reach control subjects: no host of the control account answers or hears it', async () => {
    const host = await connectAs(hostUser('h1'));
    const heard = host.subscribe('skiff.host.h1.>');
    await host.flush();
    const seen = collectUntil(heard, 'skiff.host.h1.marker');
    await expect(alpha.request('skiff.host.h1.workload.start', '{}', { timeout: 2_000 })).rejects.toThrow(
      /no responders/i,
    );
    await expect(alpha.request('skiff.hosts.ping', '{}', { timeout: 2_000 })).rejects.toThrow(/no responders/i);
    alpha.publish('skiff.host.h1.heartbeat', 'forged');
    await alpha.flush();
    host.publish('skiff.host.h1.marker');
    expect(await seen).toEqual([]);
  });
});

describe("a host's control user", () => {
  it('publishes heartbeats and answers requests on its own subjects only', async () => {
    const operator = await connectAs(identity.operatorControlUser());
    const host = await connectAs(hostUser('h2'));
    const beats = operator.subscribe('skiff.host.*.heartbeat');
    await operator.flush();
    const requests = host.subscribe('skiff.host.h2.workload.*', {
      callback: (_err, m) => {
        m.respond('{"ok":true}');
      },
    });
    const ping = host.subscribe('skiff.hosts.ping', {
      callback: (_err, m) => {
        m.respond('{"hostId":"h2"}');
      },
    });
    await host.flush();
    host.publish('skiff.host.h2.heartbeat', 'beat');
    const first = await beats[Symbol.asyncIterator]().next();
    expect(first.value?.subject).toBe('skiff.host.h2.heartbeat');
    expect((await operator.request('skiff.host.h2.workload.status', '{}', { timeout: 2_000 })).string()).toBe(
      '{"ok":true}',
    );
    expect((await operator.request('skiff.hosts.ping', '{}', { timeout: 2_000 })).string()).toBe('{"hostId":"h2"}');
    requests.unsubscribe();
    ping.unsubscribe();
    beats.unsubscribe();
  });

  it("cannot publish to another host's subjects, logs or JetStream", async () => {
    const host = await connectAs(hostUser('h3'));
    for (const subject of [
      'skiff.host.h4.workload.start',
      'skiff.host.h4.heartbeat',
      'skiff.logs.beta.web',
      '$JS.API.INFO',
    ]) {
      const refused = nextPermissionError(host);
      host.publish(subject, 'x');
      const err = await refused;
      expect([err.operation, err.subject]).toEqual(['publish', subject]);
    }
  });

  it("cannot subscribe to another host's subjects, heartbeats or inboxes", async () => {
    const host = await connectAs(hostUser('h5'));
    for (const subject of ['skiff.host.h6.>', 'skiff.host.*.heartbeat', '_INBOX.>', '>']) {
      const sub = host.subscribe(subject);
      const ended = (async () => {
        for await (const _ of sub) throw new Error(`received a message on ${subject}`);
      })();
      await expect(ended).rejects.toBeInstanceOf(PermissionViolationError);
    }
  });
});

describe("the operator's control user", () => {
  it('cannot forge a heartbeat or listen to host requests', async () => {
    const operator = await connectAs(identity.operatorControlUser());
    const refused = nextPermissionError(operator);
    operator.publish('skiff.host.h7.heartbeat', 'forged');
    expect((await refused).subject).toBe('skiff.host.h7.heartbeat');
    const sub = operator.subscribe('skiff.host.h7.workload.start');
    const ended = (async () => {
      for await (const _ of sub) throw new Error('received a request');
    })();
    await expect(ended).rejects.toBeInstanceOf(PermissionViolationError);
  });
});
