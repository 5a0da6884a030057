/**
 * NATS connection settings, parsed once from command-line flags with environment fallbacks
 * into a frozen object. The only place the NATS code reads `process.env`.
 */
/** NatsSettings say where NATS is and how to authenticate; at most one auth method is set. */
export interface NatsSettings {
  readonly servers: readonly string[];
  readonly user?: string | undefined;
  readonly password?: string | undefined;
  readonly token?: string | undefined;
  /** nkeySeedFile holds an nkey seed (SU…). */
  readonly nkeySeedFile?: string | undefined;
  /** credsFile is a NATS credentials file (JWT + nkey seed). */
  readonly credsFile?: string | undefined;
  readonly tls?: { readonly caFile?: string; readonly certFile?: string; readonly keyFile?: string } | undefined;
}

/** NatsSettingsError is a bad combination of NATS flags; the message says what to fix. */
export class NatsSettingsError extends Error {
  override readonly name = 'NatsSettingsError';
  readonly code = 'SKIFF_NATS_SETTINGS';
}

/** NATS_FLAGS are the flags every NATS-using command accepts (for parseArgs: all take a value). */
export const NATS_FLAGS = {
  nats: true,
  'nats-user': true,
  'nats-password': true,
  'nats-token': true,
  'nats-nkey-seed': true,
  'nats-creds': true,
  'nats-tls-ca': true,
  'nats-tls-cert': true,
  'nats-tls-key': true,
} as const;

/** NATS_USAGE documents NATS_FLAGS and their environment fallbacks. */
export const NATS_USAGE = `NATS options (flag, or environment variable):
  --nats URL[,URL]        SKIFF_NATS_URL        server(s), nats:// or tls://
  --nats-user U           SKIFF_NATS_USER       with --nats-password / SKIFF_NATS_PASSWORD
  --nats-token T          SKIFF_NATS_TOKEN
  --nats-nkey-seed FILE   SKIFF_NATS_NKEY_SEED  file holding an nkey seed
  --nats-creds FILE       SKIFF_NATS_CREDS      credentials file (JWT + seed)
  --nats-tls-ca FILE      SKIFF_NATS_TLS_CA     --nats-tls-cert / --nats-tls-key for client certs
`;

const ENV: Record<keyof typeof NATS_FLAGS, string> = {
  nats: 'SKIFF_NATS_URL',
  'nats-user': 'SKIFF_NATS_USER',
  'nats-password': 'SKIFF_NATS_PASSWORD',
  'nats-token': 'SKIFF_NATS_TOKEN',
  'nats-nkey-seed': 'SKIFF_NATS_NKEY_SEED',
  'nats-creds': 'SKIFF_NATS_CREDS',
  'nats-tls-ca': 'SKIFF_NATS_TLS_CA',
  'nats-tls-cert': 'SKIFF_NATS_TLS_CERT',
  'nats-tls-key': 'SKIFF_NATS_TLS_KEY',
};

/** natsSettings reads the NATS flags (falling back to the environment); undefined when no server is named. */
export function natsSettings(
  args: { readonly flags: ReadonlyMap<string, readonly string[]> },
  env: NodeJS.ProcessEnv = process.env,
): NatsSettings | undefined {
  const get = (flag: keyof typeof NATS_FLAGS) => args.flags.get(flag)?.at(-1) ?? (env[ENV[flag]] || undefined);
  const url = get('nats');
  if (!url) return undefined;
  const servers = url
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const s of servers) {
    if (!/^(nats|tls|wss?):\/\/[^\s]+$|^[^\s:/]+(:\d+)?$/.test(s)) {
      throw new NatsSettingsError(`--nats: ${JSON.stringify(s)} is not a NATS URL (nats://host:port)`);
    }
  }
  const user = get('nats-user');
  const password = get('nats-password');
  const token = get('nats-token');
  const nkeySeedFile = get('nats-nkey-seed');
  const credsFile = get('nats-creds');
  if ((user === undefined) !== (password === undefined)) {
    throw new NatsSettingsError('--nats-user and --nats-password go together');
  }
  const methods = [user, token, nkeySeedFile, credsFile].filter((m) => m !== undefined).length;
  if (methods > 1) {
    throw new NatsSettingsError(
      'choose one of --nats-user/--nats-password, --nats-token, --nats-nkey-seed, --nats-creds',
    );
  }
  const caFile = get('nats-tls-ca');
  const certFile = get('nats-tls-cert');
  const keyFile = get('nats-tls-key');
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw new NatsSettingsError('--nats-tls-cert and --nats-tls-key go together');
  }
  const tls =
    caFile || certFile
      ? Object.freeze({ ...(caFile ? { caFile } : {}), ...(certFile && keyFile ? { certFile, keyFile } : {}) })
      : undefined;
  return Object.freeze({ servers: Object.freeze(servers), user, password, token, nkeySeedFile, credsFile, tls });
}
