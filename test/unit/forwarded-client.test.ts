import test from 'ava';
import { randomBytes } from 'node:crypto';
import http, { type IncomingMessage } from 'node:http';
import {
  clientOfRequest,
  FORWARDED_CLIENT,
  signClient,
  verifyClient,
} from '../../core/api/forwarded-client.js';
import type { RequestClient } from '../../core/pipeline-types.js';
import { httpMessage, rawExchange } from '../harness/raw-http.js';
import { fixedRole, managerFront, standInPrimary, valuesOf } from '../harness/stand-in-primary.js';

/**
 * Under replication a replica vouches for the client it forwards: a header signed with the managers'
 * shared key, believed by the manager that serves the request only when the signature holds.
 */

const KEY = randomBytes(32);
const ALICE: RequestClient = {
  address: '10.1.2.3',
  tls: true,
  certificate: {
    subject: { CN: 'alice', O: 'ops' },
    commonName: 'alice',
    chain: [{ subject: { CN: 'alice', O: 'ops' }, issuer: { CN: 'test-ca' }, pem: 'PEM' }],
  },
};
const NOW = Date.parse('2026-12-03T14:00:00Z');
const CREATE_URL = '/v1.41/containers/create?name=web';

test('a client signed by a replica is believed for the same key, method and URL within 30 s', (t) => {
  const header = signClient(KEY, ALICE, 'POST', CREATE_URL, NOW);
  t.deepEqual(verifyClient(KEY, header, 'POST', CREATE_URL, NOW), { client: ALICE });
  t.deepEqual(verifyClient(KEY, header, 'POST', CREATE_URL, NOW + 29_000), { client: ALICE });
  // a replica's clock a little behind the primary's
  t.deepEqual(verifyClient(KEY, header, 'POST', CREATE_URL, NOW - 29_000), { client: ALICE });
});

test('forged: a header signed with any other key is ignored', (t) => {
  const forged = signClient(randomBytes(32), ALICE, 'POST', CREATE_URL, NOW);
  t.deepEqual(verifyClient(KEY, forged, 'POST', CREATE_URL, NOW), { ignored: 'bad signature' });
});

test('tampered: another client, method or URL under a genuine signature is ignored', (t) => {
  const [version, time, , signature] = signClient(KEY, ALICE, 'POST', CREATE_URL, NOW).split('.');
  const mallory = Buffer.from(
    JSON.stringify({ ...ALICE, certificate: { ...ALICE.certificate, commonName: 'admin' } }),
  ).toString('base64url');
  t.deepEqual(
    verifyClient(KEY, [version, time, mallory, signature].join('.'), 'POST', CREATE_URL, NOW),
    {
      ignored: 'bad signature',
    },
  );
  const genuine = signClient(KEY, ALICE, 'GET', '/v1.41/containers/json', NOW);
  t.deepEqual(verifyClient(KEY, genuine, 'POST', '/v1.41/containers/json', NOW), {
    ignored: 'bad signature',
  });
  t.deepEqual(verifyClient(KEY, genuine, 'GET', '/v1.41/containers/json?all=1', NOW), {
    ignored: 'bad signature',
  });
  // the time is signed too: a replayed header made to look fresh does not verify
  t.deepEqual(
    verifyClient(
      KEY,
      genuine.replace(`.${NOW}.`, `.${NOW + 60_000}.`),
      'GET',
      '/v1.41/containers/json',
      NOW + 60_000,
    ),
    { ignored: 'bad signature' },
  );
});

test('stale: a genuine header more than 30 s old, or 30 s ahead, is ignored', (t) => {
  const header = signClient(KEY, ALICE, 'POST', CREATE_URL, NOW);
  t.deepEqual(verifyClient(KEY, header, 'POST', CREATE_URL, NOW + 31_000), { ignored: 'stale' });
  t.deepEqual(verifyClient(KEY, header, 'POST', CREATE_URL, NOW - 31_000), { ignored: 'stale' });
});

test('missing or malformed: nothing is believed', (t) => {
  for (const value of [
    '',
    'alice',
    'v1.1.2',
    'v2.1.e30.AAAA',
    `${signClient(KEY, ALICE, 'GET', '/', NOW)}.x`,
  ])
    t.deepEqual(verifyClient(KEY, value, 'GET', '/', NOW), { ignored: 'malformed' }, value);
});

/** Answers, for what is served on this manager, the client it judges the request by. */
const reportClient = (req: IncomingMessage, res: http.ServerResponse) => {
  req.resume();
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.end(
    JSON.stringify({
      client: clientOfRequest(req),
      header: req.headers[FORWARDED_CLIENT.toLowerCase()] ?? null,
      raw: valuesOf(req.rawHeaders, FORWARDED_CLIENT),
    }),
  );
};

/** A request from `localAddress` (a loopback address of its own, so the manager can tell it). */
function from(
  localAddress: string,
  port: number,
  options: { method?: string; path: string; headers?: Record<string, string> },
): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, localAddress, method: options.method ?? 'GET', ...options },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

test('on the primary: a request a replica vouched for is judged by that client; a header that does not verify is ignored (judged by its connection); neither reaches what serves it', async (t) => {
  const primary = await managerFront(
    fixedRole('127.0.0.1:2', { leading: true }),
    KEY,
    reportClient,
  );
  t.teardown(primary.close);
  const path = '/v1.41/containers/json';
  const vouched = await from('127.0.0.3', primary.port, {
    path,
    headers: { [FORWARDED_CLIENT]: signClient(KEY, ALICE, 'GET', path) },
  });
  t.deepEqual(vouched.body, { client: ALICE, header: null, raw: [] });
  const self = { address: '127.0.0.3', tls: false };
  for (const forged of [
    signClient(randomBytes(32), ALICE, 'GET', path),
    signClient(KEY, ALICE, 'GET', path, Date.now() - 60_000),
    signClient(KEY, ALICE, 'GET', '/v1.41/info'),
    'v1.0.e30.AAAA',
  ]) {
    const ignored = await from('127.0.0.3', primary.port, {
      path,
      headers: { [FORWARDED_CLIENT]: forged },
    });
    t.deepEqual(ignored.body, { client: self, header: null, raw: [] }, forged);
  }
  t.deepEqual((await from('127.0.0.3', primary.port, { path })).body.client, self);
});

test('through a replica: the primary judges the client the replica serves, whatever header the client sent itself', async (t) => {
  const primary = await managerFront(
    fixedRole('127.0.0.1:2', { leading: true }),
    KEY,
    reportClient,
  );
  const replica = await managerFront(
    fixedRole('127.0.0.1:1', { primary: `127.0.0.1:${primary.port}` }),
    KEY,
  );
  t.teardown(() => {
    replica.close();
    primary.close();
  });
  // the client connects from 127.0.0.4; the replica reaches the primary from 127.0.0.1
  const forged = signClient(randomBytes(32), ALICE, 'POST', CREATE_URL);
  const answer = await from('127.0.0.4', replica.port, {
    method: 'POST',
    path: CREATE_URL,
    headers: { [FORWARDED_CLIENT]: forged, 'x-skep-forwarded-client': forged },
  });
  t.deepEqual(answer.body, { client: { address: '127.0.0.4', tls: false }, header: null, raw: [] });
});

test("a replica sends one header of its own, for the request's method and URL, never the client's copies: also on an upgrade", async (t) => {
  const primary = await standInPrimary();
  const replica = await managerFront(fixedRole('127.0.0.1:1', { primary: primary.addr }), KEY);
  t.teardown(() => {
    replica.close();
    primary.close();
  });
  const forged = signClient(KEY, ALICE, 'POST', CREATE_URL, Date.now() - 60_000);
  await rawExchange(
    replica.port,
    httpMessage(
      [
        `POST ${CREATE_URL} HTTP/1.1`,
        'Host: skep',
        'Connection: close',
        `${FORWARDED_CLIENT}: ${forged}`,
        'Content-Length: 2',
      ],
      '{}',
    ),
  );
  await rawExchange(
    replica.port,
    httpMessage([
      'POST /v1.41/containers/c1/attach HTTP/1.1',
      'Host: skep',
      'Connection: Upgrade',
      'Upgrade: tcp',
      `x-skep-forwarded-client: ${forged}`,
    ]),
  );
  t.is(primary.received.length, 2);
  for (const received of primary.received) {
    const values = valuesOf(received.rawHeaders, FORWARDED_CLIENT);
    t.is(values.length, 1);
    t.deepEqual(verifyClient(KEY, values[0]!, received.method, received.url), {
      client: { address: '127.0.0.1', tls: false },
    });
  }
});

test("without the managers' key: a replica answers reads itself and refuses writes after the hold; a primary refuses what carries a header it cannot check", async (t) => {
  const primary = await standInPrimary();
  const replica = await managerFront(
    fixedRole('127.0.0.1:1', { primary: primary.addr }),
    undefined,
    undefined,
    300,
  );
  const unkeyed = await managerFront(
    fixedRole('127.0.0.1:2', { leading: true }),
    undefined,
    reportClient,
  );
  t.teardown(() => {
    replica.close();
    unkeyed.close();
    primary.close();
  });
  t.is(
    await (await fetch(`${replica.url}/containers/json`)).text(),
    'served here: GET /containers/json',
  );
  const write = await fetch(`${replica.url}/containers/create`, { method: 'POST', body: '{}' });
  t.is(write.status, 500);
  t.deepEqual(await write.json(), {
    message:
      'Unable to reach primary cluster manager ' +
      `(this manager has not read the managers' forwarding key from etcd yet): ${primary.addr}`,
  });
  t.is(primary.received.length, 0);

  const carrying = await fetch(`${unkeyed.url}/containers/json`, {
    headers: { [FORWARDED_CLIENT]: signClient(KEY, ALICE, 'GET', '/containers/json') },
  });
  t.is(carrying.status, 503);
  t.deepEqual(await carrying.json(), {
    message:
      'Cannot verify the client a replica forwarded: ' +
      "this manager has not read the managers' forwarding key from etcd yet",
  });
  t.is((await fetch(`${unkeyed.url}/containers/json`)).status, 200);
});
