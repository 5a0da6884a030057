/**
 * Names jco uses for imports: turning JS member names back into WIT names for the list
 * of JSPI async imports, and reading a component's import list from its WIT.
 */
import type { InterfaceShape } from '../channel/bridge.js';

export type { InterfaceShape };

/** kebab converts a jco JS name (`getMany`, `OutgoingValue`) back to its WIT name (`get-many`, `outgoing-value`). */
export function kebab(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1-$2')
    .toLowerCase();
}
function isClass(value: unknown): value is new (...args: unknown[]) => unknown {
  return typeof value === 'function' && /^class[\s{]/.test(Function.prototype.toString.call(value));
}


/** shapeOf describes an import fragment entry: its functions and its classes' statics and methods. */
export function shapeOf(members: Record<string, unknown>): InterfaceShape {
  const shape: InterfaceShape = { functions: [], classes: {} };
  for (const [name, value] of Object.entries(members)) {
    if (isClass(value)) {
      const methods = new Set<string>();
      for (let proto = value.prototype; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
        for (const m of Object.getOwnPropertyNames(proto)) {
          if (m !== 'constructor' && typeof Object.getOwnPropertyDescriptor(proto, m)?.value === 'function') {
            methods.add(m);
          }
        }
      }
      const statics = Object.getOwnPropertyNames(value).filter(
        (s) => !['length', 'name', 'prototype'].includes(s) && typeof (value as unknown as Record<string, unknown>)[s] === 'function',
      );
      shape.classes[name] = { statics, methods: [...methods] };
    } else if (typeof value === 'function') {
      shape.functions.push(name);
    }
  }
  return shape;
}

/** asyncImportNames lists jco's names (`iface#[method]res.fn`) of every function in a shape. */
export function asyncImportNames(iface: string, shape: InterfaceShape): string[] {
  const names = shape.functions.map((f) => `${iface}#${kebab(f)}`);
  for (const [cls, { statics, methods }] of Object.entries(shape.classes)) {
    const res = kebab(cls);
    names.push(`${iface}#[constructor]${res}`);
    for (const s of statics) names.push(`${iface}#[static]${res}.${kebab(s)}`);
    for (const m of methods) names.push(`${iface}#[method]${res}.${kebab(m)}`);
  }
  return names;
}

/**
 * ASYNC_IO_IMPORTS are the wasi:io functions that may wait: every stream and poll
 * operation, because a stream handed out by a plugin lives in the host's main thread.
 */
export const ASYNC_IO_IMPORTS: readonly string[] = [
  'wasi:io/poll#poll',
  'wasi:io/poll#[method]pollable.block',
  'wasi:io/poll#[method]pollable.ready',
  ...['read', 'blocking-read', 'skip', 'blocking-skip', 'subscribe'].map(
    (m) => `wasi:io/streams#[method]input-stream.${m}`,
  ),
  ...[
    'check-write',
    'write',
    'blocking-write-and-flush',
    'flush',
    'blocking-flush',
    'subscribe',
    'write-zeroes',
    'blocking-write-zeroes-and-flush',
    'splice',
    'blocking-splice',
  ].map((m) => `wasi:io/streams#[method]output-stream.${m}`),
];

/** ImportedItem is one import of a component world: an interface (`wasi:http/types@0.2.0`) or a bare function. */
export interface ImportedItem {
  /** name is the full name as written in the world, versioned when the interface has a version. */
  readonly name: string;
  /** unversioned is the name without its `@version` suffix. */
  readonly unversioned: string;
  /** version is the package version, if any. */
  readonly version?: string | undefined;
}

/** importedItem splits a world name into its unversioned name and version. */
export function importedItem(name: string): ImportedItem {
  const at = name.indexOf('@');
  return { name, unversioned: at < 0 ? name : name.slice(0, at), version: at < 0 ? undefined : name.slice(at + 1) };
}

/** parseWorldImports reads the top-level imports (or exports) from the WIT text jco's componentWit prints. */
export function parseWorldImports(wit: string, keyword: 'import' | 'export' = 'import'): ImportedItem[] {
  const items: ImportedItem[] = [];
  let depth = 0;
  let inWorld = false;
  for (const raw of wit.split('\n')) {
    const line = raw.trim();
    if (!inWorld && /^world\s/.test(line)) {
      inWorld = true;
      depth = 0;
    }
    if (inWorld && depth === 1) {
      const m =
        new RegExp(`^${keyword}\\s+(%?[a-z0-9-]+:[a-z0-9-]+(?:\\/[%a-z0-9-]+)?(?:@[^;\\s]+)?)\\s*;`).exec(line) ??
        new RegExp(`^${keyword}\\s+(%?[a-z0-9-]+)\\s*:`).exec(line);
      if (m) {
        items.push(importedItem(m[1]!.replace(/%/g, '')));
      }
    }
    for (const ch of line) {
      if (ch === '{') depth++;
      else if (ch === '}') {
        depth--;
        if (inWorld && depth === 0) inWorld = false;
      }
    }
  }
  return items;
}
