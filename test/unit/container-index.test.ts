import test from 'ava';
import { DockerError } from '../../core/errors.js';
import { ContainerCache, keptInspect } from '../../core/cluster/container-cache.js';
import { ContainerIndex } from '../../core/cluster/container-index.js';
import type { ContainerInspect } from '../../core/cluster/docker-types.js';
import type { Engine } from '../../core/cluster/engine.js';

/** Nodes with just what the index reads of an engine: its name and its container cache. */
function cluster(...nodes: [string, [id: string, name: string][]][]) {
  const index = new ContainerIndex();
  const engines = nodes.map(([name, containers]) => {
    const engine = { name, containers: new ContainerCache() } as unknown as Engine;
    engine.containers.onChange = (before, after) => index.change(engine, before, after);
    for (const [id, cname] of containers) engine.containers.set(id, cached(id, cname));
    return engine;
  });
  return { index, engines };
}

function cached(id: string, name: string, extra: Partial<ContainerInspect> = {}) {
  const inspect = {
    Id: id,
    Name: `/${name}`,
    State: {
      Status: 'running',
      Running: true,
      Paused: false,
      Restarting: false,
      ExitCode: 0,
      StartedAt: '',
      FinishedAt: '',
    },
    ...extra,
  };
  return {
    summary: {
      Id: id,
      Names: [`/${name}`],
      Image: 'busybox',
      ImageID: '',
      Created: 0,
      State: 'running',
      Status: '',
    },
    inspect,
    readAt: 0,
  };
}

const webId = 'a'.repeat(12) + '1'.repeat(52);
const dbId = 'a'.repeat(12) + '2'.repeat(52);
const twinId = 'b'.repeat(64);

test('full ID, name in every form, unique prefix', (t) => {
  const { index } = cluster(['node1', [[webId, 'web']]], ['node2', [[dbId, 'db']]]);
  t.is(index.find(webId).container.summary.Id, webId);
  for (const ref of ['web', '/web', 'node1/web', '/node1/web'])
    t.is(index.find(ref).container.summary.Id, webId, ref);
  t.is(index.find('aaaaaaaaaaaa2').engine.name, 'node2');
});

test('a name beats an ID prefix, as in Docker', (t) => {
  const { index } = cluster(
    [
      'node1',
      [
        [webId, 'web'],
        ['c'.repeat(64), 'aaaa'],
      ],
    ],
    ['node2', [[dbId, 'db']]],
  );
  t.is(index.find('aaaa').container.summary.Id, 'c'.repeat(64));
});

test("ambiguous prefixes and names are Docker's client errors; unknown is 404", (t) => {
  const { index } = cluster(
    ['node1', [[webId, 'web']]],
    ['node2', [[dbId, 'db']]],
    ['node3', [[twinId, 'web']]],
  );
  const ambiguous = t.throws(() => index.find('aaaa'), { instanceOf: DockerError });
  t.is(ambiguous!.status, 400);
  t.is(ambiguous!.message, 'multiple IDs found with provided prefix: aaaa');
  const twice = t.throws(() => index.find('web'), { instanceOf: DockerError });
  t.is(twice!.status, 400);
  t.regex(twice!.message, /node1, node3/);
  t.is(index.find('node3/web').container.summary.Id, twinId);
  t.is(t.throws(() => index.find('node2/web'))!.message, 'No such container: node2/web');
});

test('the index follows renames, removals and nodes that leave', (t) => {
  const { index, engines } = cluster(['node1', [[webId, 'web']]], ['node2', [[dbId, 'db']]]);
  const [node1, node2] = engines as [Engine, Engine];
  node1.containers.set(webId, cached(webId, 'front'));
  t.is(index.find('front').container.summary.Id, webId);
  t.is(t.throws(() => index.find('web'))!.message, 'No such container: web');
  node1.containers.delete(webId);
  t.throws(() => index.find(webId), { message: `No such container: ${webId}` });
  index.forget(node2);
  t.throws(() => index.find('db'), { message: 'No such container: db' });
});

test('a node cache keeps running totals of reservations and states', (t) => {
  const cache = new ContainerCache();
  const withResources = (id: string, running: boolean, memory: number, shares: number) =>
    cached(id, id, {
      State: {
        Status: running ? 'running' : 'exited',
        Running: running,
        Paused: false,
        Restarting: false,
        ExitCode: 0,
        StartedAt: '',
        FinishedAt: '',
      },
      HostConfig: { Memory: memory, CpuShares: shares },
    });
  cache.set('a', withResources('a', true, 100, 512));
  cache.set('b', withResources('b', false, 50, 0));
  t.deepEqual([cache.memory, cache.cpuShares, cache.running, cache.paused], [150, 512, 1, 0]);
  cache.set('a', withResources('a', false, 100, 1024)); // re-read: replaces, never double counts
  t.deepEqual([cache.memory, cache.cpuShares, cache.running], [150, 1024, 0]);
  cache.delete('b');
  cache.delete('b');
  t.deepEqual([cache.memory, cache.cpuShares, cache.size], [100, 1024, 1]);
});

test('the cache keeps only what the manager reads of an inspect document, unless asked for all of it', (t) => {
  const inspect = {
    Id: 'x',
    Name: '/x',
    Created: '2026-01-01T00:00:00.123456789Z',
    State: {
      Status: 'running',
      Running: true,
      Paused: false,
      Restarting: false,
      ExitCode: 0,
      StartedAt: 's',
      FinishedAt: 'f',
      Health: { Status: 'healthy', Log: [{ Output: 'a long log' }] },
    },
    Config: { Image: 'busybox', Labels: { a: 'b' }, Env: ['SECRET=1'], Cmd: ['sh'] },
    HostConfig: {
      Memory: 1,
      CpuShares: 2,
      PortBindings: { '80/tcp': [{ HostPort: '8080' }] },
      NetworkMode: 'bridge',
      Binds: ['/a:/b'],
    },
    GraphDriver: { Data: {} },
    ExecIDs: ['e1'],
  } as unknown as ContainerInspect;
  const kept = keptInspect(inspect, false);
  t.deepEqual(kept.State.Health, { Status: 'healthy' });
  t.deepEqual(kept.HostConfig, {
    Memory: 1,
    CpuShares: 2,
    PortBindings: { '80/tcp': [{ HostPort: '8080' }] },
    NetworkMode: 'bridge',
  });
  t.is((kept.Config as Record<string, unknown>).Env, undefined);
  t.is(kept.GraphDriver, undefined);
  t.deepEqual(kept.ExecIDs, ['e1']);
  t.is(kept.Created, inspect.Created);
  t.is(keptInspect(inspect, true), inspect);
});

test("a container is found by classic's swarm ID too, and the index follows the label", (t) => {
  const swarmId = 'd'.repeat(64);
  const { index, engines } = cluster(['node1', []], ['node2', []]);
  engines[0]!.containers.set(
    webId,
    cached(webId, 'web', { Config: { Labels: { 'com.docker.swarm.id': swarmId } } }),
  );
  t.is(index.find(swarmId).container.summary.Id, webId);
  t.deepEqual(
    index.withSwarmId(swarmId).map((l) => l.engine.name),
    ['node1'],
  );
  // a rescheduled copy on another node carries the same swarm ID until the stale one goes
  engines[1]!.containers.set(
    dbId,
    cached(dbId, 'web', { Config: { Labels: { 'com.docker.swarm.id': swarmId } } }),
  );
  t.deepEqual(
    index
      .withSwarmId(swarmId)
      .map((l) => l.engine.name)
      .sort(),
    ['node1', 'node2'],
  );
  engines[0]!.containers.delete(webId);
  t.deepEqual(
    index.withSwarmId(swarmId).map((l) => l.engine.name),
    ['node2'],
  );
  t.throws(() => index.find('e'.repeat(64)), {
    instanceOf: DockerError,
    message: /No such container/,
  });
});
