import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { withRealEngines } from '../harness/e2e.js';
import { run, waitFor } from '../harness/exec.js';
import { REPO_ROOT, type SkepProcess, SWARM_BIN } from '../harness/skep.js';
import { CLASSIC_SWARM } from '../harness/support.js';
import { useCluster } from '../harness/use-cluster.js';
import { TestZookeeper } from '../harness/zookeeper.js';

/**
 * `zk://` over a real ZooKeeper (Debian's zookeeperd 3.8): Skep's and classic's agents and
 * managers read each other's registrations, and the nodes come back when ZooKeeper does.
 */
withRealEngines((test) => {
  const e2e = useCluster(test, 'zookeeper', { size: 3 });
  const agents: ChildProcess[] = [];
  let zk: TestZookeeper;
  test.serial.before(async () => {
    zk = await TestZookeeper.start(join(e2e.cluster.stateDir, 'zookeeper'));
    e2e.teardown(() => zk.kill());
    e2e.teardown(() => agents.forEach((a) => a.kill('SIGKILL')));
  });

  /** `swarm join` of Skep or of classic, heartbeat 1 s and TTL 3 s; its log kept. */
  const agent = (bin: 'skep' | 'classic', addr: string, registry: string) => {
    const args = ['join', '--advertise', addr, '--heartbeat', '1s', '--ttl', '3s', registry];
    const child =
      bin === 'skep'
        ? spawn(process.execPath, [SWARM_BIN, ...args], { cwd: REPO_ROOT })
        : spawn(CLASSIC_SWARM, args);
    const log: string[] = [];
    child.stdout!.on('data', (d: Buffer) => log.push(d.toString()));
    child.stderr!.on('data', (d: Buffer) => log.push(d.toString()));
    agents.push(child);
    return { child, log };
  };
  /** `swarm list`'s lines, sorted. */
  const list = async (bin: 'skep' | 'classic', registry: string) => {
    const res =
      bin === 'skep'
        ? await run(process.execPath, [SWARM_BIN, 'list', registry], { cwd: REPO_ROOT })
        : await run(CLASSIC_SWARM, ['list', registry]);
    if (res.code !== 0) throw new Error(`${bin}'s swarm list exited ${res.code}: ${res.stderr}`);
    // classic's logrus writes to stdout too (`level=info msg="Initializing discovery without TLS"`)
    const lines = res.stdout.split('\n').filter(Boolean);
    return (bin === 'classic' ? lines.filter((l) => !l.startsWith('time=')) : lines).sort();
  };
  const listed = (bin: 'skep' | 'classic', registry: string, wanted: string[]) =>
    waitFor(
      `${bin}'s swarm list to print ${wanted.join(',')}`,
      async () =>
        (await list(bin, registry)).join() === [...wanted].sort().join() ? true : undefined,
      20_000,
    );
  /** The node names `docker info` lists through the manager, sorted. */
  const nodesOf = async (skep: SkepProcess) =>
    [...(await skep.docker(['info'])).stdout.matchAll(/^ {2}(node\d): /gm)]
      .map((m) => m[1])
      .sort()
      .join(',');
  const seen = (skep: SkepProcess, wanted: string, timeoutMs = 20_000) =>
    waitFor(
      `docker info to list ${wanted || 'no node'}`,
      async () => ((await nodesOf(skep)) === wanted ? true : undefined),
      timeoutMs,
      100,
    );

  test.serial(
    "Skep's and classic's agents, listed by both swarm lists and followed by Skep's manager; a stopped agent lapses",
    async (t) => {
      t.true(existsSync(CLASSIC_SWARM), `classic swarm 1.2.9 is expected at ${CLASSIC_SWARM}`);
      const registry = `zk://${zk.endpoint}/mixed`;
      const [a, b, c] = e2e.cluster.engines.map((e) => e.addr) as [string, string, string];
      const skepAgent = agent('skep', a, registry);
      agent('skep', b, registry);
      // Skep's registrations, in classic's layout: classic's own list reads them
      await listed('skep', registry, [a, b]);
      await listed('classic', registry, [a, b]);
      t.regex(skepAgent.log.join(''), /Registering on the discovery service every 1s/);

      const skep = await e2e.startManager(['--heartbeat', '1s', registry], { nodes: 2 });
      t.is(await nodesOf(skep), 'node1,node2');
      // classic's agent joins the running manager
      agent('classic', c, registry);
      await seen(skep, 'node1,node2,node3');
      t.deepEqual(await list('skep', registry), [a, b, c].sort());
      t.deepEqual(await list('classic', registry), [a, b, c].sort());

      skepAgent.child.kill('SIGTERM');
      const stopped = Date.now();
      await seen(skep, 'node2,node3');
      t.true(Date.now() - stopped >= 2000, 'the registration outlived its agent by about the TTL');
      t.deepEqual(await list('classic', registry), [b, c].sort());
    },
  );

  test.serial(
    'ZooKeeper killed and restarted: the manager keeps its nodes meanwhile and logs it once; the nodes are followed again within a heartbeat or two',
    async (t) => {
      const registry = `zk://${zk.endpoint}/outage`;
      const [a, b, c] = e2e.cluster.engines.map((e) => e.addr) as [string, string, string];
      agent('skep', a, registry);
      agent('classic', b, registry);
      await listed('skep', registry, [a, b]);
      const skep = await e2e.startManager(['--heartbeat', '1s', registry], { nodes: 2 });
      const logged = () => skep.logs.join('').match(/Discovery error: zookeeper/g)?.length ?? 0;

      await zk.kill();
      // an agent that registers while ZooKeeper is down gets in once it is back
      agent('skep', c, registry);
      await waitFor('the manager to notice', async () => (logged() > 0 ? true : undefined), 10_000);
      await new Promise((r) => setTimeout(r, 4000)); // several heartbeats, and the agents' TTL
      t.is(logged(), 1, 'the outage is logged once, not every heartbeat');
      t.is(await nodesOf(skep), 'node1,node2', 'the last list is kept while ZooKeeper is down');

      await zk.restart();
      const back = Date.now();
      await seen(skep, 'node1,node2,node3', 10_000);
      const took = Date.now() - back;
      t.log(`the new node was followed ${took} ms after ZooKeeper answered`);
      t.true(took < 3000, `the nodes were followed again ${took} ms after ZooKeeper answered`);
      t.regex(skep.logs.join(''), /Discovery: ZooKeeper [^ ]+ answers again/);
      t.deepEqual(await list('classic', registry), [a, b, c].sort());
    },
  );

  test.serial(
    "an agent frozen past its session's expiry: its node lapses, and it registers again once it runs (Skep's and classic's alike)",
    async (t) => {
      const registry = `zk://${zk.endpoint}/expiry`;
      const [a, b] = e2e.cluster.engines.map((e) => e.addr) as [string, string];
      const skepAgent = agent('skep', a, registry);
      const classicAgent = agent('classic', b, registry);
      const skep = await e2e.startManager(['--heartbeat', '1s', registry], { nodes: 2 });

      const backAfter: number[] = [];
      for (const frozen of [skepAgent, classicAgent]) {
        const others = frozen === skepAgent ? 'node2' : 'node1';
        frozen.child.kill('SIGSTOP'); // no pings: ZooKeeper expires its session after its timeout
        await seen(skep, others, 20_000);
        frozen.child.kill('SIGCONT');
        const resumed = Date.now();
        await seen(skep, 'node1,node2', 20_000);
        backAfter.push(Date.now() - resumed);
      }
      t.log(`back after resuming: Skep's agent ${backAfter[0]} ms, classic's ${backAfter[1]} ms`);
      // the expiry is learnt on reconnecting; the node is created again at the next heartbeat
      t.true(backAfter[0]! < 3000, `Skep's agent was back ${backAfter[0]} ms after it resumed`);
    },
  );

  // last: classic's agents cannot follow this one (they retry the old session for ever)
  test.serial(
    "ZooKeeper back without its data: Skep's agents and manager start new sessions (the old ones are refused for ever) and the nodes are back",
    async (t) => {
      const registry = `zk://${zk.endpoint}/wiped`;
      const [a, b, c] = e2e.cluster.engines.map((e) => e.addr) as [string, string, string];
      agent('skep', a, registry);
      agent('skep', b, registry);
      const skep = await e2e.startManager(['--heartbeat', '1s', registry], { nodes: 2 });
      await zk.kill();
      zk.wipe();
      await zk.restart();
      const back = Date.now();
      await listed('skep', registry, [a, b]);
      t.log(`both agents registered again ${Date.now() - back} ms after ZooKeeper answered`);
      // the manager follows the new server: a node that joins now is seen
      agent('skep', c, registry);
      await seen(skep, 'node1,node2,node3');
      t.true(Date.now() - back < 15_000, `${Date.now() - back} ms`);
    },
  );
});
