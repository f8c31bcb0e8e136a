import test from 'ava';
import net from 'node:net';
import type { BufferedAnswer } from '../../core/cluster/engine-http.js';
import { AnswerReader, pipelinedGets } from '../../core/cluster/pipelined-gets.js';

/** Feeds `text` to a reader in pieces of `size` bytes (an answer split anywhere by TCP). */
function read(text: string, size: number): { answers: BufferedAnswer[]; whole: boolean } {
  const answers: BufferedAnswer[] = [];
  const reader = new AnswerReader((a) => answers.push(a));
  const bytes = Buffer.from(text, 'latin1');
  for (let i = 0; i < bytes.length; i += size) reader.push(bytes.subarray(i, i + size));
  return { answers, whole: reader.end() };
}

const PIPELINE =
  'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{"Id":"abc"}\n' +
  'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n6\r\n{"a":1\r\n2\r\n}\n\r\n0\r\n\r\n' +
  'HTTP/1.1 404 Not Found\r\ncontent-length: 29\r\n\r\n{"message":"No such thing"}\r\n' +
  'HTTP/1.1 204 No Content\r\nApi-Version: 1.41\r\n\r\n';

test('answers in a row are read in order, by length, chunked and empty, however the bytes are split', (t) => {
  for (const size of [1, 2, 7, 64, 10_000]) {
    const { answers, whole } = read(PIPELINE, size);
    t.true(whole, `split every ${size} bytes`);
    t.deepEqual(
      answers.map((a) => [a.status, a.body.toString()]),
      [
        [200, '{"Id":"abc"}\n'],
        [200, '{"a":1}\n'],
        [404, '{"message":"No such thing"}\r\n'],
        [204, ''],
      ],
    );
    t.is(answers[0]!.headers['content-type'], 'application/json');
    t.is(answers[3]!.headers['api-version'], '1.41');
  }
});

test('an answer without a length runs to the close; one cut short is not whole; garbage is refused', (t) => {
  const { answers, whole } = read('HTTP/1.1 200 OK\r\n\r\n[1,2]', 3);
  t.true(whole);
  t.is(answers[0]!.body.toString(), '[1,2]');
  t.false(read('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n[1', 100).whole);
  t.throws(() => read('SSH-2.0-OpenSSH_9.2\r\n\r\n', 100), { message: /not an HTTP answer/ });
  t.throws(() => read('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 100), {
    message: /bad chunk size/,
  });
});

/** A server that answers each request line it reads, in order, then closes after `closeAfter` answers. */
async function lineServer(
  closeAfter = Infinity,
): Promise<{ port: number; requests: string[]; close(): Promise<void> }> {
  const requests: string[] = [];
  const server = net.createServer((socket) => {
    let pending = '';
    let answered = 0;
    socket.on('data', (chunk) => {
      pending += chunk.toString('latin1');
      let end: number;
      while ((end = pending.indexOf('\r\n\r\n')) >= 0) {
        const head = pending.slice(0, end);
        pending = pending.slice(end + 4);
        requests.push(head);
        const body = JSON.stringify({ path: head.split(' ')[1] });
        socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
        if (++answered >= closeAfter) return void socket.end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    requests,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

const connect = (port: number) =>
  new Promise<net.Socket>((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
  });

test('a pipeline is written at once, with a Host, the last request closing; each answer comes as it is read', async (t) => {
  const server = await lineServer();
  const got: [number, string][] = [];
  const answered = await pipelinedGets(
    await connect(server.port),
    'node1:2375',
    ['/a', '/b', '/c'],
    5000,
    (i, a) => got.push([i, JSON.parse(a.body.toString()).path]),
  );
  t.is(answered, 3);
  t.deepEqual(got, [
    [0, '/a'],
    [1, '/b'],
    [2, '/c'],
  ]);
  t.deepEqual(server.requests, [
    'GET /a HTTP/1.1\r\nHost: node1:2375',
    'GET /b HTTP/1.1\r\nHost: node1:2375',
    'GET /c HTTP/1.1\r\nHost: node1:2375\r\nConnection: close',
  ]);
  await server.close();
});

test('an engine that closes early: what it answered counts, the rest is left to the caller; a silent one times out', async (t) => {
  const early = await lineServer(2);
  t.is(
    await pipelinedGets(await connect(early.port), 'x', ['/a', '/b', '/c', '/d'], 5000, () => {}),
    2,
  );
  await early.close();
  const silent = net.createServer(() => {});
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  await t.throwsAsync(
    pipelinedGets(
      await connect((silent.address() as net.AddressInfo).port),
      'x',
      ['/a'],
      200,
      () => {},
    ),
    { message: /Timeout awaiting 'request' for 200ms/ },
  );
  silent.close();
});
