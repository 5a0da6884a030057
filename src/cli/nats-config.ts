/**
 * `skiff nats-config`: the NATS side of account mode (ADR 0018). `--new-operator-seed`
 * prints a fresh operator key (an nkey seed SO…) to keep in a Secret; `--operator-seed FILE
 * --resolver-dir DIR` prints the nats-server configuration that trusts that operator (the
 * operator JWT, the system account, a `full` resolver in DIR, the system and control accounts
 * preloaded), for `include` from the server's own configuration.
 */
import { writeFile } from 'node:fs/promises';
import { createOperator } from '@nats-io/nkeys';
import { NatsIdentity, natsServerConfig, readOperatorSeed } from '../nats/accounts/index.js';
import { parseArgs, UsageError } from './args.js';

const USAGE = `usage: skiff nats-config --new-operator-seed
       skiff nats-config --operator-seed FILE --resolver-dir DIR [--out FILE]
  --new-operator-seed    print a new NATS operator key (nkey seed); keep it in a Secret
  --operator-seed FILE   the operator key \`skiff operator --nats-operator-seed\` is given
  --resolver-dir DIR     where nats-server keeps the account JWTs the operator pushes (persistent)
  --out FILE             write the configuration to FILE instead of stdout (an init container's)
`;

/** run runs `skiff nats-config`; it prints on stdout and resolves with the exit code. */
export async function run(argv: string[]): Promise<number> {
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs(argv, {
      'new-operator-seed': false,
      'operator-seed': true,
      'resolver-dir': true,
      out: true,
      help: false,
    });
    if (args.flags.has('help')) {
      process.stdout.write(USAGE);
      return 0;
    }
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument ${args.positionals[0]}`);
    if (args.flags.has('new-operator-seed')) {
      if (args.flags.has('operator-seed')) throw new UsageError('--new-operator-seed takes no --operator-seed');
      process.stdout.write(`${new TextDecoder().decode(createOperator().getSeed())}\n`);
      return 0;
    }
    if (!args.flags.has('operator-seed') || !args.flags.has('resolver-dir')) {
      throw new UsageError('--operator-seed and --resolver-dir are required');
    }
  } catch (err) {
    process.stderr.write(`skiff nats-config: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  try {
    const identity = new NatsIdentity(await readOperatorSeed(args.flags.get('operator-seed')!.at(-1)!));
    const config = await natsServerConfig(identity, { resolverDir: args.flags.get('resolver-dir')!.at(-1)! });
    const out = args.flags.get('out')?.at(-1);
    if (out) await writeFile(out, config, { mode: 0o644 });
    else process.stdout.write(config);
    return 0;
  } catch (err) {
    process.stderr.write(`skiff nats-config: ${(err as Error).message}\n`);
    return 1;
  }
}
