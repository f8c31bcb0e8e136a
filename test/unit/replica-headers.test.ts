import test, { type ExecutionContext } from 'ava';
import { randomBytes } from 'node:crypto';
import { httpMessage, rawExchange } from '../harness/raw-http.js';
import {
  fixedRole,
  managerFront,
  rawStandInPrimary,
  standInPrimary,
  valuesOf,
} from '../harness/stand-in-primary.js';

/**
 * A replica's forwarding as a proxy must (RFC 9110 §7.6.1): hop-by-hop headers describe one
 * connection and stop at the replica, both ways; bodies keep their way through. The primary is a
 * small HTTP server standing in for it (test/harness/stand-in-primary.ts), not Skep.
 */

const KEY = randomBytes(32);

/** Raw answer: status line, headers as a raw list, body (its chunked framing undone). */
function parseAnswer(raw: Buffer) {
  const text = raw.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  const [status, ...lines] = text.slice(0, end).split('\r\n');
  const headers = lines.flatMap((line) => {
    const colon = line.indexOf(':');
    return [line.slice(0, colon), line.slice(colon + 1).trim()];
  });
  const body = text.slice(end + 4);
  const chunked = valuesOf(headers, 'Transfer-Encoding').includes('chunked');
  return { status: status!, headers, body: chunked ? dechunk(body) : body };
}

/** A chunked body's data. */
function dechunk(body: string): string {
  let out = '';
  for (let rest = body; ;) {
    const end = rest.indexOf('\r\n');
    const size = parseInt(rest.slice(0, end), 16);
    if (!(size > 0)) return out;
    out += rest.slice(end + 2, end + 2 + size);
    rest = rest.slice(end + 4 + size);
  }
}

/** A replica in front of `primary`, both closed when the test ends. */
async function replicaOf(t: ExecutionContext, primary: { addr: string; close(): void }) {
  const replica = await managerFront(fixedRole('127.0.0.1:1', { primary: primary.addr }), KEY);
  t.teardown(() => {
    replica.close();
    primary.close();
  });
  return replica;
}

/** The hop-by-hop headers with a fixed name, each with a value it might carry. */
const HOP_BY_HOP: [string, string][] = [
  ['Keep-Alive', 'timeout=5, max=100'],
  ['Proxy-Connection', 'keep-alive'],
  ['TE', 'trailers'],
  ['Trailer', 'X-Checksum'],
  // on a request that is not an upgrade (no `Connection: upgrade`), and on an answer that is not 101
  ['Upgrade', 'websocket'],
  ['Proxy-Authorization', 'Basic c2tlcDpzZWNyZXQ='],
  ['Proxy-Authenticate', 'Basic realm="proxy"'],
];

for (const [name, value] of HOP_BY_HOP) {
  test(`${name} sent by a client stops at the replica; the primary gets the end-to-end headers`, async (t) => {
    const primary = await standInPrimary();
    const replica = await replicaOf(t, primary);
    const answer = parseAnswer(
      await rawExchange(
        replica.port,
        httpMessage([
          'GET /v1.41/containers/json HTTP/1.1',
          'Host: skep',
          'Connection: close',
          `${name}: ${value}`,
          'X-Kept: yes',
        ]),
      ),
    );
    t.is(answer.body, 'answered by the stand-in primary');
    const [received] = primary.received;
    t.deepEqual(valuesOf(received!.rawHeaders, name), []);
    t.deepEqual(valuesOf(received!.rawHeaders, 'X-Kept'), ['yes']);
  });

  test(`${name} in the primary's answer stops at the replica; the client gets the end-to-end headers`, async (t) => {
    const primary = await rawStandInPrimary(
      `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n${name}: ${value}\r\nX-Kept: yes\r\n\r\nok`,
    );
    const replica = await replicaOf(t, primary);
    const answer = parseAnswer(
      await rawExchange(
        replica.port,
        'GET /v1.41/containers/json HTTP/1.1\r\nHost: skep\r\nConnection: close\r\n\r\n',
      ),
    );
    t.is(answer.status, 'HTTP/1.1 200 OK');
    t.is(answer.body, 'ok');
    t.deepEqual(valuesOf(answer.headers, name), []);
    t.deepEqual(valuesOf(answer.headers, 'X-Kept'), ['yes']);
  });

  // an upgrade's own Upgrade is kept: see the tests below
  if (name !== 'Upgrade')
    test(`${name} on an upgrade request (attach) stops at the replica, which still asks the primary for the upgrade`, async (t) => {
      const primary = await standInPrimary();
      const replica = await replicaOf(t, primary);
      const answer = await rawExchange(
        replica.port,
        httpMessage([
          'POST /v1.41/containers/c1/attach?stream=1 HTTP/1.1',
          'Host: skep',
          'Connection: Upgrade',
          'Upgrade: tcp',
          `${name}: ${value}`,
          'X-Kept: yes',
        ]),
      );
      t.regex(answer.toString(), /^HTTP\/1\.1 101 UPGRADED\r\n[^]*\r\n\r\nupgraded$/);
      const [received] = primary.received;
      t.true(received!.upgrade);
      t.deepEqual(valuesOf(received!.rawHeaders, 'Connection'), ['Upgrade']);
      t.deepEqual(valuesOf(received!.rawHeaders, 'Upgrade'), ['tcp']);
      t.deepEqual(valuesOf(received!.rawHeaders, name), []);
      t.deepEqual(valuesOf(received!.rawHeaders, 'X-Kept'), ['yes']);
    });
}

test('the headers a client lists in Connection stop at the replica (names in any case), and its Connection options with them', async (t) => {
  const primary = await standInPrimary();
  const replica = await replicaOf(t, primary);
  await rawExchange(
    replica.port,
    httpMessage([
      'GET /v1.41/containers/json HTTP/1.1',
      'Host: skep',
      'Connection: close, x-hop-trace',
      'Connection: X-Hop-Other',
      'X-Hop-Trace: 1',
      'X-HOP-OTHER: 2',
      'X-Kept: yes',
    ]),
  );
  const [received] = primary.received;
  t.deepEqual(valuesOf(received!.rawHeaders, 'X-Hop-Trace'), []);
  t.deepEqual(valuesOf(received!.rawHeaders, 'X-Hop-Other'), []);
  t.deepEqual(valuesOf(received!.rawHeaders, 'X-Kept'), ['yes']);
  // the replica's own connection to the primary, kept alive, not the client's `close`
  t.deepEqual(valuesOf(received!.rawHeaders, 'Connection'), ['keep-alive']);
});

test("the headers the primary's answer lists in Connection stop at the replica, and its Connection: close with them", async (t) => {
  const primary = await rawStandInPrimary(
    'HTTP/1.1 200 OK\r\nConnection: close, X-Hop-Trace\r\nX-Hop-Trace: 1\r\nX-Kept: yes\r\nContent-Length: 2\r\n\r\nok',
  );
  const replica = await replicaOf(t, primary);
  // a client that keeps its connection: two requests on it, both answered
  const raw = await rawExchange(
    replica.port,
    'GET /a HTTP/1.1\r\nHost: skep\r\n\r\nGET /b HTTP/1.1\r\nHost: skep\r\nConnection: close\r\n\r\n',
  );
  const [first, second] = raw.toString('latin1').split(/(?=HTTP\/1\.1 200 OK)/);
  t.truthy(second, raw.toString());
  const answer = parseAnswer(Buffer.from(first!, 'latin1'));
  t.deepEqual(valuesOf(answer.headers, 'X-Hop-Trace'), []);
  t.deepEqual(valuesOf(answer.headers, 'X-Kept'), ['yes']);
  t.deepEqual(valuesOf(answer.headers, 'Connection'), ['keep-alive']);
});

test("an upgrade request's Connection reaches the primary as Connection: Upgrade alone: the other options it lists stop at the replica", async (t) => {
  const primary = await standInPrimary();
  const replica = await replicaOf(t, primary);
  await rawExchange(
    replica.port,
    httpMessage(
      [
        'POST /v1.41/exec/e1/start HTTP/1.1',
        'Host: skep',
        'Connection: Upgrade, X-Hop-Trace',
        'Upgrade: tcp',
        'X-Hop-Trace: 1',
        'Content-Type: application/json',
        'Content-Length: 15',
      ],
      '{"Detach":true}',
    ),
  );
  const [received] = primary.received;
  t.deepEqual(valuesOf(received!.rawHeaders, 'Connection'), ['Upgrade']);
  t.deepEqual(valuesOf(received!.rawHeaders, 'X-Hop-Trace'), []);
  t.deepEqual(valuesOf(received!.rawHeaders, 'Content-Length'), ['15']);
  t.is(received!.body.toString(), '{"Detach":true}');
});

test("Transfer-Encoding: a client's chunked upload (a build context) reaches the primary whole, framed by the replica itself", async (t) => {
  const primary = await standInPrimary();
  const replica = await replicaOf(t, primary);
  // spelled as no Node client writes it: what the primary sees is the replica's framing, not a copy
  await rawExchange(
    replica.port,
    httpMessage([
      'POST /v1.41/build?t=ctx HTTP/1.1',
      'Host: skep',
      'Connection: close',
      'Content-Type: application/x-tar',
      'Transfer-Encoding: CHUNKED',
    ]),
    { writes: ['6\r\npart1 \r\n', '5\r\npart2\r\n', '0\r\n\r\n'], gapMs: 50 },
  );
  const [received] = primary.received;
  t.deepEqual(valuesOf(received!.rawHeaders, 'Transfer-Encoding'), ['chunked']);
  t.deepEqual(valuesOf(received!.rawHeaders, 'Content-Type'), ['application/x-tar']);
  t.is(received!.body.toString(), 'part1 part2');
});

test('Transfer-Encoding: a chunked body on a DELETE (a method Node does not chunk by itself) reaches the primary whole', async (t) => {
  const primary = await standInPrimary();
  const replica = await replicaOf(t, primary);
  const answer = parseAnswer(
    await rawExchange(
      replica.port,
      httpMessage(
        [
          'DELETE /v1.41/containers/c1 HTTP/1.1',
          'Host: skep',
          'Connection: close',
          'Transfer-Encoding: chunked',
        ],
        '4\r\nbody\r\n0\r\n\r\n',
      ),
    ),
  );
  t.is(answer.body, 'answered by the stand-in primary');
  const [received] = primary.received;
  t.is(received!.method, 'DELETE');
  t.is(received!.body.toString(), 'body');
});

test("Transfer-Encoding: the primary's chunked stream reaches a client chunked by the replica, and an HTTP/1.0 client unframed", async (t) => {
  const primary = await rawStandInPrimary(
    httpMessage(
      ['HTTP/1.1 200 OK', 'Content-Type: application/json', 'Transfer-Encoding: CHUNKED'],
      '6\r\n{"a":1\r\n2\r\n}\n\r\n0\r\n\r\n',
    ),
  );
  const replica = await replicaOf(t, primary);
  const chunked = parseAnswer(
    await rawExchange(
      replica.port,
      'GET /v1.41/events HTTP/1.1\r\nHost: skep\r\nConnection: close\r\n\r\n',
    ),
  );
  t.deepEqual(valuesOf(chunked.headers, 'Transfer-Encoding'), ['chunked']);
  t.is(chunked.body, '{"a":1}\n');
  // HTTP/1.0 knows no chunked framing: the body comes as it is, ended by the close
  const old = parseAnswer(
    await rawExchange(replica.port, 'GET /v1.41/events HTTP/1.0\r\nHost: skep\r\n\r\n'),
  );
  t.deepEqual(valuesOf(old.headers, 'Transfer-Encoding'), []);
  t.is(old.body, '{"a":1}\n');
});

test('Transfer-Encoding of an upgrade request is kept: its body goes on with the spliced bytes, as the client framed it', async (t) => {
  const primary = await standInPrimary();
  const replica = await replicaOf(t, primary);
  await rawExchange(
    replica.port,
    httpMessage(
      [
        'POST /v1.41/exec/e1/start HTTP/1.1',
        'Host: skep',
        'Connection: Upgrade',
        'Upgrade: tcp',
        'Transfer-Encoding: chunked',
      ],
      'f\r\n{"Detach":true}\r\n0\r\n\r\n',
    ),
  );
  const [received] = primary.received;
  t.deepEqual(valuesOf(received!.rawHeaders, 'Transfer-Encoding'), ['chunked']);
  t.is(received!.body.toString(), 'f\r\n{"Detach":true}\r\n0\r\n\r\n');
});
