/**
 * `skiff push FILE REF [--insecure] [--docker-config PATH] [--source URL]`: publish a
 * component in the wasm OCI layout and print the manifest digest.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { credentialsFor, formatReference, parseReference, pushComponent, readDockerConfig } from '../runtime/oci/index.js';
import { parseArgs, UsageError } from './args.js';

const USAGE =
  'usage: skiff push FILE REF [--insecure] [--docker-config PATH] [--source URL]\n' +
  '  REF is registry/repository[:tag], e.g. ghcr.io/team/hello:1.0\n' +
  '  --insecure        speak plain HTTP to this registry (loopback registries always use HTTP)\n' +
  '  --docker-config   docker config JSON with credentials (default ~/.docker/config.json)\n' +
  '  --source          org.opencontainers.image.source annotation (default: FILE)\n';

/** run runs `skiff push`; it prints the manifest digest on stdout and resolves with the exit code. */
export async function run(argv: string[]): Promise<number> {
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs(argv, { insecure: false, 'docker-config': true, source: true, help: false });
    if (args.flags.has('help')) {
      process.stdout.write(USAGE);
      return 0;
    }
    if (args.positionals.length !== 2) throw new UsageError('expected FILE and REF');
  } catch (err) {
    process.stderr.write(`skiff push: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const [file, image] = args.positionals as [string, string];
  try {
    const ref = parseReference(image);
    const bytes = new Uint8Array(await readFile(file));
    const configPath = args.flags.get('docker-config')?.at(-1);
    const config = await readDockerConfig(configPath ?? join(homedir(), '.docker', 'config.json'), !configPath);
    const started = performance.now();
    const result = await pushComponent(ref, bytes, {
      label: image,
      credentials: credentialsFor(config, ref.registry),
      insecure: args.flags.has('insecure') ? [ref.registry] : [],
      annotations: {
        'org.opencontainers.image.source': args.flags.get('source')?.at(-1) ?? file,
        'org.opencontainers.image.created': new Date().toISOString(),
      },
    });
    const ms = Math.round(performance.now() - started);
    process.stderr.write(
      `skiff push: pushed ${formatReference(ref)} (${result.size} bytes, component ${result.layerDigest}) in ${ms} ms\n`,
    );
    process.stdout.write(`${result.manifestDigest}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`skiff push: ${(err as Error).message}\n`);
    return 1;
  }
}
