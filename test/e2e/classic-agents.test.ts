import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { withRealEngines } from '../harness/e2e.js';
import { TestEtcd } from '../harness/etcd.js';
import { run, sleep, waitFor } from '../harness/exec.js';
import { freePort, REPO_ROOT, SWARM_BIN } from '../harness/skep.js';
import { CLASSIC_SWARM, DOCKER_CLI_DEBIAN } from '../harness/support.js';
import { useCluster } from '../harness/use-cluster.js';

/** A process of the test's, its output kept. */
interface Started {
  child: ChildProcess;
  log: () => string;
}

/**
 * Classic swarm 1.2.9's real agents and manager beside Skep's on one etcd: the migration an
 * operator makes one side at a time. Classic keeps its nodes in etcd's v2 API, Skep in v3.
 */
withRealEngines((test) => {
  const e2e = useCluster(test, 'classic-agents', { size: 3 });
  const started: Started[] = [];
  let etcd: TestEtcd;

  test.serial.before(async () => {
    etcd = await TestEtcd.start(join(e2e.cluster.stateDir, 'etcd-v2'), undefined, 1, {
      enableV2: true,
    });
    e2e.teardown(() => etcd.stop());
    // every agent and classic manager goes before etcd does
    e2e.teardown(async () => {
      for (const { child } of started) {
        if (child.exitCode !== null || child.signalCode !== null) continue;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await Promise.race([exited, sleep(5000)]);
      }
    });
  });

  const start = (command: string, args: string[]): Started => {
    const child = spawn(command, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    for (const stream of [child.stdout!, child.stderr!])
      stream.on('data', (d: Buffer) => (log += d.toString()));
    const proc = { child, log: () => log };
    started.push(proc);
    return proc;
  };
  /** classic 1.2.9's `swarm join`, at once (no random delay), renewing every second. */
  const classicJoin = (addr: string, registry: string) =>
    start(CLASSIC_SWARM, [
      'join',
      `--advertise=${addr}`,
      '--heartbeat=1s',
      '--ttl=3s',
      '--delay=0s',
      registry,
    ]);
  const skepJoin = (addr: string, registry: string) =>
    start(process.execPath, [
      SWARM_BIN,
      'join',
      '--advertise',
      addr,
      '--heartbeat',
      '1s',
      '--ttl',
      '3s',
      registry,
    ]);
  /** `swarm list`'s addresses, sorted (classic's order is etcd's, Skep's its own). */
  const listed = async (bin: 'skep' | 'classic', registry: string) => {
    const res =
      bin === 'skep'
        ? await run(process.execPath, [SWARM_BIN, 'list', registry], { timeoutMs: 20_000 })
        : await run(CLASSIC_SWARM, ['list', registry], { timeoutMs: 20_000 });
    // classic logs `Initializing discovery without TLS` on stdout, among the addresses
    const addresses = res.stdout.split('\n').filter((line) => /^[\d.]+:\d+$/.test(line));
    return addresses.sort().join(',');
  };
  const until = (what: string, check: () => Promise<boolean>) =>
    waitFor(what, async () => ((await check()) ? true : undefined), 30_000, 250);
  /** The node names `docker info` lists through a manager, sorted. */
  const nodeNames = (info: string) =>
    [...info.matchAll(/^ {2}(node\d): /gm)]
      .map((m) => m[1])
      .sort()
      .join(',');

  test.serial(
    "Skep's swarm list and swarm manage see classic 1.2.9's agents (v2) beside Skep's own (v3); a classic agent that stops leaves after its TTL",
    async (t) => {
      const registry = `etcd://${etcd.endpoint}/mixed`;
      const [a, b, c] = e2e.cluster.engines.map((e) => e.addr) as [string, string, string];
      classicJoin(a, registry);
      const second = classicJoin(b, registry);
      skepJoin(c, registry);
      const all = [a, b, c].sort().join(',');
      await until(
        `Skep's swarm list to show ${all}`,
        async () => (await listed('skep', registry)) === all,
      );
      const skep = await e2e.startManager(['--heartbeat', '1s', registry], { nodes: 3 });
      const info = (await skep.docker(['info'])).stdout;
      t.regex(info, /^ Nodes: 3$/m);
      t.is(nodeNames(info), 'node1,node2,node3');
      second.child.kill('SIGKILL');
      await until(
        "the stopped classic agent to leave Skep's manager",
        async () => nodeNames((await skep.docker(['info'])).stdout) === 'node1,node3',
      );
      t.is(await listed('skep', registry), [a, c].sort().join(','));
    },
  );

  test.serial(
    "classic 1.2.9's swarm list and swarm manage see Skep's agent (it registers in v2 too), beside classic's own",
    async (t) => {
      const registry = `etcd://${etcd.endpoint}/rollback`;
      const [a, b] = e2e.cluster.engines.map((e) => e.addr) as [string, string, string];
      skepJoin(a, registry);
      classicJoin(b, registry);
      const both = [a, b].sort().join(',');
      await until(
        `classic's swarm list to show ${both}`,
        async () => (await listed('classic', registry)) === both,
      );
      const port = await freePort();
      const manager = start(CLASSIC_SWARM, ['manage', '-H', `127.0.0.1:${port}`, registry]);
      let said = '';
      const info = async () => {
        const res = await run(DOCKER_CLI_DEBIAN, ['-H', `tcp://127.0.0.1:${port}`, 'info'], {
          timeoutMs: 20_000,
        });
        said = res.stdout + res.stderr;
        return res.stdout;
      };
      await until("classic's manager to count two healthy nodes", async () => {
        const text = await info();
        return /^ Nodes: 2$/m.test(text) && (text.match(/└ Status: Healthy/g) ?? []).length === 2;
      }).catch((err: Error) => {
        throw new Error(
          `${err.message}\ndocker info said:\n${said}\nclassic's manager said:\n${manager.log()}`,
        );
      });
      t.is(nodeNames(await info()), 'node1,node2');
    },
  );

  test.serial(
    'etcd without v2 (no --enable-v2): Skep says so once and works on v3; classic cannot use that etcd at all',
    async (t) => {
      const v3only = await TestEtcd.start(join(e2e.cluster.stateDir, 'etcd-v3'));
      e2e.teardown(() => v3only.stop());
      const registry = `etcd://${v3only.endpoint}/v3only`;
      const [a] = e2e.cluster.engines.map((e) => e.addr) as [string];
      const agent = skepJoin(a, registry);
      const skep = await e2e.startManager(['--heartbeat', '1s', registry], { nodes: 1 });
      await sleep(3000); // three heartbeats: re-reads and renewals
      const noV2 = /has no v2 API \(it runs without --enable-v2, or is etcd 3\.6 or later\)/g;
      t.is((skep.logs.join('').match(noV2) ?? []).length, 1, skep.logs.join(''));
      t.is((agent.log().match(noV2) ?? []).length, 1, agent.log());
      t.regex(skep.logs.join(''), /level=info msg="etcd [^"]* has no v2 API/);
      t.is(nodeNames((await skep.docker(['info'])).stdout), 'node1');
      const classic = await run(CLASSIC_SWARM, ['list', registry], { timeoutMs: 20_000 });
      t.regex(
        classic.stdout + classic.stderr,
        /client: response is invalid json\. The endpoint is probably not valid etcd cluster endpoint\./,
      );
    },
  );
});
