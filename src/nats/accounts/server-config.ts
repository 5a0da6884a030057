/**
 * The nats-server configuration of operator mode (ADR 0022): trust the operator JWT, name
 * the system account, keep account JWTs in a `full` resolver directory (so the operator can
 * push new ones over `$SYS.REQ.CLAIMS.UPDATE`), and preload the system and control
 * accounts so the operator and hosts can connect before anything was pushed.
 */
import type { NatsIdentity } from './mint.js';

/** ServerConfigOptions say where the server keeps the account JWTs it is sent. */
export interface ServerConfigOptions {
  /** resolverDir is the directory of the full account resolver. */
  readonly resolverDir: string;
}

/** natsServerConfig renders the `operator` / `resolver` part of a nats-server configuration file. */
export async function natsServerConfig(identity: NatsIdentity, options: ServerConfigOptions): Promise<string> {
  const [operator, system, control] = await Promise.all([
    identity.operatorJwt(),
    identity.systemAccountJwt(),
    identity.controlAccountJwt(),
  ]);
  return [
    `operator: ${JSON.stringify(operator)}`,
    `system_account: ${JSON.stringify(identity.systemAccountKey)}`,
    'resolver: {',
    '  type: full',
    `  dir: ${JSON.stringify(options.resolverDir)}`,
    '  allow_delete: false',
    '  interval: "2m"',
    '}',
    'resolver_preload: {',
    `  ${identity.systemAccountKey}: ${JSON.stringify(system)}`,
    `  ${identity.controlAccountKey}: ${JSON.stringify(control)}`,
    '}',
    '',
  ].join('\n');
}
