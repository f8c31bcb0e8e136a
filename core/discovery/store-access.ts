import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../../config/errors.js';
import type { Logger } from '../log.js';

/**
 * How Skep reaches a key-value store (etcd; the same options for any store that takes them):
 * classic's `--discovery-opt kv.cacertfile|kv.certfile|kv.keyfile`, read once at start and again
 * on SIGHUP, and Skep's `kv.username` / `kv.password` for a store with authentication enabled.
 */
export interface StoreAccess {
  /** PEM contents; present only when all three files were given, as classic required. */
  tls?: { ca: Buffer; cert: Buffer; key: Buffer };
  /** etcd's user/password authentication (v3 `Authenticate`; v2 basic authentication). */
  auth?: { username: string; password: string };
}

/** `http://` or `https://` before a store's `host:port`, as its access asks. */
export const storeUrl = (hostPort: string, access: StoreAccess = {}) =>
  `${access.tls ? 'https' : 'http'}://${hostPort}`;

const TLS_FILES = ['kv.cacertfile', 'kv.certfile', 'kv.keyfile'] as const;

/** Go's words for a failed open or read (`open /x: no such file or directory`), as classic printed them. */
function goFileError(path: string, err: NodeJS.ErrnoException): string {
  const why: Record<string, string> = {
    ENOENT: 'no such file or directory',
    EACCES: 'permission denied',
    EISDIR: 'is a directory',
  };
  const op = err.code === 'EISDIR' ? 'read' : 'open';
  return `${op} ${path}: ${why[err.code ?? ''] ?? err.message}`;
}

function readFile(path: string, fail: (why: string) => string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError(fail(goFileError(path, err as NodeJS.ErrnoException)));
  }
}

const pemBlocks = (text: string, label: RegExp) =>
  [...text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g)].filter((m) =>
    label.test(m[1]!),
  );

/**
 * The CA, certificate and key checked as Go's tlsconfig.Client checked them for classic, failing
 * with its words (`failed to append certificates from PEM file`, `Could not load X509 key pair: ...`).
 */
function readTls(
  caFile: string,
  certFile: string,
  keyFile: string,
): NonNullable<StoreAccess['tls']> {
  const ca = readFile(caFile, (why) => `could not read CA certificate "${caFile}": ${why}`);
  const parses = (pem: string) => {
    try {
      return Boolean(new X509Certificate(pem));
    } catch {
      return false;
    }
  };
  if (!pemBlocks(ca.toString('latin1'), /^CERTIFICATE$/).some((m) => parses(m[0])))
    throw new ConfigError(`failed to append certificates from PEM file: "${caFile}"`);
  const pair = (why: string) => new ConfigError(`Could not load X509 key pair: ${why}`);
  const cert = readFile(certFile, (why) => `Could not load X509 key pair: ${why}`);
  const key = readFile(keyFile, (why) => `Could not load X509 key pair: ${why}`);
  const certText = cert.toString('latin1');
  const [leaf] = pemBlocks(certText, /^CERTIFICATE$/);
  if (!leaf) {
    throw pair(
      pemBlocks(certText, /PRIVATE KEY$/).length > 0
        ? 'tls: failed to find certificate PEM data in certificate input, but did find a private key; ' +
            'PEM inputs may have been switched'
        : 'tls: failed to find any PEM data in certificate input',
    );
  }
  const keyText = key.toString('latin1');
  if (pemBlocks(keyText, /PRIVATE KEY$/).length === 0) {
    throw pair(
      pemBlocks(keyText, /^CERTIFICATE$/).length > 0
        ? 'tls: found a certificate rather than a key in the PEM for the private key'
        : 'no valid private key found',
    );
  }
  let matches: boolean;
  try {
    matches = new X509Certificate(leaf[0]).checkPrivateKey(createPrivateKey(key));
  } catch {
    throw pair('tls: failed to parse private key');
  }
  if (!matches) throw pair('tls: private key does not match public key');
  return { ca, cert, key };
}

/**
 * The store's access from the discovery options, files read now: TLS only when all three files are
 * given, as classic had it; logged with classic's words (`Initializing discovery with TLS`).
 */
export function readStoreAccess(opts: Record<string, string>, logger?: Logger): StoreAccess {
  const files = TLS_FILES.map((name) => opts[name] ?? '');
  const access: StoreAccess = {};
  if (files.every(Boolean)) {
    logger?.info('Initializing discovery with TLS');
    access.tls = readTls(files[0]!, files[1]!, files[2]!);
  } else {
    logger?.info('Initializing discovery without TLS');
    const given = TLS_FILES.filter((_, i) => files[i]);
    // classic said nothing here and went on in plain text: Skep says why
    if (given.length > 0)
      logger?.warn(
        `${TLS_FILES.join(', ')} go together: TLS to the store is off because ` +
          `${TLS_FILES.filter((_, i) => !files[i]).join(' and ')} ${given.length === 2 ? 'is' : 'are'} not given`,
      );
  }
  const { 'kv.username': username, 'kv.password': password } = opts;
  if ((username === undefined) !== (password === undefined))
    throw new ConfigError(
      '--discovery-opt kv.username and kv.password go together (give both or neither)',
    );
  if (username !== undefined && password !== undefined) access.auth = { username, password };
  return access;
}

/** The same access, for telling whether a reload changed it (files renewed in place). */
export const sameAccess = (a: StoreAccess, b: StoreAccess) =>
  JSON.stringify(a) === JSON.stringify(b);
