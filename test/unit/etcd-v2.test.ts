import test from 'ava';
import { mkdtempSync, readFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EtcdV2 } from '../../core/discovery/etcd-v2.js';
import type { Logger } from '../../core/log.js';
import { TestCa } from '../harness/certs.js';
import { waitFor } from '../harness/exec.js';
import { FakeEtcdV2 } from '../harness/fake-etcd-v2.js';
import { freePort } from '../harness/skep.js';

const PREFIX = 'mixed/docker/swarm/nodes/';
const NODES = '/v2/keys/mixed/docker/swarm/nodes';

/** A logger that keeps its lines, `level: message`. */
const recorder = () => {
  const lines: string[] = [];
  const logger: Logger = {
    debug: (m) => lines.push(`debug: ${m}`),
    info: (m) => lines.push(`info: ${m}`),
    warn: (m) => lines.push(`warn: ${m}`),
    error: (m) => lines.push(`error: ${m}`),
  };
  return { lines, logger };
};

test('v2 there: classic agents’ keys are listed by value; a registration is classic’s PUT with a TTL', async (t) => {
  const etcd = await FakeEtcdV2.start();
  t.teardown(() => etcd.stop());
  const v2 = new EtcdV2([etcd.endpoint], PREFIX);
  t.deepEqual(await v2.list(), [], 'no directory yet: nobody registered');
  etcd.put('mixed/docker/swarm/nodes/10.0.0.2:2375', '10.0.0.2:2375');
  etcd.put('mixed/docker/swarm/nodes/10.0.0.1:2375', '10.0.0.1:2375');
  etcd.put('mixed/docker/swarm/nodes-elsewhere/10.0.0.9:2375', '10.0.0.9:2375');
  t.deepEqual(await v2.list(), ['10.0.0.1:2375', '10.0.0.2:2375']);
  t.true(await v2.register('10.0.0.3:2375', 20));
  const put = etcd.requests.find((r) => r.method === 'PUT');
  // classic 1.2.9's own request, as its agent sends it
  t.deepEqual(put && { path: put.rawPath, body: put.body }, {
    path: `${NODES}/10.0.0.3:2375`,
    body: 'ttl=20&value=10.0.0.3%3A2375',
  });
  t.deepEqual(await v2.list(), ['10.0.0.1:2375', '10.0.0.2:2375', '10.0.0.3:2375']);
  t.is(
    etcd.requests.filter((r) => r.path === '/v2/keys/').length,
    1,
    'v2 was looked for once and remembered',
  );
  const read = etcd.requests.find((r) => r.path === NODES);
  t.is(read?.query, 'quorum=true&recursive=true&sorted=true');
});

test('v2 off (404 page not found): nothing listed, nothing written, said once at info', async (t) => {
  const etcd = await FakeEtcdV2.start({ v2: false });
  t.teardown(() => etcd.stop());
  const { lines, logger } = recorder();
  const v2 = new EtcdV2([etcd.endpoint], PREFIX, {}, logger);
  t.false(await v2.available());
  t.deepEqual(await v2.list(), []);
  t.false(await v2.register('10.0.0.3:2375', 20));
  t.deepEqual(await v2.list(), []);
  t.deepEqual(
    etcd.requests.map((r) => `${r.method} ${r.path}`),
    ['GET /v2/keys/'],
  );
  t.is(lines.length, 1, lines.join('\n'));
  t.regex(lines[0]!, /^info: etcd 127\.0\.0\.1:\d+ has no v2 API \(.*--enable-v2.*3\.6/);
});

test('a member that cannot be reached: the next one is asked, and asked first from then on', async (t) => {
  const etcd = await FakeEtcdV2.start();
  t.teardown(() => etcd.stop());
  etcd.put('mixed/docker/swarm/nodes/10.0.0.1:2375', '10.0.0.1:2375');
  // a member that resets every connection, counting them
  let attempts = 0;
  const resetting = createServer((socket) => (attempts++, socket.resetAndDestroy()));
  await new Promise<void>((resolve) => resetting.listen(0, '127.0.0.1', resolve));
  t.teardown(() => resetting.close());
  const broken = `127.0.0.1:${(resetting.address() as AddressInfo).port}`;
  const v2 = new EtcdV2([broken, etcd.endpoint], PREFIX);
  t.deepEqual(await v2.list(), ['10.0.0.1:2375']);
  t.deepEqual(await v2.list(), ['10.0.0.1:2375']);
  t.is(attempts, 1, 'the member that failed was not asked again');
  const dead = `127.0.0.1:${await freePort()}`;
  const none = new EtcdV2([dead], PREFIX);
  await t.throwsAsync(() => none.list(), { message: /ECONNREFUSED/ });
});

test('an answer that is neither v2 nor its absence is an error, and v2 is looked for again', async (t) => {
  const proxy = await FakeEtcdV2.start({ answer: { status: 502, body: '<h1>Bad Gateway</h1>' } });
  t.teardown(() => proxy.stop());
  const v2 = new EtcdV2([proxy.endpoint], PREFIX);
  await t.throwsAsync(() => v2.list(), {
    message: 'etcd v2: looking for the v2 API: 502 <h1>Bad Gateway</h1>',
  });
  await t.throwsAsync(() => v2.available());
  t.is(proxy.requests.length, 2, 'a failed look was not remembered');
});

test('credentials: v2 basic authentication; a refusal is an error in etcd’s words', async (t) => {
  const auth = { username: 'swarm', password: 's3cret' };
  const etcd = await FakeEtcdV2.start({ auth });
  t.teardown(() => etcd.stop());
  etcd.put('mixed/docker/swarm/nodes/10.0.0.1:2375', '10.0.0.1:2375');
  t.deepEqual(await new EtcdV2([etcd.endpoint], PREFIX, { auth }).list(), ['10.0.0.1:2375']);
  t.is(etcd.requests.at(-1)?.authorization, `Basic ${btoa('swarm:s3cret')}`);
  const anonymous = new EtcdV2([etcd.endpoint], PREFIX);
  t.true(await anonymous.available(), 'a JSON refusal still says v2 is there');
  await t.throwsAsync(() => anonymous.list(), {
    message: `etcd v2: reading ${NODES}: 401 The request requires user authentication (Insufficient credentials)`,
  });
});

test('TLS: https with the CA and a client certificate', async (t) => {
  const ca = await TestCa.create(mkdtempSync(join(tmpdir(), 'skep-v2-tls-')));
  const server = await ca.issue('etcd', { ips: ['127.0.0.1'] });
  const client = await ca.issue('swarm');
  const pem = (file: string) => readFileSync(file);
  const etcd = await FakeEtcdV2.start({
    tls: { ca: pem(ca.ca), cert: pem(server.cert), key: pem(server.key) },
  });
  t.teardown(() => etcd.stop());
  const tls = { ca: pem(ca.ca), cert: pem(client.cert), key: pem(client.key) };
  t.true(await new EtcdV2([etcd.endpoint], PREFIX, { tls }).register('10.0.0.1:2375', 5));
  t.deepEqual(await new EtcdV2([etcd.endpoint], PREFIX, { tls }).list(), ['10.0.0.1:2375']);
  // over plain http the TLS port answers nothing etcd would: no address is taken from it
  await t.throwsAsync(() => new EtcdV2([etcd.endpoint], PREFIX).list());
});

test('watch: a classic agent’s registration is seen as it happens, and after history was lost', async (t) => {
  const etcd = await FakeEtcdV2.start();
  t.teardown(() => etcd.stop());
  const v2 = new EtcdV2([etcd.endpoint], PREFIX);
  let changes = 0;
  const stop = v2.watch(() => changes++, 100);
  t.teardown(stop);
  const waiting = () => etcd.requests.filter((r) => r.query.includes('wait=true')).length;
  await waitFor('the watch', async () => (waiting() >= 1 ? true : undefined), 5000, 20);
  etcd.put('mixed/docker/swarm/nodes/10.0.0.1:2375', '10.0.0.1:2375');
  await waitFor('one change', async () => (changes === 1 ? true : undefined), 5000, 20);
  etcd.put('mixed/docker/swarm/nodes-elsewhere/10.0.0.9:2375', '10.0.0.9:2375');
  etcd.put('mixed/docker/swarm/nodes/10.0.0.2:2375', '10.0.0.2:2375');
  await waitFor('a second change', async () => (changes === 2 ? true : undefined), 5000, 20);
  const last = etcd.requests.filter((r) => r.query.includes('wait=true')).at(-1);
  t.regex(last?.query ?? '', /^wait=true&recursive=true&waitIndex=\d+$/);
  // the watch is cut; while it is away, more than etcd's history happens
  const before = waiting();
  etcd.cutWaits();
  etcd.forgetEvents();
  etcd.put('mixed/docker/swarm/nodes/10.0.0.3:2375', '10.0.0.3:2375');
  await waitFor('a change after the index was cleared', async () =>
    changes === 3 ? true : undefined,
  );
  t.true(waiting() > before, 'the watch came back');
  stop();
  const seen = waiting();
  etcd.put('mixed/docker/swarm/nodes/10.0.0.4:2375', '10.0.0.4:2375');
  await new Promise((r) => setTimeout(r, 300));
  t.is(waiting(), seen, 'a stopped watch asks no more');
});
