import net from 'node:net';
import test from 'ava';
import { defaults } from '../../config/defaults.js';
import { FakeDocker } from '../harness/fake-docker.js';
import { inProcessManager, type InProcess } from '../harness/in-process.js';

/** Opens a connection, writes `sent`, and resolves with what came back and how long until the manager closed it. */
function hold(
  port: number,
  sent: string,
  giveUpMs = 8000,
): Promise<{ answer: string; closedAfterMs: number | undefined }> {
  return new Promise((resolve) => {
    const started = Date.now();
    let answer = '';
    const socket = net.connect({ port, host: '127.0.0.1' }, () => socket.write(sent));
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ answer, closedAfterMs: undefined });
    }, giveUpMs);
    socket.on('data', (d) => (answer += d.toString()));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ answer, closedAfterMs: Date.now() - started });
    });
  });
}

const portOf = (skep: InProcess) => Number(skep.manager.config.hosts[0]!.split(':').pop());

async function managerWith(
  t: import('ava').ExecutionContext,
  clients: Partial<ReturnType<typeof defaults>['clients']>,
) {
  const fake = await FakeDocker.start({ name: 'n1' });
  const skep = await inProcessManager([fake], { clients: { ...defaults().clients, ...clients } });
  t.teardown(async () => {
    await skep.stop();
    await fake.stop();
  });
  return skep;
}

test.serial(
  'a partial request head, on a new connection or a kept-alive one, or nothing at all, is answered 408 and closed at the header deadline',
  async (t) => {
    const skep = await managerWith(t, { headerTimeoutMs: 1000 });
    const port = portOf(skep);
    const partial = await hold(port, 'GET /_ping HTTP/1.1\r\nHost: x\r\n');
    t.truthy(partial.closedAfterMs, 'closed');
    t.true(
      partial.closedAfterMs! >= 900 && partial.closedAfterMs! < 2500,
      `closed after ${partial.closedAfterMs} ms`,
    );
    t.regex(partial.answer, /^HTTP\/1\.1 408 /);

    const silent = await hold(port, '');
    t.true(
      silent.closedAfterMs !== undefined && silent.closedAfterMs < 2500,
      `a silent connection closed after ${silent.closedAfterMs} ms`,
    );

    // the second request on a connection: Node's own timer, checked often enough to hold the deadline
    const second = await hold(
      port,
      'GET /_ping HTTP/1.1\r\nHost: x\r\n\r\nGET /_ping HTTP/1.1\r\nHost: x\r\n',
    );
    t.regex(second.answer, /^HTTP\/1\.1 200 OK[\s\S]*\r\n\r\nOK/);
    t.true(
      second.closedAfterMs !== undefined && second.closedAfterMs < 2500,
      `the kept-alive connection closed after ${second.closedAfterMs} ms`,
    );
    t.is((await skep.call('GET', '/_ping')).text, 'OK', 'the manager still answers');
  },
);

test.serial('a JSON body that stops arriving is answered 408 at the body deadline', async (t) => {
  const skep = await managerWith(t, { bodyTimeoutMs: 1000 });
  const body = '{"Image":';
  const slow = await hold(
    portOf(skep),
    `POST /containers/create HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n${body}`,
  );
  t.regex(slow.answer, /^HTTP\/1\.1 408 /);
  t.regex(slow.answer, /"message":"the request body did not arrive within 1s"/);
  t.true(
    slow.closedAfterMs !== undefined && slow.closedAfterMs < 2500,
    `closed after ${slow.closedAfterMs} ms`,
  );
});

test.serial(
  'connections per client address are capped: one over the cap is answered 429 in Docker shape, and logged once',
  async (t) => {
    const skep = await managerWith(t, { maxConnectionsPerAddress: 4 });
    const port = portOf(skep);
    const open = await Promise.all(
      [1, 2, 3, 4].map(
        () =>
          new Promise<net.Socket>((resolve) => {
            const s = net.connect({ port, host: '127.0.0.1' }, () => resolve(s));
          }),
      ),
    );
    const [over, overAgain] = await Promise.all([
      hold(port, 'GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n'),
      hold(port, 'GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n'),
    ]);
    t.regex(over.answer, /^HTTP\/1\.1 429 Too Many Requests\r\n/);
    t.true(
      over.answer.endsWith(
        '{"message":"too many connections from 127.0.0.1: at most 4 at once (clients.maxConnectionsPerAddress)"}',
      ),
      over.answer,
    );
    t.regex(overAgain.answer, /^HTTP\/1\.1 429 /);
    t.is(
      skep.logger.lines.filter((l) => l.includes('too many connections')).length,
      1,
      'logged once',
    );
    open[0]!.destroy();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const after = await hold(port, 'GET /_ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    t.regex(after.answer, /^HTTP\/1\.1 200 OK/, 'a place freed is a place taken');
    for (const s of open) s.destroy();
  },
);
