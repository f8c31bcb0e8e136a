import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../config/errors.js';
import { readStoreAccess, storeUrl } from '../../core/discovery/store-access.js';
import { createLogger } from '../../core/log.js';

const dir = mkdtempSync(join(tmpdir(), 'skep-store-access-'));
const file = (name: string) => join(dir, name);
/** A self-signed pair named `name` (its own CA), made with openssl as the test CA is. */
function pair(name: string): void {
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', `/CN=${name}`,
    '-keyout', file(`${name}.key`), '-out', file(`${name}.pem`),
  ], { stdio: 'ignore' }); // prettier-ignore
}
pair('a');
pair('b');
writeFileSync(file('junk.txt'), 'junk\n');
writeFileSync(
  file('bad.key'),
  '-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n',
);

const tlsOpts = (ca: string, cert: string, key: string) => ({
  'kv.cacertfile': file(ca),
  'kv.certfile': file(cert),
  'kv.keyfile': file(key),
});
/** What the start fails with: classic 1.2.9's words, each seen from its `swarm join` here. */
const failure = (ca: string, cert: string, key: string) => {
  try {
    readStoreAccess(tlsOpts(ca, cert, key));
    return 'no failure';
  } catch (err) {
    return err instanceof ConfigError ? err.message.replaceAll(dir + '/', '') : String(err);
  }
};

/** CA, certificate and key files, and what classic's start fails with on them. */
const FAILURES: [ca: string, cert: string, key: string, failure: string][] = [
  ['nope.pem', 'a.pem', 'a.key', 'could not read CA certificate "nope.pem": open nope.pem: no such file or directory'],
  ['junk.txt', 'a.pem', 'a.key', 'failed to append certificates from PEM file: "junk.txt"'],
  ['a.pem', 'nope.pem', 'a.key', 'Could not load X509 key pair: open nope.pem: no such file or directory'],
  ['a.pem', 'a.pem', 'nope.key', 'Could not load X509 key pair: open nope.key: no such file or directory'],
  ['a.pem', 'junk.txt', 'a.key', 'Could not load X509 key pair: tls: failed to find any PEM data in certificate input'],
  ['a.pem', 'a.pem', 'junk.txt', 'Could not load X509 key pair: no valid private key found'],
  ['a.pem', 'a.pem', 'b.key', 'Could not load X509 key pair: tls: private key does not match public key'],
  ['a.pem', 'a.pem', 'bad.key', 'Could not load X509 key pair: tls: failed to parse private key'],
  ['a.pem', 'a.pem', 'a.pem',
    'Could not load X509 key pair: tls: found a certificate rather than a key in the PEM for the private key'],
  ['a.pem', 'a.key', 'a.key',
    'Could not load X509 key pair: tls: failed to find certificate PEM data in certificate input, ' +
      'but did find a private key; PEM inputs may have been switched'],
  ['a.pem', 'a.pem', 'a.key', 'no failure'],
]; // prettier-ignore

test('kv TLS files: bad or missing files fail the start in classic words', (t) => {
  for (const [ca, cert, key, expected] of FAILURES)
    t.is(failure(ca, cert, key), expected, `${ca} ${cert} ${key}`);
});

test('kv TLS: on only with all three files, logged as classic did; https then', (t) => {
  const lines: string[] = [];
  const logger = createLogger('info', (line) => lines.push(line));
  const access = readStoreAccess(tlsOpts('a.pem', 'a.pem', 'a.key'), logger);
  t.truthy(access.tls?.cert);
  t.is(storeUrl('127.0.0.1:2379', access), 'https://127.0.0.1:2379');
  t.regex(lines.join(''), /level=info msg="Initializing discovery with TLS"/);
  lines.length = 0;
  const partial = readStoreAccess({ 'kv.cacertfile': file('a.pem') }, logger);
  t.is(partial.tls, undefined);
  t.is(storeUrl('127.0.0.1:2379', partial), 'http://127.0.0.1:2379');
  t.regex(lines.join(''), /msg="Initializing discovery without TLS"/);
  t.regex(
    lines.join(''),
    new RegExp(
      'level=warn msg="kv.cacertfile, kv.certfile, kv.keyfile go together: ' +
        'TLS to the store is off because kv.certfile and kv.keyfile are not given"',
    ),
  );
});

test('kv credentials: both or neither', (t) => {
  t.deepEqual(readStoreAccess({ 'kv.username': 'root', 'kv.password': 's3cret' }).auth, {
    username: 'root',
    password: 's3cret',
  });
  t.throws(() => readStoreAccess({ 'kv.username': 'root' }), {
    instanceOf: ConfigError,
    message: /kv.username and kv.password go together/,
  });
});
