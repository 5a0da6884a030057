/**
 * Throwaway certificates for the test environment, made with openssl: a CA, a serving
 * certificate for localhost, a client certificate for `admin` in `system:masters`, and a
 * service-account signing key.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TestEnvError } from './errors.js';

const run = promisify(execFile);

function serial(): string {
  return `0x${randomBytes(12).toString('hex')}`;
}

/** CertPaths are the files written by makeCerts. */
export type CertPaths = Readonly<{
  caCert: string;
  caKey: string;
  servingCert: string;
  servingKey: string;
  clientCert: string;
  clientKey: string;
  serviceAccountKey: string;
  serviceAccountPub: string;
}>;

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

async function openssl(args: string[]): Promise<void> {
  try {
    await run('openssl', args);
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new TestEnvError(
      'SKIFF_TESTENV_CERTS',
      `openssl ${args[0]} failed (is openssl installed?): ${stderr.trim()}`,
      {
        cause: err,
      },
    );
  }
}

async function signed(dir: string, name: string, subject: string, extensions: string, paths: CertPaths): Promise<void> {
  const ext = join(dir, `${name}.ext`);
  await writeFile(ext, extensions);
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  await openssl(['req', '-new', ...EC, '-keyout', key, '-out', csr, '-subj', subject]);
  await openssl(
    ['x509', '-req', '-in', csr, '-CA', paths.caCert, '-CAkey', paths.caKey, '-set_serial', serial()].concat([
      '-out',
      join(dir, `${name}.crt`),
      '-days',
      '7',
      '-extfile',
      ext,
    ]),
  );
}

/** makeCerts writes a fresh CA and the certificates signed by it into `dir`. */
export async function makeCerts(dir: string): Promise<CertPaths> {
  const paths: CertPaths = {
    caCert: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    servingCert: join(dir, 'serving.crt'),
    servingKey: join(dir, 'serving.key'),
    clientCert: join(dir, 'admin.crt'),
    clientKey: join(dir, 'admin.key'),
    serviceAccountKey: join(dir, 'sa.key'),
    serviceAccountPub: join(dir, 'sa.pub'),
  };
  await openssl(
    ['req', '-x509', ...EC, '-keyout', paths.caKey, '-out', paths.caCert, '-days', '7']
      .concat(['-subj', '/CN=skiff-testenv-ca', '-addext', 'basicConstraints=critical,CA:TRUE'])
      .concat(['-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature']),
  );
  await Promise.all([
    signed(
      dir,
      'serving',
      '/CN=localhost',
      'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n',
      paths,
    ),
    signed(
      dir,
      'admin',
      '/O=system:masters/CN=admin',
      'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n',
      paths,
    ),
    openssl([
      'genpkey',
      '-algorithm',
      'EC',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-out',
      paths.serviceAccountKey,
    ]).then(() => openssl(['pkey', '-in', paths.serviceAccountKey, '-pubout', '-out', paths.serviceAccountPub])),
  ]);
  return paths;
}
