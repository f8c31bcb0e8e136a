import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { TestCa } from '../harness/certs.js';
import { withRealEngines } from '../harness/e2e.js';
import { type EtcdServing, TestEtcd } from '../harness/etcd.js';
import { run, sleep, waitFor } from '../harness/exec.js';
import { ReplicatedManagers } from '../harness/replicated.js';
import { REPO_ROOT, SkepProcess, SWARM_BIN } from '../harness/skep.js';
import { CLASSIC_SWARM } from '../harness/support.js';
import { useCluster } from '../harness/use-cluster.js';

/**
 * The store as production runs it: etcd over TLS with client certificates (classic's
 * `--discovery-opt kv.*file`), and etcd with user/password authentication, for join, list, manage
 * and replication; renewed certificates taken on SIGHUP.
 */
withRealEngines((test) => {
  const e2e = useCluster(test, 'store-tls', { size: 3 });
  const stops: (() => Promise<unknown> | void)[] = [];
  e2e.teardown(async () => {
    for (const stop of stops.reverse()) await stop();
  });
  const swarm = (...args: string[]) =>
    run(process.execPath, [SWARM_BIN, ...args], { cwd: REPO_ROOT, timeoutMs: 20_000 });
  const joinNode = (addr: string, registry: string, opts: string[]) => {
    const child: ChildProcess = spawn(
      process.execPath,
      [
        SWARM_BIN,
        'join',
        '--advertise',
        addr,
        '--heartbeat',
        '1s',
        '--ttl',
        '4s',
        ...opts,
        registry,
      ],
      { cwd: REPO_ROOT, stdio: 'ignore' },
    );
    stops.push(() => void child.kill('SIGKILL'));
    return child;
  };
  const listed = async (registry: string, opts: string[]) => {
    const { code, stdout, stderr } = await swarm('list', '--timeout', '5s', ...opts, registry);
    if (code !== 0) throw new Error(`swarm list: ${stderr}`);
    return stdout.trim().split('\n').filter(Boolean).sort();
  };
  const nodesOf = async (skep: SkepProcess) =>
    [...(await skep.docker(['info'])).stdout.matchAll(/^ {2}(node\d): /gm)]
      .map((m) => m[1])
      .sort()
      .join(',');
  const until = (skep: SkepProcess, wanted: string, timeoutMs = 30_000) =>
    waitFor(
      `nodes ${wanted}`,
      async () => ((await nodesOf(skep).catch(() => '')) === wanted ? true : undefined),
      timeoutMs,
    );

  /** classic's three TLS options, for manage, join and list alike. */
  const kvOpts = (ca: string, cert: string, key: string) => [
    `--discovery-opt=kv.cacertfile=${ca}`,
    `--discovery-opt=kv.certfile=${cert}`,
    `--discovery-opt=kv.keyfile=${key}`,
  ];
  /** A test CA, an etcd serving TLS with client certificates it signs, and the options that reach it. */
  const tlsStore = async (name: string, serving: EtcdServing = {}) => {
    const dir = join(e2e.cluster.stateDir, name);
    const ca = await TestCa.create(join(dir, 'ca'), name);
    const server = await ca.issue('etcd', { ips: ['127.0.0.1'] });
    const client = await ca.issue('skep-manager');
    const etcd = await TestEtcd.start(join(dir, 'etcd'), undefined, 1, {
      ...serving,
      tls: { ca: ca.ca, ...server },
    });
    stops.push(() => etcd.stop());
    return { etcd, opts: kvOpts(ca.ca, client.cert, client.key) };
  };

  test.serial(
    'etcd with client certificates: join, list, manage and 3 replicated managers over kv.cacertfile/kv.certfile/kv.keyfile; renewed certificates taken on SIGHUP',
    async (t) => {
      const dir = join(e2e.cluster.stateDir, 'store-tls');
      const live = join(dir, 'live');
      mkdirSync(live, { recursive: true });
      const cas = [
        await TestCa.create(join(dir, 'ca1'), 'store-ca-1'),
        await TestCa.create(join(dir, 'ca2'), 'store-ca-2'),
      ] as const;
      const pairs = await Promise.all(
        cas.map(async (ca) => ({
          ca: ca.ca,
          etcd: await ca.issue('etcd', { ips: ['127.0.0.1'] }),
          client: await ca.issue('skep-manager'),
        })),
      );
      // the files as operators keep them: renewal writes new contents at the same paths
      const files = {
        etcdCa: join(live, 'etcd-ca.pem'),
        etcdCert: join(live, 'etcd-cert.pem'),
        etcdKey: join(live, 'etcd-key.pem'),
        ca: join(live, 'ca.pem'),
        cert: join(live, 'cert.pem'),
        key: join(live, 'key.pem'),
      };
      const install = (i: 0 | 1) => {
        const p = pairs[i]!;
        copyFileSync(p.ca, files.etcdCa);
        copyFileSync(p.etcd.cert, files.etcdCert);
        copyFileSync(p.etcd.key, files.etcdKey);
        copyFileSync(p.ca, files.ca);
        copyFileSync(p.client.cert, files.cert);
        copyFileSync(p.client.key, files.key);
      };
      install(0);
      const etcd = await TestEtcd.start(join(dir, 'etcd'), undefined, 1, {
        tls: { ca: files.etcdCa, cert: files.etcdCert, key: files.etcdKey },
      });
      stops.push(() => etcd.stop());
      const registry = `etcd://${etcd.endpoint}/tls`;
      const opts = kvOpts(files.ca, files.cert, files.key);
      const [a, b, c] = e2e.cluster.engines.map((e) => e.addr) as [string, string, string];
      const firstJoins = [joinNode(a, registry, opts), joinNode(b, registry, opts)];
      await waitFor(
        'two registrations listed over TLS',
        async () =>
          (await listed(registry, opts).catch(() => [])).length === 2 ? true : undefined,
        20_000,
      );
      t.deepEqual(await listed(registry, opts), [a, b].sort());
      // without the files, etcd refuses the plain connection
      const plain = await swarm('list', '--timeout', '3s', registry);
      t.not(plain.code, 0, 'a list without the TLS files fails');
      t.is(plain.stdout, '');

      const skep = await SkepProcess.start(['--heartbeat', '1s', ...opts, registry], { nodes: 2 });
      stops.push(() => skep.stop());
      t.regex(skep.logs.join(''), /level=info msg="Initializing discovery with TLS"/);
      t.is(await nodesOf(skep), 'node1,node2');

      const managers = await ReplicatedManagers.start({
        etcd,
        path: 'tls',
        count: 3,
        nodes: 2,
        args: ['--heartbeat', '1s', ...opts],
      });
      stops.push(() => managers.stop());
      const primary = await managers.primary();
      const replica = managers.slots.find((s) => s !== primary)!;
      t.is(
        (await replica.process.docker(['run', '--rm', 'busybox', 'echo', 'via the primary']))
          .stdout,
        'via the primary\n',
      );

      // renewal: etcd now serves and trusts the second CA only; the managers' files are renewed
      // in place, and SIGHUP makes them read
      for (const join of firstJoins) join.kill('SIGKILL');
      await etcd.members[0]!.kill();
      install(1);
      etcd.members[0]!.start();
      await etcd.waitHealthy();
      for (const p of [skep, ...managers.slots.map((s) => s.process)]) p.child.kill('SIGHUP');
      for (const addr of [a, b, c]) joinNode(addr, registry, opts);
      await until(skep, 'node1,node2,node3');
      t.deepEqual(await listed(registry, opts), [a, b, c].sort());
      const after = await managers.primary(managers.slots, 30_000);
      t.log(
        after === primary
          ? 'the primary kept its lease through the renewal'
          : 'another manager leads after the renewal',
      );
      const replicaAfter = managers.slots.find((s) => s !== after)!;
      t.is(
        (await replicaAfter.process.docker(['run', '--rm', 'busybox', 'echo', 'renewed'])).stdout,
        'renewed\n',
      );
      t.regex(skep.logs.join(''), /SIGHUP: configuration reloaded/);
    },
  );

  test.serial(
    'etcd over TLS back after a stop: a node that joined meanwhile is seen within a heartbeat or two (1 s) of its return',
    async (t) => {
      const { etcd, opts } = await tlsStore('store-tls-back');
      const registry = `etcd://${etcd.endpoint}/back`;
      const [a, b] = e2e.cluster.engines.map((e) => e.addr) as [string, string];
      joinNode(a, registry, opts);
      await waitFor(
        'one registration',
        async () =>
          (await listed(registry, opts).catch(() => [])).length === 1 ? true : undefined,
        20_000,
      );
      const skep = await SkepProcess.start(['--heartbeat', '1s', ...opts, registry], { nodes: 1 });
      stops.push(() => skep.stop());
      await etcd.members[0]!.kill();
      // a second node joins while etcd is away: its join retries every heartbeat
      joinNode(b, registry, opts);
      await sleep(3000);
      t.is(await nodesOf(skep), 'node1', 'the last list is kept while etcd is away');
      etcd.members[0]!.start();
      await etcd.waitHealthy();
      const back = Date.now();
      await until(skep, 'node1,node2', 30_000);
      const ms = Date.now() - back;
      t.log(`node2 seen ${ms} ms after etcd answered again`);
      t.true(ms < 3000, `node2 seen ${ms} ms after etcd answered (a join's retry, then the watch)`);
    },
  );

  test.serial(
    "etcd over TLS with v2: classic 1.2.9's agent joined with the same kv files is listed by Skep, and Skep's by classic",
    async (t) => {
      const { etcd, opts } = await tlsStore('store-tls-v2', { enableV2: true });
      const registry = `etcd://${etcd.endpoint}/mixed-tls`;
      const [a, b] = e2e.cluster.engines.map((e) => e.addr) as [string, string];
      const args = [
        'join',
        '--advertise',
        a,
        '--heartbeat',
        '1s',
        '--ttl',
        '4s',
        ...opts,
        registry,
      ];
      const classic = spawn(CLASSIC_SWARM, args, { stdio: 'ignore' });
      stops.push(() => void classic.kill('SIGKILL'));
      joinNode(b, registry, opts);
      await waitFor(
        "Skep's list to show classic's agent and its own",
        async () =>
          (await listed(registry, opts).catch(() => [])).join() === [a, b].sort().join()
            ? true
            : undefined,
        20_000,
      );
      // classic's list prints its log line on stdout too: only the addresses are compared. Skep's join
      // writes v2 beside v3 without waiting for it, so classic (v2 only) may see it a moment later
      const classicList = async () => {
        const out = await run(CLASSIC_SWARM, ['list', ...opts, registry], { timeoutMs: 20_000 });
        const addrs = out.stdout.split('\n').filter((line) => /^[\d.]+:\d+$/.test(line));
        return { addrs: addrs.sort(), printed: out.stdout + out.stderr };
      };
      let theirs = await classicList();
      for (let i = 0; i < 10 && theirs.addrs.join() !== [a, b].sort().join(); i++) {
        await sleep(500);
        theirs = await classicList();
      }
      t.deepEqual(theirs.addrs, [a, b].sort(), theirs.printed);
    },
  );

  test.serial(
    'etcd with user/password authentication: kv.username/kv.password for join, list, manage and replication; without them etcd refuses',
    async (t) => {
      const etcd = await TestEtcd.start(join(e2e.cluster.stateDir, 'store-auth', 'etcd'));
      stops.push(() => etcd.stop());
      // auth as an operator enables it: a root user with the root role, then auth on
      const admin = new Etcd3({ hosts: `http://${etcd.endpoint}` });
      await admin.user('root').create('root-secret');
      await admin.role('root').create();
      await admin.user('root').addRole('root');
      await admin.auth.authEnable({});
      admin.close();
      const registry = `etcd://${etcd.endpoint}/auth`;
      const opts = ['--discovery-opt=kv.username=root', '--discovery-opt=kv.password=root-secret'];
      const [a, b] = e2e.cluster.engines.map((e) => e.addr) as [string, string];
      joinNode(a, registry, opts);
      joinNode(b, registry, opts);
      await waitFor(
        'two registrations listed with credentials',
        async () =>
          (await listed(registry, opts).catch(() => [])).length === 2 ? true : undefined,
        20_000,
      );
      const refused = await swarm('list', '--timeout', '3s', registry);
      t.not(refused.code, 0, 'a list without credentials fails');
      t.is(refused.stdout, '');
      t.log(refused.stderr.trim());
      const skep = await SkepProcess.start(['--heartbeat', '1s', ...opts, registry], { nodes: 2 });
      stops.push(() => skep.stop());
      t.regex(skep.logs.join(''), /msg="Initializing discovery without TLS"/);
      const managers = await ReplicatedManagers.start({
        etcd,
        path: 'auth',
        count: 3,
        nodes: 2,
        args: ['--heartbeat', '1s', ...opts],
      });
      stops.push(() => managers.stop());
      const primary = await managers.primary();
      const replica = managers.slots.find((s) => s !== primary)!;
      t.is(
        (await replica.process.docker(['run', '--rm', 'busybox', 'echo', 'authenticated'])).stdout,
        'authenticated\n',
      );
    },
  );
});
