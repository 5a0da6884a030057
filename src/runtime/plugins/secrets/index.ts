/**
 * The `wasmcloud:secrets@1.0.0` plugin: `store.get(key)` hands the guest an opaque `secret`
 * handle and `reveal.reveal(handle)` its value. Values come only from the start (the grant's
 * layers, resolved by the host into SecretValues: docs/adr/0019-secrets.md); the plugin
 * keeps no copy, so the host's zeroing when the workload stops leaves nothing behind here.
 * Nothing the plugin logs or returns as an error holds a value: errors name keys.
 */
import type { HostInterface } from '../../../api/index.js';
import { SkiffError } from '../../errors.js';
import type { BindContext, HostPlugin, PluginBinding } from '../../plugin.js';
import { CLOSED_MESSAGE, Lifecycle, only } from '../common.js';

/** SECRETS_STORE is the unversioned name of `wasmcloud:secrets/store`. */
export const SECRETS_STORE = 'wasmcloud:secrets/store';
/** SECRETS_REVEAL is the unversioned name of `wasmcloud:secrets/reveal`. */
export const SECRETS_REVEAL = 'wasmcloud:secrets/reveal';

/** SecretsError is the `wasmcloud:secrets/store.secrets-error` variant as jco represents it. */
export type SecretsError = { tag: 'upstream'; val: string } | { tag: 'io'; val: string } | { tag: 'not-found' };

/** SecretValue is the `wasmcloud:secrets/store.secret-value` variant as jco represents it. */
export type SecretValue = { tag: 'string'; val: string } | { tag: 'bytes'; val: Uint8Array };

/** SecretConflictError means two `wasmcloud:secrets` grants of one component set the same key. */
export class SecretConflictError extends SkiffError {
  constructor(component: string, key: string) {
    super(
      'SKIFF_SECRET_CONFLICT',
      `component "${component}": secret key "${key}" is set by more than one wasmcloud:secrets grant`,
    );
  }
}

/** secretsPlugin returns the HostPlugin providing `wasmcloud:secrets/store` and `reveal`. */
export function secretsPlugin(): HostPlugin {
  return {
    id: 'wasmcloud:secrets',
    versions: ['1.0.0'],
    imports: [SECRETS_STORE, SECRETS_REVEAL],
    bind: bindSecrets,
  };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** secretValueOf turns a secret's bytes into the WIT variant: text when they are UTF-8, bytes otherwise. */
export function secretValueOf(bytes: Uint8Array): SecretValue {
  try {
    return { tag: 'string', val: utf8.decode(bytes) };
  } catch {
    return { tag: 'bytes', val: bytes };
  }
}

/** lookupFor returns where a component's keys are found: which grant holds each (a key in two grants is a conflict). */
function lookupFor(ctx: BindContext): (key: string) => Uint8Array | undefined {
  const grants: readonly HostInterface[] = ctx.grants;
  const read = (grant: HostInterface) => ctx.secretValues?.(grant) ?? new Map<string, Uint8Array>();
  const owner = new Map<string, HostInterface>();
  for (const grant of grants) {
    for (const key of read(grant).keys()) {
      if (owner.has(key)) throw new SecretConflictError(ctx.component.name, key);
      owner.set(key, grant);
    }
  }
  return (key) => {
    const grant = owner.get(key);
    return grant && read(grant).get(key);
  };
}

function bindSecrets(ctx: BindContext): PluginBinding {
  const life = new Lifecycle(ctx.signal);
  const lookup = lookupFor(ctx);
  // A handle carries its key only; the value is read from the host's buffers at reveal.
  const keys = new WeakMap<object, string>();

  /** Secret is the `wasmcloud:secrets/store.secret` resource of this binding: an opaque handle. */
  class Secret {
    [Symbol.dispose](): void {
      keys.delete(this);
    }
  }

  async function get(key: string): Promise<Secret> {
    if (life.closed) throw { tag: 'io', val: CLOSED_MESSAGE } satisfies SecretsError;
    if (lookup(key) === undefined) throw { tag: 'not-found' } satisfies SecretsError;
    const handle = new Secret();
    keys.set(handle, key);
    return handle;
  }

  async function reveal(handle: Secret): Promise<SecretValue> {
    const key = keys.get(handle);
    // `reveal` has no error case: what a well-behaved guest cannot cause traps the instance.
    if (key === undefined) throw new TypeError('not a secret handle of this binding');
    const bytes = life.closed ? undefined : lookup(key);
    if (bytes === undefined) throw new Error(`secret "${key}" cannot be revealed: ${CLOSED_MESSAGE}`);
    ctx.logger.debug({ key }, 'secret revealed');
    return secretValueOf(bytes);
  }

  const fragment = {
    [SECRETS_STORE]: { get, Secret },
    [SECRETS_REVEAL]: { reveal },
  };
  return {
    imports: only(ctx, fragment),
    close: () => life.close(),
  };
}
