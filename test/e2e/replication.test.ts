import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CertFiles, TestCa } from '../harness/certs.js';
import { withRealEngines } from '../harness/e2e.js';
import { TestEtcd } from '../harness/etcd.js';
import { must, run, sleep, waitFor } from '../harness/exec.js';
import { TestRegistry } from '../harness/registry.js';
import {
  candidates,
  checkFrozenPrimary,
  type ManagerSlot,
  registerNodes,
  ReplicatedManagers,
} from '../harness/replicated.js';
import { DOCKER_CLI } from '../harness/support.js';
import { SWARM_BIN } from '../harness/skep.js';
import { hostIp } from '../harness/clusters.js';
import { useCluster } from '../harness/use-cluster.js';

const FAST_HEALTH = [
  '--engine-refresh-min-interval=1s',
  '--engine-refresh-max-interval=2s',
  '--engine-failure-retry=2',
];
const PASSWORD = 'ha-secret';

/**
 * Manager replication as operators run it: a 3-member etcd on loopback, 3 managers with --replication and
 * their defaults, the real engines, the docker CLI pointed at any manager.
 */
withRealEngines((test) => {
  const e2e = useCluster(test, 'replication', (net) => ({
    size: 3,
    insecureRegistries: [`${hostIp(net)}:5000`],
  }));
  let etcd: TestEtcd;
  let managers: ReplicatedManagers;
  let registry: TestRegistry;
  e2e.teardown(() => etcd?.stop());
  e2e.teardown(() => managers?.stop());

  const clientConfig = () => {
    const dir = mkdtempSync(join(tmpdir(), 'skep-docker-config-'));
    writeFileSync(join(dir, 'config.json'), '{}');
    return { DOCKER_CONFIG: dir };
  };
  const onEngines = (name: string) => e2e.cluster.containersNamed(name);
  const replicasOf = (primary: ManagerSlot) => managers.alive.filter((s) => s !== primary);

  test.serial.before(async () => {
    etcd = await TestEtcd.start(join(e2e.cluster.stateDir, 'etcd'), undefined, 3);
    await registerNodes(
      etcd,
      'ha',
      e2e.cluster.engines.map((e) => e.addr),
    );
    managers = await ReplicatedManagers.start({
      etcd,
      path: 'ha',
      count: 3,
      nodes: 3,
      args: FAST_HEALTH,
    });
    registry = await TestRegistry.start({
      dir: join(e2e.cluster.stateDir, 'registry'),
      host: e2e.cluster.hostIp,
      port: 5000,
      user: 'skep',
      password: PASSWORD,
    });
    // an image in the registry, pushed straight from an engine
    const node1 = e2e.cluster.engines[0]!;
    const env = { ...process.env, ...clientConfig() };
    const direct = (args: string[], input?: string) =>
      must(DOCKER_CLI, ['-H', `unix://${node1.socket}`, ...args], { env, input });
    await direct(['tag', 'busybox', `${registry.address}/ha/busybox:1`]);
    await direct(['login', '-u', 'skep', '--password-stdin', registry.address], PASSWORD);
    await direct(['push', `${registry.address}/ha/busybox:1`]);
    await direct(['rmi', `${registry.address}/ha/busybox:1`]);
  });

  test.serial(
    "election: one primary; docker info on a replica says classic's Role: replica and Primary: <address>",
    async (t) => {
      const primary = await managers.primary();
      for (const slot of managers.slots) {
        const info = (await slot.process.docker(['info'])).stdout;
        if (slot === primary) {
          t.regex(info, /^ Role: primary$/m);
          t.notRegex(info, /^ Primary:/m);
        } else {
          t.regex(info, /^ Role: replica$/m);
          t.true(info.includes(`\n Primary: ${primary.advertise}\n`), info);
        }
        // the primary's view: every node, healthy
        t.is([...info.matchAll(/└ Status: Healthy/g)].length, 3, info);
      }
    },
  );

  test.serial(
    'a replica forwards every kind of request: JSON, streams (logs -f, events, build, pull) and hijacked ones (run -it, exec -it, attach)',
    async (t) => {
      const primary = await managers.primary();
      const replica = replicasOf(primary)[0]!;
      const docker = (args: string[], options: Parameters<SkepProcessDocker>[1] = {}) =>
        replica.process.docker(args, options);
      const since = Math.floor(Date.now() / 1000);

      const run1 = await docker([
        'run',
        '-d',
        '--name',
        'ha-web',
        'busybox',
        'sh',
        '-c',
        'echo hello from ha-web; sleep 600',
      ]);
      t.is(run1.code, 0, run1.stderr);
      t.regex((await docker(['ps', '--format', '{{.Names}}'])).stdout, /^node\d\/ha-web$/m);
      t.is((await docker(['inspect', '-f', '{{.State.Running}}', 'ha-web'])).stdout, 'true\n');
      await waitFor('the log line', async () =>
        (await docker(['logs', 'ha-web'])).stdout === 'hello from ha-web\n' ? true : undefined,
      );
      // a stream that ends when its container does
      const follow = await docker([
        'run',
        '--name',
        'ha-counter',
        'busybox',
        'sh',
        '-c',
        'for i in 1 2 3; do echo $i; sleep 0.2; done',
      ]);
      t.is(follow.stdout, '1\n2\n3\n');
      t.is((await docker(['logs', '-f', 'ha-counter'])).stdout, '1\n2\n3\n');
      // stdin through the hijacked attach, with half-close: cat ends when stdin does
      t.is(
        (
          await docker(['run', '-i', '--rm', 'busybox', 'cat'], {
            input: 'piped through a replica\n',
          })
        ).stdout,
        'piped through a replica\n',
      );
      t.is(
        (await docker(['exec', '-i', 'ha-web', 'cat'], { input: 'exec stdin\n' })).stdout,
        'exec stdin\n',
      );
      // a real terminal (script gives the CLI a pty)
      const tty = await run(
        'script',
        ['-qfec', `${DOCKER_CLI} exec -it ha-web sh -c 'echo tty:$(tty)'`, '/dev/null'],
        { env: { ...process.env, DOCKER_HOST: replica.process.dockerHost } },
      );
      t.regex(tty.stdout, /tty:\/dev\/pts\/\d+/);
      const runTty = await run(
        'script',
        ['-qfec', `${DOCKER_CLI} run -it --rm busybox sh -c 'echo in a tty'`, '/dev/null'],
        { env: { ...process.env, DOCKER_HOST: replica.process.dockerHost } },
      );
      t.regex(runTty.stdout, /in a tty/);
      // build: the context streams to the primary, the output streams back
      const context = mkdtempSync(join(tmpdir(), 'skep-ha-build-'));
      writeFileSync(
        join(context, 'Dockerfile'),
        'FROM busybox\nRUN echo built-through-a-replica > /built\n',
      );
      const build = await docker(['build', '-t', 'ha-built', context], {
        env: { DOCKER_BUILDKIT: '0' },
      });
      t.is(build.code, 0, build.stderr);
      t.regex(build.stdout, /Successfully tagged ha-built:latest/);
      // pull, with the registry's credentials passed down (X-Registry-Auth through the replica)
      const config = clientConfig();
      t.is(
        (
          await docker(['login', '-u', 'skep', '--password-stdin', registry.address], {
            input: PASSWORD,
            env: config,
          })
        ).code,
        0,
      );
      const pull = await docker(['pull', `${registry.address}/ha/busybox:1`], { env: config });
      t.is(pull.code, 0, pull.stderr);
      t.regex(
        (await docker(['images', '--format', '{{.Repository}}:{{.Tag}}'])).stdout,
        new RegExp(`${registry.address}/ha/busybox:1`),
      );
      // events, as the primary merged them
      const events = await docker([
        'events',
        '--since',
        String(since),
        '--until',
        String(Math.ceil(Date.now() / 1000) + 1),
        '--filter',
        'container=ha-counter',
        '--format',
        '{{.Action}}',
      ]);
      t.regex(events.stdout, /^start$/m);
      t.regex(events.stdout, /^die$/m);
      t.is((await docker(['rm', '-f', 'ha-counter'])).code, 0);
      t.deepEqual(await onEngines('ha-counter'), []);
    },
  );

  test.serial(
    'kill -9 of the primary: a replica takes over, docker run works through every survivor, and creates in flight exist once or not at all',
    async (t) => {
      const primary = await managers.primary();
      const [a, b] = replicasOf(primary) as [ManagerSlot, ManagerSlot];
      const creates = Array.from({ length: 6 }, (_, i) =>
        (i % 2 ? a : b).process.docker([
          'run',
          '-d',
          '--name',
          `inflight${i}`,
          'busybox',
          'sleep',
          '600',
        ]),
      );
      await sleep(300);
      managers.kill(primary);
      const results = await Promise.all(creates);
      const next = await managers.primary([a, b]);
      for (const slot of [a, b]) {
        const after = await slot.process.docker([
          'run',
          '-d',
          '--name',
          `after-kill-${slot.port}`,
          'busybox',
          'sleep',
          '600',
        ]);
        t.is(after.code, 0, after.stderr);
      }
      for (const [i, result] of results.entries()) {
        const copies = await onEngines(`inflight${i}`);
        // a create that succeeded exists once; one that failed (it was under way on the dead primary) at most once
        if (result.code === 0) t.is(copies.length, 1, `inflight${i}: ${copies.join(' ')}`);
        else t.true(copies.length <= 1, `inflight${i}: ${result.stderr} ${copies.join(' ')}`);
      }
      await managers.restart(primary);
      t.is(
        (await managers.primary()).advertise,
        next.advertise,
        'the restarted manager comes back as a replica',
      );
      t.like(await managers.role(primary), { role: 'replica', primary: next.advertise });
    },
  );

  test.serial(
    'SIGTERM of the primary: it revokes its lease as it stops, so another manager leads without waiting for the TTL',
    async (t) => {
      const primary = await managers.primary();
      t.true((await candidates(etcd, 'ha')).includes(primary.advertise));
      await primary.process.stop();
      t.regex(primary.process.logs.join(''), /Leader Election: stepped down; the lease is revoked/);
      t.false(
        (await candidates(etcd, 'ha')).includes(primary.advertise),
        'its candidate key went with its lease',
      );
      const next = await managers.primary(replicasOf(primary));
      t.is(
        (await next.process.docker(['run', '--rm', 'busybox', 'echo', 'after a clean stop']))
          .stdout,
        'after a clean stop\n',
      );
      await managers.restart(primary);
      t.like(await managers.role(primary), { role: 'replica', primary: next.advertise });
    },
  );

  test.serial(
    'a primary frozen (SIGSTOP) past its lease resumes as a replica: the create it was sent is placed once, by the new primary',
    (t) =>
      checkFrozenPrimary(
        t,
        managers,
        'sent-while-frozen',
        async (n) => (await onEngines(n)).length,
      ),
  );

  test.serial(
    'rescheduling goes on after a failover: the primary dies with an engine, the new primary moves its containers; when the engine returns the stale copy goes',
    async (t) => {
      const primary = await managers.primary();
      const replica = replicasOf(primary)[0]!;
      const docker = (...args: string[]) => replica.process.docker(args);
      t.is(
        (
          await docker(
            'run',
            '-d',
            '--name',
            'ha-moved',
            '-e',
            'constraint:node==~node3',
            '-e',
            'reschedule:on-node-failure',
            'busybox',
            'sleep',
            '600',
          )
        ).code,
        0,
      );
      t.regex(
        (await docker('ps', '--filter', 'name=ha-moved', '--format', '{{.Names}}')).stdout,
        /^node3\/ha-moved$/m,
      );
      const swarmId = (
        await docker('inspect', '-f', '{{index .Config.Labels "com.docker.swarm.id"}}', 'ha-moved')
      ).stdout.trim();
      // the primary's machine dies, and the engine on it
      managers.kill(primary);
      await e2e.cluster.kill(e2e.cluster.engine('node3'));
      let engineBack = false;
      t.teardown(async () => {
        if (!engineBack) await e2e.cluster.restart(e2e.cluster.engine('node3'));
        if (!managers.alive.includes(primary)) await managers.restart(primary);
      });
      await waitFor(
        'ha-moved to run on another node',
        async () =>
          (await docker('ps', '--filter', 'name=ha-moved', '--format', '{{.Names}}')).stdout.match(
            /^node[12]\/ha-moved$/m,
          )
            ? true
            : undefined,
        60_000,
      );
      t.is(
        (
          await docker(
            'inspect',
            '-f',
            '{{index .Config.Labels "com.docker.swarm.id"}}',
            'ha-moved',
          )
        ).stdout.trim(),
        swarmId,
      );
      await e2e.cluster.restart(e2e.cluster.engine('node3'));
      engineBack = true;
      await waitFor(
        'the stale copy gone from node3',
        async () =>
          (
            await e2e.cluster.docker(e2e.cluster.engine('node3'), [
              'ps',
              '-aq',
              '--filter',
              'name=ha-moved',
            ])
          ).stdout.trim() === ''
            ? true
            : undefined,
        60_000,
      );
      t.is((await onEngines('ha-moved')).length, 1);
    },
  );

  test.serial(
    'node maintenance under replication: an update sent to a replica is kept in etcd by the primary; a new primary keeps it',
    async (t) => {
      const primary = await managers.primary();
      const [replica] = replicasOf(primary) as [ManagerSlot];
      const paused = e2e.cluster.engines[2]!;
      const swarmNode = (slot: ManagerSlot, args: string[]) =>
        run(process.execPath, [SWARM_BIN, 'node', ...args], {
          env: { ...process.env, DOCKER_HOST: slot.process.dockerHost },
          timeoutMs: 30_000,
        });
      const update = await swarmNode(replica, [
        'update',
        '--availability',
        'pause',
        '--label-add',
        'ha=kept',
        paused.name,
      ]);
      t.is(update.code, 0, update.stderr);
      t.regex(
        (await replica.process.docker(['info'])).stdout,
        new RegExp(`  ${paused.name}: (?:.*\\n)+?   └ Availability: Pause`),
        "the replica shows the primary's view",
      );
      managers.kill(primary);
      const next = await managers.primary(replicasOf(primary));
      const ls = await swarmNode(next, ['ls']);
      t.regex(
        ls.stdout,
        new RegExp(`${paused.name} +\\S+ +Healthy +Pause +\\d+ +ha=kept`),
        ls.stdout,
      );
      for (let i = 0; i < 3; i++)
        t.is(
          (
            await next.process.docker([
              'run',
              '-d',
              '--name',
              `ha-paused${i}`,
              'busybox',
              'sleep',
              '300',
            ])
          ).code,
          0,
        );
      const placed = await Promise.all(
        [0, 1, 2].map(async (i) =>
          (
            await next.process.docker(['inspect', '-f', '{{.Node.Name}}', `ha-paused${i}`])
          ).stdout.trim(),
        ),
      );
      t.false(placed.includes(paused.name), `nothing on the paused node: ${placed.join(' ')}`);
      t.is(
        (
          await swarmNode(next, [
            'update',
            '--availability',
            'active',
            '--label-rm',
            'ha',
            paused.name,
          ])
        ).code,
        0,
      );
      await managers.restart(primary);
    },
  );

  test.serial(
    'etcd: one member down changes nothing; quorum lost: reads answered, writes 503; quorum back: a primary again',
    async (t) => {
      const primary = await managers.primary();
      const [, second, third] = etcd.members as [
        unknown,
        TestEtcd['members'][0],
        TestEtcd['members'][0],
      ];
      t.teardown(async () => {
        for (const member of [second, third]) if (!member.running) member.start();
        await etcd.waitHealthy();
      });
      await third.kill();
      await sleep(4000); // two TTLs
      t.is((await managers.primary()).advertise, primary.advertise, 'the same primary');
      for (const slot of managers.slots) {
        const run1 = await slot.process.docker(['run', '--rm', 'busybox', 'true']);
        t.is(run1.code, 0, run1.stderr);
      }

      await second.kill();
      for (const slot of managers.slots)
        await waitFor(
          `${slot.advertise} to see no primary`,
          async () => ((await managers.role(slot)).primary === 'none' ? true : undefined),
          15_000,
        );
      for (const slot of managers.slots) {
        const ps = await slot.process.docker(['ps', '--format', '{{.Names}}']);
        t.is(ps.code, 0, ps.stderr);
        t.regex(ps.stdout, /\/ha-web$/m);
        t.is((await slot.process.docker(['logs', 'ha-web'])).stdout, 'hello from ha-web\n');
        t.is(
          (await slot.process.docker(['inspect', '-f', '{{.State.Running}}', 'ha-web'])).stdout,
          'true\n',
        );
        const list = await fetch(`${slot.process.url}/containers/json`);
        t.is(list.status, 200);
        const write = await fetch(`${slot.process.url}/containers/create`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ Image: 'busybox' }),
        });
        t.is(write.status, 503);
        t.regex(
          ((await write.json()) as { message: string }).message,
          /^No elected primary cluster manager \(.+\)/,
        );
      }
      const refused = await managers.slots[0]!.process.docker(['run', '-d', 'busybox', 'true']);
      t.regex(refused.stderr, /No elected primary cluster manager/);

      second.start();
      third.start();
      await etcd.waitHealthy();
      const quorumAt = Date.now();
      const back = await managers.primary();
      const ms = Date.now() - quorumAt;
      t.log(`a primary named by every manager ${ms} ms after etcd's quorum was back`);
      // within one TTL (2 s), plus the time to ask three managers with the docker CLI
      t.true(ms < 3000, `${ms} ms`);
      t.is(
        (await back.process.docker(['run', '--rm', 'busybox', 'echo', 'quorum is back'])).stdout,
        'quorum is back\n',
      );
    },
  );

  test.serial(
    'over TLS: a replica forwards to the primary with the manager certificate, the client keeps its own',
    async (t) => {
      const ca = await TestCa.create(mkdtempSync(join(tmpdir(), 'skep-ha-ca-')));
      const manager: CertFiles = await ca.issue('manager', { ips: ['127.0.0.1'] });
      const client = await ca.issue('client');
      const dir = mkdtempSync(join(tmpdir(), 'skep-ha-tls-'));
      // the engines speak plain tcp: the client-side TLS files are not for them
      writeFileSync(join(dir, 'swarm.config.json'), JSON.stringify({ engineTls: false }));
      await registerNodes(
        etcd,
        'ha-tls',
        e2e.cluster.engines.map((e) => e.addr),
      );
      const tlsManagers = await ReplicatedManagers.start({
        etcd,
        path: 'ha-tls',
        count: 2,
        nodes: 3,
        args: [
          '--config',
          join(dir, 'swarm.config.json'),
          '--tlsverify',
          '--tlscacert',
          ca.ca,
          '--tlscert',
          manager.cert,
          '--tlskey',
          manager.key,
        ],
        clientTls: { ca: ca.ca, ...client },
      });
      try {
        const primary = await tlsManagers.primary();
        const replica = tlsManagers.slots.find((s) => s !== primary)!;
        const docker = (args: string[], input?: string) => replica.process.docker(args, { input });
        t.is(
          (await docker(['run', '-d', '--name', 'ha-tls-web', 'busybox', 'sleep', '600'])).code,
          0,
        );
        t.regex((await docker(['ps', '--format', '{{.Names}}'])).stdout, /\/ha-tls-web$/m);
        t.is(
          (await docker(['exec', '-i', 'ha-tls-web', 'cat'], 'over tls\n')).stdout,
          'over tls\n',
        );
        t.is(
          (await docker(['run', '-i', '--rm', 'busybox', 'cat'], 'attach over tls\n')).stdout,
          'attach over tls\n',
        );
        // without a client certificate the replica refuses in the handshake, as the primary would
        const bare = await run(DOCKER_CLI, ['--tls', '--tlscacert', ca.ca, 'ps'], {
          env: { ...process.env, DOCKER_HOST: replica.process.dockerHost },
        });
        t.not(bare.code, 0);
        t.is((await docker(['rm', '-f', 'ha-tls-web'])).code, 0);
      } finally {
        await tlsManagers.stop();
      }
    },
  );
});

type SkepProcessDocker = ManagerSlot['process']['docker'];
