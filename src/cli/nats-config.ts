/**
 * `skiff nats-config`: the NATS side of account mode (ADR 0022). `--new-operator-seed`
 * prints a fresh operator key (an nkey seed SO…) to keep in a Secret; `--operator-seed FILE
 * --resolver-dir DIR` prints the nats-server configuration that trusts that operator (the
 * operator JWT, the system account, a `full` resolver in DIR, the system and control accounts
 * preloaded), for `include` from the server's own configuration; `--host-creds ID` and
 * `--ctl-creds` print credentials files for a host started by hand and for `skiff ctl`.
 */
import { writeFile } from 'node:fs/promises';
import { createOperator, createUser } from '@nats-io/nkeys';
import { credentials, NatsIdentity, natsServerConfig, readOperatorSeed } from '../nats/accounts/index.js';
import { parseArgs, UsageError } from './args.js';

const USAGE = `usage: skiff nats-config --new-operator-seed
       skiff nats-config --operator-seed FILE --resolver-dir DIR [--out FILE]
       skiff nats-config --operator-seed FILE --host-creds HOST_ID | --ctl-creds | --namespace-creds NS
                         [--out FILE]
  --new-operator-seed    print a new NATS operator key (nkey seed); keep it in a Secret
  --operator-seed FILE   the operator key \`skiff operator --nats-operator-seed\` is given
  --resolver-dir DIR     where nats-server keeps the account JWTs the operator pushes (persistent)
  --host-creds HOST_ID   a control user for \`skiff host --name HOST_ID --nats-creds\`: only its own subjects
  --ctl-creds            the operator's control user, for \`skiff ctl --nats-creds\`
  --namespace-creds NS   a new user of namespace NS's account (its data, \`skiff ctl logs\`, \`nats\`);
                         the operator must have pushed the account (a first start there) before use
  --out FILE             write to FILE instead of stdout (an init container's)
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
      'host-creds': true,
      'ctl-creds': false,
      'namespace-creds': true,
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
    const wanted = ['resolver-dir', 'host-creds', 'ctl-creds', 'namespace-creds'].filter((f) => args.flags.has(f));
    if (!args.flags.has('operator-seed') || wanted.length !== 1) {
      throw new UsageError(
        '--operator-seed and one of --resolver-dir, --host-creds, --ctl-creds, --namespace-creds are required',
      );
    }
  } catch (err) {
    process.stderr.write(`skiff nats-config: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  try {
    const identity = new NatsIdentity(await readOperatorSeed(args.flags.get('operator-seed')!.at(-1)!));
    const resolverDir = args.flags.get('resolver-dir')?.at(-1);
    const hostId = args.flags.get('host-creds')?.at(-1);
    const namespace = args.flags.get('namespace-creds')?.at(-1);
    const config = resolverDir
      ? await natsServerConfig(identity, { resolverDir })
      : hostId
        ? await hostCreds(identity, hostId)
        : namespace
          ? await namespaceCreds(identity, namespace)
          : (await identity.operatorControlUser()).creds;
    const out = args.flags.get('out')?.at(-1);
    if (out) await writeFile(out, config, { mode: resolverDir ? 0o644 : 0o600 });
    else process.stdout.write(config);
    return 0;
  } catch (err) {
    process.stderr.write(`skiff nats-config: ${(err as Error).message}\n`);
    return 1;
  }
}

async function hostCreds(identity: NatsIdentity, hostId: string): Promise<string> {
  const kp = createUser();
  return credentials(await identity.hostControlUserJwt(hostId, kp.getPublicKey()), kp).creds;
}

async function namespaceCreds(identity: NatsIdentity, namespace: string): Promise<string> {
  const kp = createUser();
  return credentials(await identity.namespaceUserJwt(namespace, kp.getPublicKey()), kp).creds;
}
