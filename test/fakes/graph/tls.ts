import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Throw-away TLS material for the fake Graph, made with openssl in a temp dir:
 * a CA (give its path to NODE_EXTRA_CA_CERTS when starting node: Node reads it only
 * at start), a server certificate for 127.0.0.1/localhost signed by it, and an app
 * certificate (key + cert in one PEM) for ClientCertificateCredential.
 */
export interface TlsMaterial {
  dir: string;
  caPath: string;
  keyPath: string;
  certPath: string;
  /** PEM with the app's private key and certificate, as ClientCertificateCredential wants it. */
  appPemPath: string;
  appCertPath: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

export function makeTlsMaterial(dir: string = mkdtempSync(join(tmpdir(), 'fake-graph-tls-'))): TlsMaterial {
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=syncdesk fake Graph CA'], dir);
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1'], dir);
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'san.ext'], dir);
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'app.key', '-out', 'app.pem', '-days', '2', '-subj', '/CN=syncdesk app'], dir);
  writeFileSync(join(dir, 'app-bundle.pem'), readFileSync(join(dir, 'app.key'), 'utf8') + readFileSync(join(dir, 'app.pem'), 'utf8'));
  return {
    dir,
    caPath: join(dir, 'ca.pem'),
    keyPath: join(dir, 'server.key'),
    certPath: join(dir, 'server.pem'),
    appPemPath: join(dir, 'app-bundle.pem'),
    appCertPath: join(dir, 'app.pem'),
  };
}

/** The material a parent process made, found again through FAKE_GRAPH_TLS_DIR. */
export function tlsMaterialFrom(dir: string): TlsMaterial {
  return {
    dir,
    caPath: join(dir, 'ca.pem'),
    keyPath: join(dir, 'server.key'),
    certPath: join(dir, 'server.pem'),
    appPemPath: join(dir, 'app-bundle.pem'),
    appCertPath: join(dir, 'app.pem'),
  };
}
