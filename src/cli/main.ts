/**
 * The `skiff` command line: `skiff dev | host | operator | ctl | gen | push | nats-config`.
 * Each subcommand lives in its own module exporting `run(argv)`, which returns an exit code.
 */

type Run = (argv: string[]) => Promise<number>;

const commands: Record<string, { summary: string; load: () => Promise<{ run: Run }> }> = {
  dev: { summary: 'run a Workload manifest or a .wasm locally with in-memory capabilities', load: () => import('./dev.js') },
  gen: { summary: 'generate crds/*.yaml from the API schemas (--check: fail on drift)', load: () => import('./gen.js') },
  host: { summary: 'run a long-running host driven over NATS (heartbeats, start/stop/status)', load: () => import('./host.js') },
  operator: {
    summary: 'reconcile Workload resources onto hosts and write their status (Kubernetes)',
    load: () => import('./operator.js'),
  },
  ctl: { summary: 'talk to hosts over NATS: hosts | start FILE | status | stop NAME | logs NAME', load: () => import('./ctl.js') },
  push: { summary: 'publish a component to an OCI registry and print its digest', load: () => import('./push.js') },
  'nats-config': {
    summary: 'NATS account mode: a new operator key, or the nats-server configuration for one',
    load: () => import('./nats-config.js'),
  },
};

function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return `usage: skiff <command> [options]\n\ncommands:\n${lines.join('\n')}\n`;
}

/** main runs the subcommand named by argv[0] and resolves with the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`skiff: unknown command "${name}"\n${usage()}`);
    return 2;
  }
  const mod = await command.load();
  return mod.run(rest);
}
