/**
 * The WASI P2 core every workload gets, built fresh per workload by
 * {@link createWasiImports}: `wasi:cli` (env, args, stdout/stderr into callbacks, exit),
 * `wasi:clocks`, `wasi:random`, `wasi:io` (the shim's shared classes, our `poll`),
 * `wasi:filesystem` limited to the workload's preopens, and `wasi:sockets` under the
 * workload's policy (sockets/). Keys are unversioned interface names, as jco expects.
 */

import { io } from '../../shared/shim.js';
import { createCli } from './cli.js';
import { createClocks, createRandom } from './clocks.js';
import { createFilesystem, type Preopen } from './fs/index.js';
import { createPoll } from './poll.js';
import { createSockets, type SocketOptions } from './sockets/index.js';

export { isWasiExit, WasiExitError } from './exit.js';
export type { Preopen } from './fs/index.js';
export type { SocketOptions } from './sockets/index.js';

/** WasiOptions configures the WASI core of one workload. */
export interface WasiOptions {
  /** env is the guest's environment, as a map or as ordered pairs. */
  env?: Readonly<Record<string, string>> | readonly (readonly [string, string])[];
  /** args are the guest's arguments (`args[0]` is conventionally the program name). */
  args?: readonly string[];
  /** cwd is what `initial-cwd` returns; none by default. */
  cwd?: string;
  /** preopens are the only directories the guest can reach; none by default. */
  preopens?: readonly Preopen[];
  /** stdout receives each line the guest writes to stdout, without its newline. */
  stdout?: (line: string) => void;
  /** stderr receives each line the guest writes to stderr, without its newline. */
  stderr?: (line: string) => void;
  /** sockets configure wasi:sockets; without them no egress, no loopback. */
  sockets?: SocketOptions;
}

/** WASI_INTERFACES lists every interface (unversioned) {@link createWasiImports} provides. */
export const WASI_INTERFACES = [
  'wasi:cli/environment',
  'wasi:cli/exit',
  'wasi:cli/stdin',
  'wasi:cli/stdout',
  'wasi:cli/stderr',
  'wasi:cli/terminal-input',
  'wasi:cli/terminal-output',
  'wasi:cli/terminal-stdin',
  'wasi:cli/terminal-stdout',
  'wasi:cli/terminal-stderr',
  'wasi:clocks/monotonic-clock',
  'wasi:clocks/wall-clock',
  'wasi:clocks/timezone',
  'wasi:random/random',
  'wasi:random/insecure',
  'wasi:random/insecure-seed',
  'wasi:io/error',
  'wasi:io/streams',
  'wasi:io/poll',
  'wasi:filesystem/types',
  'wasi:filesystem/preopens',
  'wasi:sockets/instance-network',
  'wasi:sockets/network',
  'wasi:sockets/ip-name-lookup',
  'wasi:sockets/tcp-create-socket',
  'wasi:sockets/tcp',
  'wasi:sockets/udp-create-socket',
  'wasi:sockets/udp',
] as const;

/** WasiInterface is one interface name in {@link WASI_INTERFACES}. */
export type WasiInterface = (typeof WASI_INTERFACES)[number];

/** WasiControl is the host-side handle on a workload's WASI core (not part of the guest's imports). */
export interface WasiControl {
  /** flush emits the guest's unterminated stdout/stderr lines. */
  flush(): void;
  /** close flushes output and closes every host file the guest still holds open. */
  close(): void;
  /** openFiles is the number of host files the guest holds open. */
  readonly openFiles: number;
}

/**
 * WasiImports is the import fragment (keyed by unversioned interface name) plus a
 * non-enumerable `control`, so spreading the fragment into an import object copies only
 * the interfaces.
 */
export type WasiImports = { readonly [K in WasiInterface]: Record<string, unknown> } & {
  readonly control: WasiControl;
};

/** createWasiImports builds a fresh WASI P2 core import fragment for one workload. */
export function createWasiImports(options: WasiOptions = {}): WasiImports {
  const ignore = () => {};
  const cli = createCli({
    env: options.env ?? {},
    args: options.args ?? [],
    cwd: options.cwd,
    stdout: options.stdout ?? ignore,
    stderr: options.stderr ?? ignore,
  });
  const fs = createFilesystem(options.preopens ?? []);
  const sockets = createSockets(options.sockets);
  const fragment = {
    ...cli.imports,
    ...createClocks(),
    ...createRandom(),
    'wasi:io/error': { ...io.error },
    'wasi:io/streams': { ...io.streams },
    'wasi:io/poll': createPoll(),
    ...fs.imports,
    ...sockets.imports,
  };
  const control: WasiControl = {
    flush: cli.flush,
    close: () => {
      cli.flush();
      fs.close();
      sockets.close();
    },
    get openFiles() {
      return fs.openFiles;
    },
  };
  Object.defineProperty(fragment, 'control', { value: control, enumerable: false });
  return fragment as unknown as WasiImports;
}
