import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withRealEngines } from '../harness/e2e.js';
import { TestEtcd } from '../harness/etcd.js';
import { run, waitFor } from '../harness/exec.js';
import { freePort, REPO_ROOT, SkepProcess, SWARM_BIN } from '../harness/skep.js';
import { useCluster } from '../harness/use-cluster.js';

/** Nodes join and leave through file and etcd discovery, without a manager restart. */
withRealEngines((test) => {
  const e2e = useCluster(test, 'discovery', { size: 3 });
  const managers: SkepProcess[] = [];
  const joins: ChildProcess[] = [];
  e2e.teardown(async () => {
    for (const j of joins) j.kill('SIGKILL');
    for (const m of managers) await m.stop();
  });
  const swarm = (...args: string[]) =>
    run(process.execPath, [SWARM_BIN, ...args], { cwd: REPO_ROOT, timeoutMs: 20_000 });
  /** The node names `docker info` lists, in order. */
  const nodesOf = async (skep: SkepProcess) =>
    [...(await skep.docker(['info'])).stdout.matchAll(/^ {2}(node\d): /gm)]
      .map((m) => m[1])
      .sort()
      .join(',');
  const until = (skep: SkepProcess, wanted: string) =>
    waitFor(
      `nodes ${wanted}`,
      async () => ((await nodesOf(skep)) === wanted ? true : undefined),
      30_000,
    );

  test.serial(
    'file://: a file that is not there yet is waited for; nodes added and removed as it changes (engine_disconnect); swarm list prints them',
    async (t) => {
      const [a, b, c] = e2e.cluster.engines.map((e) => e.addr) as [string, string, string];
      const file = join(mkdtempSync(join(tmpdir(), 'skep-nodes-')), 'nodes');
      // classic kept running when its discovery could not be read, and retried
      const skep = await SkepProcess.start([`file://${file}`], { nodes: 0 });
      managers.push(skep);
      t.regex(
        skep.logs.join(''),
        /level=error msg="Discovery error: discovery file [^"]*: no such file/,
      );
      const since = Math.floor(Date.now() / 1000);
      writeFileSync(file, `# the cluster\n${a}\n${b}\n`);
      await until(skep, 'node1,node2');
      writeFileSync(file, `${a}\n${b}\n${c}\n`);
      await until(skep, 'node1,node2,node3');
      t.is(
        (
          await skep.docker([
            'run',
            '--rm',
            '-e',
            'constraint:node==node3',
            'busybox',
            'echo',
            'joined',
          ])
        ).stdout,
        'joined\n',
      );
      writeFileSync(file, `${b}\n${c}\n`);
      await until(skep, 'node2,node3');
      const events = await (
        await fetch(
          `${skep.url}/events?since=${since}&until=${Math.ceil(Date.now() / 1000) + 1}&filters=${encodeURIComponent('{"type":["swarm"]}')}`,
        )
      ).text();
      const actions = events
        .trim()
        .split('\n')
        .map(
          (l) => JSON.parse(l) as { Action: string; Actor: { Attributes: Record<string, string> } },
        );
      t.true(
        actions.some(
          (e) => e.Action === 'engine_disconnect' && e.Actor.Attributes['node.name'] === 'node1',
        ),
        events,
      );
      t.is((await swarm('list', `file://${file}`)).stdout, `${b}\n${c}\n`);
    },
  );

  test.serial(
    'etcd://: swarm join registers a node with a TTL; the manager follows the registry live; a stopped join lapses',
    async (t) => {
      const etcd = await TestEtcd.start(join(e2e.cluster.stateDir, 'etcd'));
      const registry = `etcd://${etcd.endpoint}/skep`;
      const joinNode = (addr: string) => {
        const child = spawn(
          process.execPath,
          [SWARM_BIN, 'join', '--advertise', addr, '--heartbeat', '1s', '--ttl', '3s', registry],
          { cwd: REPO_ROOT, stdio: 'ignore' },
        );
        joins.push(child);
        return child;
      };
      const [a, b, c] = e2e.cluster.engines.map((e) => e.addr) as [string, string, string];
      joinNode(a);
      const second = joinNode(b);
      await waitFor(
        'two registrations',
        async () =>
          (await swarm('list', registry)).stdout.trim().split('\n').length === 2 ? true : undefined,
        20_000,
      );
      const skep = await SkepProcess.start([registry], { nodes: 2 });
      managers.push(skep);
      joinNode(c);
      await until(skep, 'node1,node2,node3');
      second.kill('SIGTERM');
      const stoppedAt = Date.now();
      await until(skep, 'node1,node3');
      t.true(Date.now() - stoppedAt >= 2000, 'the registration outlived its join by about the TTL');
      t.deepEqual((await swarm('list', registry)).stdout.trim().split('\n').sort(), [a, c].sort());
    },
  );

  test.serial(
    'etcd:// not running yet: manage and join keep running, retrying every heartbeat; the node appears once etcd does',
    async (t) => {
      const port = await freePort();
      const registry = `etcd://127.0.0.1:${port}/late`;
      const joined = spawn(
        process.execPath,
        [
          SWARM_BIN,
          'join',
          '--advertise',
          e2e.cluster.engines[0]!.addr,
          '--heartbeat',
          '1s',
          '--ttl',
          '5s',
          registry,
        ],
        {
          cwd: REPO_ROOT,
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
      joins.push(joined);
      let joinLog = '';
      joined.stderr!.on('data', (d: Buffer) => (joinLog += d.toString()));
      const skep = await SkepProcess.start(['--heartbeat', '1s', registry], { nodes: 0 });
      managers.push(skep);
      await waitFor(
        'both to report the discovery error',
        async () =>
          /Discovery error/.test(joinLog) && /Discovery error/.test(skep.logs.join(''))
            ? true
            : undefined,
        20_000,
      );
      t.is(joined.exitCode, null, 'join still running');
      await TestEtcd.start(join(e2e.cluster.stateDir, 'etcd-late'), port);
      // classic reconnected within the heartbeat; so does Skep (etcd3's default circuit breaker held it 5 s)
      const back = Date.now();
      await waitFor(
        'node1',
        async () => ((await nodesOf(skep)) === 'node1' ? true : undefined),
        30_000,
        100,
      );
      t.true(
        Date.now() - back < 3000,
        `the node appeared ${Date.now() - back} ms after etcd answered (heartbeat 1 s: a join's retry, then the manager's)`,
      );
      t.regex(joinLog, /Registering on the discovery service every 1s/);
    },
  );
});
