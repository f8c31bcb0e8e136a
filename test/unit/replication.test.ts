import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import http from 'node:http';
import test from 'ava';
import { roleStatus, withRole } from '../../core/api/info.js';
import { decide, PrimaryForwarder } from '../../core/api/replica.js';
import { etcdMessage } from '../../core/replication/leadership.js';
import type { ManagerRole } from '../../core/replication/role.js';
import { FakeDocker } from '../harness/fake-docker.js';
import { inProcessManager, recordingLogger } from '../harness/in-process.js';
import { freePort } from '../harness/skep.js';

/** A role the test sets by hand: what the election would say. */
class ScriptedRole implements ManagerRole {
  readonly replicated = true;
  private readonly events = new EventEmitter();
  primaryAddr?: string;
  leading = false;

  constructor(readonly advertise: string) {}

  set(change: { primary?: string; leading?: boolean }): void {
    this.primaryAddr = change.primary;
    this.leading = change.leading ?? false;
    this.events.emit('change');
  }

  isPrimary = () => this.leading;
  primary = () => this.primaryAddr;
  noPrimaryReason = () => 'etcd has no quorum';
  changed = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.events.once('change', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  onChange = (listener: () => void) => void this.events.on('change', listener);
}

/** A replica's front: the forwarder, and `served here` for what it keeps. */
async function replicaFront(role: ManagerRole, holdMs = 2000) {
  const forwarder = new PrimaryForwarder(role, {
    holdMs,
    key: () => randomBytes(32),
    logger: recordingLogger(),
  });
  const server = http.createServer((req, res) =>
    forwarder.request(req, res, () => {
      req.resume();
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end(`served here: ${req.method} ${req.url}`);
    }),
  );
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => {
      forwarder.close();
      server.closeAllConnections();
      server.close();
    },
  };
}

test('decide: the primary serves; a replica forwards, keeps /_ping and /info, reads here and holds writes when no primary is known, never forwards twice', (t) => {
  const role = new ScriptedRole('10.0.0.1:2375');
  role.set({ primary: '10.0.0.2:2375' });
  t.deepEqual(decide(role, 'POST', '/containers/create', undefined), {
    serve: 'primary',
    addr: '10.0.0.2:2375',
  });
  t.deepEqual(decide(role, 'GET', '/v1.41/containers/json?all=1', undefined), {
    serve: 'primary',
    addr: '10.0.0.2:2375',
  });
  for (const url of ['/_ping', '/v1.41/_ping', '/info', '/v1.44/info?x=1'])
    t.deepEqual(decide(role, 'GET', url, undefined), { serve: 'here' }, url);
  // classic matched by suffix: a network named "info" went to the replica
  t.deepEqual(decide(role, 'GET', '/networks/info', undefined), {
    serve: 'primary',
    addr: '10.0.0.2:2375',
  });
  t.deepEqual(decide(role, 'POST', '/containers/create', '10.0.0.3:2375'), { serve: 'wait' });
  t.deepEqual(decide(role, 'GET', '/containers/json', '10.0.0.3:2375'), { serve: 'here' });
  role.set({ primary: undefined });
  t.deepEqual(decide(role, 'HEAD', '/containers/x/json', undefined), { serve: 'here' });
  t.deepEqual(decide(role, 'DELETE', '/containers/x', undefined), { serve: 'wait' });
  // an earlier manager at this address still holds the lease: not a primary to forward to (that would be a loop)
  role.set({ primary: '10.0.0.1:2375' });
  t.deepEqual(decide(role, 'POST', '/containers/create', undefined), { serve: 'wait' });
  role.set({ leading: true, primary: '10.0.0.1:2375' });
  t.deepEqual(decide(role, 'POST', '/containers/create', undefined), { serve: 'here' });
});

test("docker info's role lines: classic's Role, and Primary on a replica (none when none is known); a replica shows the primary's view with its own role", (t) => {
  const role = new ScriptedRole('10.0.0.1:2375');
  role.set({ leading: true, primary: '10.0.0.1:2375' });
  t.deepEqual(roleStatus(role), [['Role', 'primary']]);
  role.set({ primary: '10.0.0.2:2375' });
  t.deepEqual(roleStatus(role), [
    ['Role', 'replica'],
    ['Primary', '10.0.0.2:2375'],
  ]);
  role.set({});
  t.deepEqual(roleStatus(role)[1], ['Primary', 'none']);
  role.set({ primary: '10.0.0.2:2375' });
  const primaryView = {
    Containers: 4,
    SystemStatus: [
      ['Role', 'primary'],
      ['Strategy', 'spread'],
      ['Nodes', '0'],
    ],
  };
  t.deepEqual(withRole(primaryView, role), {
    Containers: 4,
    SystemStatus: [
      ['Role', 'replica'],
      ['Primary', '10.0.0.2:2375'],
      ['Strategy', 'spread'],
      ['Nodes', '0'],
    ],
  });
});

test('a replica forwards JSON calls and bodies to the primary and its answers back, errors too; /_ping stays here', async (t) => {
  const fake = await FakeDocker.start({ name: 'n1', images: ['busybox'] });
  const primary = await inProcessManager([fake]);
  const role = new ScriptedRole('127.0.0.1:1');
  role.set({
    primary: `127.0.0.1:${new URL(primary.manager.config.hosts[0]!.replace('tcp', 'http')).port}`,
  });
  const front = await replicaFront(role);
  t.teardown(async () => {
    front.close();
    await primary.stop();
    await fake.stop();
  });

  const created = await fetch(`${front.url}/v1.41/containers/create?name=through-replica`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ Image: 'busybox' }),
  });
  t.is(created.status, 201);
  const { Id } = (await created.json()) as { Id: string };
  t.true(fake.containers.has(Id));
  const listed = await fetch(`${front.url}/containers/json?all=1`);
  t.is(listed.headers.get('api-version'), '1.41');
  t.deepEqual(
    ((await listed.json()) as { Names: string[] }[]).map((c) => c.Names[0]),
    ['/n1/through-replica'],
  );
  const missing = await fetch(`${front.url}/containers/nothing/json`);
  t.is(missing.status, 404);
  t.regex(((await missing.json()) as { message: string }).message, /No such container: nothing/);
  t.is(await (await fetch(`${front.url}/_ping`)).text(), 'served here: GET /_ping');
});

test('no primary: a write waits for one and is refused 503 in Docker shape when none comes; a read is answered here', async (t) => {
  const role = new ScriptedRole('127.0.0.1:1');
  const front = await replicaFront(role, 300);
  t.teardown(front.close);
  const write = await fetch(`${front.url}/containers/create`, { method: 'POST', body: '{}' });
  t.is(write.status, 503);
  t.deepEqual(await write.json(), {
    message:
      "No elected primary cluster manager (etcd has no quorum): writes wait for one; reads are answered from this manager's cache",
  });
  t.is(
    await (await fetch(`${front.url}/containers/json`)).text(),
    'served here: GET /containers/json',
  );
});

test('a primary that cannot be reached received nothing: the write goes to the next primary once elected, body and all; a read is answered here meanwhile', async (t) => {
  const fake = await FakeDocker.start({ name: 'n1', images: ['busybox'] });
  const next = await inProcessManager([fake]);
  const role = new ScriptedRole('127.0.0.1:1');
  role.set({ primary: `127.0.0.1:${await freePort()}` }); // dead: nothing listens
  const front = await replicaFront(role, 5000);
  t.teardown(async () => {
    front.close();
    await next.stop();
    await fake.stop();
  });
  t.is(
    await (await fetch(`${front.url}/containers/json`)).text(),
    'served here: GET /containers/json',
  );
  const write = fetch(`${front.url}/containers/create?name=after-failover`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ Image: 'busybox' }),
  });
  await new Promise((resolve) => setTimeout(resolve, 400));
  role.set({
    primary: `127.0.0.1:${new URL(next.manager.config.hosts[0]!.replace('tcp', 'http')).port}`,
  });
  const res = await write;
  t.is(res.status, 201);
  t.is([...fake.containers.values()].length, 1);
});

test('the primary unreachable for good: the write is refused with classic\'s "Unable to reach primary cluster manager"', async (t) => {
  const role = new ScriptedRole('127.0.0.1:1');
  const dead = `127.0.0.1:${await freePort()}`;
  role.set({ primary: dead });
  const front = await replicaFront(role, 300);
  t.teardown(front.close);
  const res = await fetch(`${front.url}/containers/x/start`, { method: 'POST' });
  t.is(res.status, 500);
  t.regex(
    ((await res.json()) as { message: string }).message,
    new RegExp(
      `^Unable to reach primary cluster manager \\(connect ECONNREFUSED ${dead}\\): ${dead}$`,
    ),
  );
});

test("etcd's errors in the log and in a refused write's message: gRPC's text without its trimmings", (t) => {
  t.is(
    etcdMessage(
      new Error(
        '14 UNAVAILABLE: No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:43893. Resolution note: ',
      ),
    ),
    '14 UNAVAILABLE: No connection established. last error: connect ECONNREFUSED 127.0.0.1:43893',
  );
  t.is(
    etcdMessage(
      new Error(
        '4 DEADLINE_EXCEEDED: Deadline exceeded after 0.665s,name resolution: 0.001s,remote_addr=127.0.0.1:44441',
      ),
    ),
    '4 DEADLINE_EXCEEDED: Deadline exceeded after 0.665s talking to 127.0.0.1:44441',
  );
  t.is(
    etcdMessage(new Error('Lease 660518646872908294 is expired or revoked\nat ...')),
    'Lease 660518646872908294 is expired or revoked',
  );
});
