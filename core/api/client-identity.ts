import type { Socket } from 'node:net';
import { type DetailedPeerCertificate, TLSSocket } from 'node:tls';
import type { CertificateInChain, RequestClient } from '../pipeline-types.js';

/** A connection's client is the same for every request on it: worked out once per socket. */
const known = new WeakMap<Socket, RequestClient>();

const pem = (der: Buffer) => {
  const lines = der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${lines}\n-----END CERTIFICATE-----\n`;
};

/**
 * Node's subject object may hold a list for a repeated field (two OUs): joined, as `openssl`
 * prints it.
 */
function names(fields: Record<string, string | string[]> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(fields ?? {}))
    out[key] = Array.isArray(value) ? value.join('+') : value;
  return out;
}

/**
 * The peer's certificate and its issuers as the handshake verified them: the client's first,
 * the root last.
 */
function chainOf(leaf: DetailedPeerCertificate): CertificateInChain[] {
  const chain: CertificateInChain[] = [];
  const seen = new Set<string>();
  for (
    let cert: DetailedPeerCertificate | undefined = leaf;
    cert?.raw && !seen.has(cert.fingerprint256);
    cert = cert.issuerCertificate
  ) {
    seen.add(cert.fingerprint256);
    chain.push({
      subject: names(cert.subject as never),
      issuer: names(cert.issuer as never),
      pem: pem(cert.raw),
    });
  }
  return chain;
}

/**
 * Who sent this request: address, TLS, and the client certificate
 * when the handshake verified one (`--tlsverify`).
 */
export function clientOf(socket: Socket): RequestClient {
  let client = known.get(socket);
  if (client) return client;
  const tls = socket instanceof TLSSocket;
  const leaf = tls && socket.authorized ? socket.getPeerCertificate(true) : undefined;
  const chain = leaf?.raw ? chainOf(leaf) : undefined;
  client = {
    address: socket.remoteAddress,
    tls,
    certificate: chain && {
      subject: chain[0]!.subject,
      commonName: chain[0]!.subject.CN ?? '',
      chain,
    },
  };
  known.set(socket, client);
  return client;
}
