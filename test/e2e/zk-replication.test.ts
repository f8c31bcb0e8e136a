import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { withRealEngines } from '../harness/e2e.js';
import { waitFor } from '../harness/exec.js';
import { checkFrozenPrimary, type ManagerSlot, ReplicatedManagers } from '../harness/replicated.js';
import { REPO_ROOT, SWARM_BIN } from '../harness/skep.js';
import { useCluster } from '../harness/use-cluster.js';
import { TestZookeeper } from '../harness/zookeeper.js';

/**
 * `--replication` on `zk://` (Debian's zookeeperd 3.8, a 500 ms tick so a 2 s session is granted):
 * one primary, failover after kill -9 within the same bounds as on etcd, a clean stop hands over at
 * once, the election back within a TTL of ZooKeeper's return, and a primary frozen past its
 * session resumes as a replica whose client connections are still read (the native client once
 * took them out of the manager's epoll: core/discovery/zookeeper-thread.ts).
 */
withRealEngines((test) => {
  const e2e = useCluster(test, 'zk-replication', { size: 3 });
  const agents: ChildProcess[] = [];
  let zk: TestZookeeper;
  let managers: ReplicatedManagers;
  const registry = () => `zk://${zk.endpoint}/zkha`;
  test.serial.before(async () => {
    zk = await TestZookeeper.start(join(e2e.cluster.stateDir, 'zookeeper'));
    e2e.teardown(() => zk.kill());
    e2e.teardown(() => agents.forEach((a) => a.kill('SIGKILL')));
    e2e.teardown(() => managers?.stop());
    for (const engine of e2e.cluster.engines) {
      const args = ['join', '--advertise', engine.addr, '--heartbeat', '1s', '--ttl', '3s'];
      agents.push(
        spawn(process.execPath, [SWARM_BIN, ...args, registry()], {
          cwd: REPO_ROOT,
          stdio: 'ignore',
        }),
      );
    }
    managers = await ReplicatedManagers.start({
      discovery: registry(),
      path: 'zkha',
      count: 3,
      nodes: 3,
      args: ['--heartbeat', '1s', '--replication-ttl', '2s'],
    });
  });
  const replicasOf = (primary: ManagerSlot) => managers.alive.filter((s) => s !== primary);

  test.serial('one primary that every manager names; docker run through a replica', async (t) => {
    const primary = await managers.primary();
    for (const slot of replicasOf(primary))
      t.like(await managers.role(slot), { role: 'replica', primary: primary.advertise });
    const replica = replicasOf(primary)[0]!;
    const ran = await replica.process.docker(['run', '--rm', 'busybox', 'echo', 'on zk']);
    t.is(ran.stdout, 'on zk\n', ran.stderr);
    t.regex(primary.process.logs.join(''), /Leader Election: Cluster leadership acquired/);
  });

  test.serial(
    'kill -9 of the primary: a replica leads within the session timeout and a second, docker run works; the killed one returns as a replica',
    async (t) => {
      const primary = await managers.primary();
      managers.kill(primary);
      const killedAt = Date.now();
      const next = await managers.primary(replicasOf(primary));
      const ms = Date.now() - killedAt;
      t.log(`a new primary named by both survivors ${ms} ms after the kill`);
      t.true(ms < 8000, `${ms} ms`);
      for (const slot of replicasOf(primary)) {
        const ran = await slot.process.docker(['run', '--rm', 'busybox', 'echo', 'after kill']);
        t.is(ran.stdout, 'after kill\n', ran.stderr);
      }
      await managers.restart(primary);
      t.like(await managers.role(primary), { role: 'replica', primary: next.advertise });
    },
  );

  test.serial(
    'SIGTERM of the primary: its candidate node goes as it stops, so another leads at once',
    async (t) => {
      const primary = await managers.primary();
      await primary.process.stop();
      t.regex(primary.process.logs.join(''), /Leader Election: stepped down/);
      const stoppedAt = Date.now();
      const next = await managers.primary(replicasOf(primary));
      t.log(`a new primary named by every manager ${Date.now() - stoppedAt} ms after the stop`);
      t.true(Date.now() - stoppedAt < 2000);
      await managers.restart(primary);
      t.like(await managers.role(primary), { role: 'replica', primary: next.advertise });
    },
  );

  test.serial(
    'a primary frozen (SIGSTOP) past its session resumes as a replica: the create it was sent is placed once, by the new primary',
    (t) =>
      checkFrozenPrimary(
        t,
        managers,
        'zk-frozen',
        async (name) => (await e2e.cluster.containersNamed(name)).length,
      ),
  );

  test.serial(
    'ZooKeeper killed and back: reads answered meanwhile, writes wait; a primary again within one TTL of its return',
    async (t) => {
      await managers.primary();
      await zk.kill();
      for (const slot of managers.slots)
        await waitFor(
          `${slot.advertise} to see no primary`,
          async () => ((await managers.role(slot)).primary === 'none' ? true : undefined),
          15_000,
        );
      const ps = await managers.slots[0]!.process.docker(['ps']);
      t.is(ps.code, 0, ps.stderr);
      await zk.restart();
      const backAt = Date.now();
      const back = await managers.primary();
      const ms = Date.now() - backAt;
      t.log(`a primary named by every manager ${ms} ms after ZooKeeper served again`);
      // within one TTL (2 s), plus the time to ask three managers with the docker CLI
      t.true(ms < 3000, `${ms} ms`);
      const ran = await back.process.docker(['run', '--rm', 'busybox', 'echo', 'zk is back']);
      t.is(ran.stdout, 'zk is back\n', ran.stderr);
    },
  );
});
