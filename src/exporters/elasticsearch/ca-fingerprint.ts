// `tls.caFingerprint`: fetch the certificate chain the server presents (without trusting it), pick the certificate
// whose SHA-256 fingerprint is the pinned one, and hand THAT certificate to the client as its CA. The connections
// that carry data then get full verification (signatures, expiry, host name) against the pinned CA. A pinned
// fingerprint with `rejectUnauthorized: false` alone would trust any chain that merely names the CA.

import { X509Certificate } from 'node:crypto';
import { connect, type PeerCertificate } from 'node:tls';
import { isIP } from 'node:net';

export class CaFingerprintError extends Error {
  readonly code = 'ES_CA_FINGERPRINT';
  constructor(message: string) {
    super(message);
    this.name = 'CaFingerprintError';
  }
}

const norm = (fp: string) => fp.replace(/:/g, '').toLowerCase();

function chainOf(cert: PeerCertificate & { issuerCertificate?: PeerCertificate }): PeerCertificate[] {
  const out: PeerCertificate[] = [];
  const seen = new Set<string>();
  let c: (PeerCertificate & { issuerCertificate?: PeerCertificate }) | undefined = cert;
  while (c && Object.keys(c).length > 0 && !seen.has(c.fingerprint256)) {
    seen.add(c.fingerprint256);
    out.push(c);
    c = c.issuerCertificate as typeof c;
  }
  return out;
}

/** Connects once to `endpoint` and returns the PEM of the presented certificate matching `fingerprint`. */
export function fetchPinnedCa(endpoint: string, fingerprint: string, timeoutMs: number): Promise<string> {
  const u = new URL(endpoint);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const port = Number(u.port || 443);
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, rejectUnauthorized: false, servername: isIP(host) ? undefined : host });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(Object.assign(new Error(`TLS handshake with ${u.host} timed out`), { name: 'TimeoutError' }));
    }, timeoutMs);
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(Object.assign(err, { name: 'ConnectionError' }));
    });
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const chain = chainOf(socket.getPeerCertificate(true));
      socket.end();
      const match = chain.find((c) => norm(c.fingerprint256) === norm(fingerprint));
      if (!match) {
        reject(
          new CaFingerprintError(
            `no certificate presented by ${u.host} has the SHA-256 fingerprint given in tls.caFingerprint ` +
              `(presented: ${chain.map((c) => c.fingerprint256).join(', ') || 'none'})`,
          ),
        );
        return;
      }
      resolve(new X509Certificate(match.raw).toString());
    });
  });
}
