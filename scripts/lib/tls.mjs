// @ts-check
/**
 * The local stack's TLS material for Keycloak over HTTPS (`KEYCLOAK_TLS=on`): a certificate
 * authority made at start, and a server certificate it signs for 127.0.0.1 and localhost. Nothing
 * is committed; the files live in the stack's state folder. The functions (serverless offline), the
 * test runner and the dev tools trust the authority through `NODE_EXTRA_CA_CERTS`; the stack
 * scripts' own readiness checks pass it explicitly.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { StackError } from './proc.mjs';

/**
 * The files of the local authority and Keycloak's certificate.
 * @param {{ stateDir: string }} config
 */
export function tlsFiles(config) {
  const dir = path.join(config.stateDir, 'tls');
  return {
    dir,
    caKey: path.join(dir, 'ca-key.pem'),
    caCert: path.join(dir, 'ca.pem'),
    serverKey: path.join(dir, 'keycloak-key.pem'),
    serverCert: path.join(dir, 'keycloak.pem'),
  };
}

/**
 * Makes the authority and Keycloak's certificate with openssl when they are missing, and returns
 * their files. Keys never leave the state folder.
 * @param {{ stateDir: string, host: string }} config
 */
export function ensureLocalCertificates(config) {
  const files = tlsFiles(config);
  if ([files.caCert, files.serverKey, files.serverCert].every((file) => existsSync(file))) return files;
  mkdirSync(files.dir, { recursive: true, mode: 0o700 });
  const openssl = (/** @type {string[]} */ args) => {
    try {
      execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (error) {
      const detail = /** @type {{ stderr?: Buffer }} */ (error).stderr?.toString().trim();
      throw new StackError(`openssl could not make the local TLS certificates (KEYCLOAK_TLS=on)${detail ? `: ${detail}` : ''}; install openssl or unset KEYCLOAK_TLS.`);
    }
  };
  const csr = path.join(files.dir, 'keycloak.csr');
  const extensions = path.join(files.dir, 'keycloak.ext');
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', files.caKey, '-out', files.caCert, '-days', '7', '-subj', '/CN=keycloak-lambda-s2s local CA (dev only)', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', files.serverKey, '-out', csr, '-subj', `/CN=${config.host}`]);
  writeFileSync(extensions, `subjectAltName=IP:${config.host},DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n`);
  openssl(['x509', '-req', '-in', csr, '-CA', files.caCert, '-CAkey', files.caKey, '-CAcreateserial', '-out', files.serverCert, '-days', '7', '-extfile', extensions]);
  return files;
}

/**
 * The authority's PEM text, for a readiness check of this process (which cannot read
 * `NODE_EXTRA_CA_CERTS` after it started).
 * @param {{ stateDir: string }} config
 */
export function localCa(config) {
  return readFileSync(tlsFiles(config).caCert, 'utf8');
}
