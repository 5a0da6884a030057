import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createWasiImports, WASI_INTERFACES } from './index.js';

// The newest 0.2.x WIT jco ships: a superset of every 0.2.x patch release guests use.
const require = createRequire(import.meta.url);
const witRoot = join(dirname(require.resolve('@bytecodealliance/jco')), '..', 'lib/wit/builtin/0.2.12');
const PACKAGES = ['cli', 'clocks', 'random', 'io', 'filesystem', 'sockets'];
const EXPORTED = new Set(['wasi:cli/run']);

interface WitInterface {
  functions: string[];
  resources: Map<string, string[]>;
}

const camel = (s: string) => s.replace(/^%/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
const pascal = (s: string) => camel(s).replace(/^./, (c) => c.toUpperCase());

function parse(pkg: string): Map<string, WitInterface> {
  const out = new Map<string, WitInterface>();
  let iface: WitInterface | undefined;
  let resource: string[] | undefined;
  for (const raw of readFileSync(join(witRoot, `wasi-${pkg}`, 'package.wit'), 'utf8').split('\n')) {
    const line = raw.trim();
    const ifaceMatch = /^interface ([a-z-]+) \{/.exec(line);
    if (ifaceMatch) {
      iface = { functions: [], resources: new Map() };
      out.set(`wasi:${pkg}/${ifaceMatch[1]}`, iface);
      continue;
    }
    if (/^world /.test(line)) iface = undefined;
    if (!iface) continue;
    const res = /^resource ([a-z-]+)( \{|;)/.exec(line);
    if (res) {
      const methods: string[] = [];
      iface.resources.set(pascal(res[1]!), methods);
      resource = res[2] === ' {' ? methods : undefined;
      continue;
    }
    if (line === '}' && resource) {
      resource = undefined;
      continue;
    }
    const fn = /^(%?[a-z-]+): (static )?func/.exec(line);
    if (fn) {
      if (resource && !fn[2]) resource.push(camel(fn[1]!));
      else if (!resource) iface.functions.push(camel(fn[1]!));
    }
  }
  return out;
}

describe('WASI 0.2 coverage', () => {
  const wasi = createWasiImports({}) as unknown as Record<string, Record<string, unknown>>;
  const all = new Map(PACKAGES.flatMap((p) => [...parse(p)]));

  it('provides every imported interface of wasi:cli, clocks, random, io, filesystem and sockets', () => {
    const expected = [...all.keys()].filter((k) => !EXPORTED.has(k)).sort();
    expect(expected.length).toBeGreaterThan(20);
    expect(all.get('wasi:filesystem/types')?.resources.get('Descriptor')?.length).toBeGreaterThan(25);
    expect(all.get('wasi:io/streams')?.resources.get('OutputStream')).toContain('blockingWriteAndFlush');
    expect([...WASI_INTERFACES].sort()).toEqual(expected);
  });

  for (const [name, iface] of all) {
    if (EXPORTED.has(name)) continue;
    it(`implements every function and resource method of ${name}`, () => {
      const fragment = wasi[name]!;
      for (const fn of iface.functions) expect(fragment[fn], `${name}#${fn}`).toBeTypeOf('function');
      for (const [cls, methods] of iface.resources) {
        const ctor = fragment[cls] as (new () => Record<string, unknown>) | undefined;
        expect(ctor, `${name} resource ${cls}`).toBeTypeOf('function');
        const proto = ctor!.prototype as Record<string, unknown>;
        // Methods live on the prototype or, for the denied socket classes, on each instance.
        const sample =
          cls in
          { TcpSocket: 1, UdpSocket: 1, ResolveAddressStream: 1, IncomingDatagramStream: 1, OutgoingDatagramStream: 1 }
            ? new ctor!()
            : proto;
        for (const m of methods) expect(sample[m] ?? proto[m], `${name} ${cls}.${m}`).toBeTypeOf('function');
      }
    });
  }
});
