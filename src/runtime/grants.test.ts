import { describe, expect, it } from 'vitest';
import type { ImportedItem } from './engine/names.js';
import { planGrants, versionsCompatible } from './grants.js';
import type { HostPlugin } from './plugin.js';

const item = (name: string): ImportedItem => {
  const at = name.indexOf('@');
  return { name, unversioned: at < 0 ? name : name.slice(0, at), version: at < 0 ? undefined : name.slice(at + 1) };
};
const kv: HostPlugin = {
  id: 'wasi:keyvalue',
  imports: ['wasi:keyvalue/store', 'wasi:keyvalue/atomics'],
  bind: () => ({ imports: {} }),
};
const messaging: HostPlugin = {
  id: 'wasmcloud:messaging',
  imports: ['wasmcloud:messaging/consumer'],
  exports: ['wasmcloud:messaging/handler'],
  bind: () => ({ imports: {} }),
};

describe('versionsCompatible', () => {
  it('accepts patch differences and rejects minor/major or pre-release differences', () => {
    expect(versionsCompatible('0.2.0', '0.2.10')).toBe(true);
    expect(versionsCompatible('0.2.0-draft', '0.2.0-draft')).toBe(true);
    expect(versionsCompatible('0.2.0-draft', '0.2.0-draft2')).toBe(false);
    expect(versionsCompatible('0.2.0', '0.3.0')).toBe(false);
    expect(versionsCompatible('1.2.0', '1.3.1')).toBe(true);
    expect(versionsCompatible('1.0.0', '2.0.0')).toBe(false);
    expect(versionsCompatible(undefined, '0.2.0')).toBe(true);
  });
});

describe('planGrants', () => {
  it('refuses an import of a version the providing plugin does not implement, even under an unversioned grant', () => {
    const secrets: HostPlugin = {
      id: 'wasmcloud:secrets',
      versions: ['1.0.0'],
      imports: ['wasmcloud:secrets/store'],
      bind: () => ({ imports: {} }),
    };
    const unversioned = { namespace: 'wasmcloud', package: 'secrets', interfaces: ['store'] };
    expect(planGrants([item('wasmcloud:secrets/store@1.0.0')], [unversioned], [secrets]).missing).toEqual([]);
    expect(planGrants([item('wasmcloud:secrets/store@2.1.0')], [unversioned], [secrets]).missing).toEqual([
      'wasmcloud:secrets/store@2.1.0 (this host implements wasmcloud:secrets 1.0.0)',
    ]);
    // A plugin that declares no versions takes any.
    expect(
      planGrants(
        [item('wasi:keyvalue/store@0.9.0')],
        [{ ...unversioned, namespace: 'wasi', package: 'keyvalue' }],
        [kv],
      ).missing,
    ).toEqual([]);
  });

  const grant = { namespace: 'wasi', package: 'keyvalue', interfaces: ['store'], version: '0.2.0-draft' };

  it('lets the WASI core and wasi:http client interfaces through without grants', () => {
    const plan = planGrants(
      [item('wasi:io/streams@0.2.12'), item('wasi:cli/stdout@0.2.0'), item('wasi:http/types@0.2.10')],
      [],
      [],
    );
    expect(plan.missing).toEqual([]);
    expect(plan.bindings).toEqual([]);
  });

  it('hands a plugin every entry granting its package (named instances), in spec order', () => {
    const cache = { ...grant, name: 'cache', config: { backend: 'memory' } };
    const orders = { ...grant, name: 'orders', interfaces: ['store', 'atomics'], config: { backend: 'nats' } };
    const old = { ...grant, name: 'old', version: '0.1.0' };
    const plan = planGrants([item('wasi:keyvalue/store@0.2.0-draft')], [cache, old, orders], [kv]);
    expect(plan.missing).toEqual([]);
    expect(plan.bindings).toEqual([{ plugin: kv, interfaces: new Set(['wasi:keyvalue/store']), grants: [cache, orders] }]);
  });

  it('binds granted interfaces to the plugin that provides them', () => {
    const plan = planGrants([item('wasi:keyvalue/store@0.2.0-draft')], [grant], [kv]);
    expect(plan.missing).toEqual([]);
    expect(plan.bindings).toHaveLength(1);
    expect([...plan.bindings[0]!.interfaces]).toEqual(['wasi:keyvalue/store']);
  });

  it('names every import that is not granted, wrongly versioned or not provided', () => {
    const plan = planGrants(
      [
        item('wasi:keyvalue/atomics@0.2.0-draft'),
        item('wasi:keyvalue/store@0.3.0'),
        item('acme:custom/thing'),
        item('wasi:blobstore/blobstore@0.2.0-draft'),
      ],
      [grant, { namespace: 'wasi', package: 'blobstore', interfaces: ['blobstore'] }],
      [kv],
    );
    expect(plan.missing).toEqual([
      'wasi:keyvalue/atomics@0.2.0-draft (not granted in spec.hostInterfaces)',
      'wasi:keyvalue/store@0.3.0 (granted version 0.2.0-draft is not compatible)',
      'acme:custom/thing (not granted in spec.hostInterfaces)',
      'wasi:blobstore/blobstore@0.2.0-draft (granted, but this host has no plugin providing it)',
    ]);
  });

  it('brings along the package types interface and what the plugin declares implied', () => {
    const blob: HostPlugin = {
      id: 'wasi:blobstore',
      imports: ['wasi:blobstore/blobstore', 'wasi:blobstore/container', 'wasi:blobstore/types'],
      implied: { 'wasi:blobstore/blobstore': ['wasi:blobstore/container'] },
      bind: () => ({ imports: {} }),
    };
    const plan = planGrants(
      [item('wasi:blobstore/blobstore'), item('wasi:blobstore/container'), item('wasi:blobstore/types')],
      [{ namespace: 'wasi', package: 'blobstore', interfaces: ['blobstore'] }],
      [blob],
    );
    expect(plan.missing).toEqual([]);
    expect([...plan.bindings[0]!.interfaces].sort()).toEqual([
      'wasi:blobstore/blobstore',
      'wasi:blobstore/container',
      'wasi:blobstore/types',
    ]);
    const onlyContainer = planGrants(
      [item('wasi:blobstore/blobstore')],
      [{ namespace: 'wasi', package: 'blobstore', interfaces: ['container'] }],
      [blob],
    );
    expect(onlyContainer.missing).toEqual(['wasi:blobstore/blobstore (not granted in spec.hostInterfaces)']);
  });

  it('binds a plugin that drives a granted export even when nothing is imported from it', () => {
    const plan = planGrants(
      [],
      [{ namespace: 'wasmcloud', package: 'messaging', interfaces: ['handler'] }],
      [messaging],
    );
    expect(plan.bindings.map((b) => [...b.interfaces])).toEqual([['wasmcloud:messaging/handler']]);
  });
});
