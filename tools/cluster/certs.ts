/**
 * Certificates of the e2e cluster, made with openssl: one CA, the API server's serving
 * certificate (for this machine's address and the `kubernetes` Service), client
 * certificates for the admin (controllers and kube-proxy use it too) and for the kubelet
 * (`system:node:NAME`), and the service-account signing key.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from './sh.js';

/** ClusterCerts are the files makeClusterCerts writes. */
export type ClusterCerts = Readonly<{
  caCert: string;
  caKey: string;
  servingCert: string;
  servingKey: string;
  adminCert: string;
  adminKey: string;
  nodeCert: string;
  nodeKey: string;
  serviceAccountKey: string;
  serviceAccountPub: string;
}>;

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
const CLIENT = 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n';

async function sign(dir: string, name: string, subject: string, extensions: string, ca: string, caKey: string) {
  await writeFile(join(dir, `${name}.ext`), extensions);
  await run(
    'openssl',
    ['req', '-new', ...EC, '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.csr`)].concat([
      '-subj',
      subject,
    ]),
  );
  await run(
    'openssl',
    ['x509', '-req', '-in', join(dir, `${name}.csr`), '-CA', ca, '-CAkey', caKey]
      .concat(['-set_serial', `0x${randomBytes(12).toString('hex')}`, '-days', '7'])
      .concat(['-out', join(dir, `${name}.crt`), '-extfile', join(dir, `${name}.ext`)]),
  );
}

/** makeClusterCerts writes a fresh CA and everything signed by it into `dir`. */
export async function makeClusterCerts(
  dir: string,
  nodeIp: string,
  serviceIp: string,
  nodeName: string,
): Promise<ClusterCerts> {
  const p = (name: string) => join(dir, name);
  const certs: ClusterCerts = {
    caCert: p('ca.crt'),
    caKey: p('ca.key'),
    servingCert: p('serving.crt'),
    servingKey: p('serving.key'),
    adminCert: p('admin.crt'),
    adminKey: p('admin.key'),
    nodeCert: p('node.crt'),
    nodeKey: p('node.key'),
    serviceAccountKey: p('sa.key'),
    serviceAccountPub: p('sa.pub'),
  };
  await run(
    'openssl',
    ['req', '-x509', ...EC, '-keyout', certs.caKey, '-out', certs.caCert, '-days', '7']
      .concat(['-subj', '/CN=skiff-cluster-ca', '-addext', 'basicConstraints=critical,CA:TRUE'])
      .concat(['-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature']),
  );
  const names = [
    'kubernetes',
    'kubernetes.default',
    'kubernetes.default.svc',
    'kubernetes.default.svc.cluster.local',
    'localhost',
  ];
  const sans = [...names.map((n) => `DNS:${n}`), `IP:${nodeIp}`, `IP:${serviceIp}`, 'IP:127.0.0.1'].join(',');
  await Promise.all([
    sign(
      dir,
      'serving',
      '/CN=kube-apiserver',
      `subjectAltName=${sans}\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n`,
      certs.caCert,
      certs.caKey,
    ),
    sign(dir, 'admin', '/O=system:masters/CN=admin', CLIENT, certs.caCert, certs.caKey),
    sign(dir, 'node', `/O=system:nodes/CN=system:node:${nodeName}`, CLIENT, certs.caCert, certs.caKey),
    run('openssl', [
      'genpkey',
      '-algorithm',
      'EC',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-out',
      certs.serviceAccountKey,
    ]).then(() => run('openssl', ['pkey', '-in', certs.serviceAccountKey, '-pubout', '-out', certs.serviceAccountPub])),
  ]);
  return certs;
}
