/**
 * The kubeconfig file of the test environment (certificates embedded, so it works from
 * anywhere).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';
import type { Credentials } from './http.js';

/** writeKubeconfig writes a kubeconfig for `creds` to `path`, with context `skiff-testenv`. */
export async function writeKubeconfig(path: string, creds: Credentials): Promise<void> {
  const b64 = async (file: string) => (await readFile(file)).toString('base64');
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'skiff-testenv',
        cluster: { server: creds.server, 'certificate-authority-data': await b64(creds.caFile) },
      },
    ],
    users: [
      {
        name: 'admin',
        user: {
          'client-certificate-data': await b64(creds.certFile),
          'client-key-data': await b64(creds.keyFile),
        },
      },
    ],
    contexts: [{ name: 'skiff-testenv', context: { cluster: 'skiff-testenv', user: 'admin', namespace: 'default' } }],
    'current-context': 'skiff-testenv',
  };
  await writeFile(path, stringify(config), { mode: 0o600 });
}
