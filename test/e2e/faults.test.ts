import { withRealEngines } from '../harness/e2e.js';
import { waitFor } from '../harness/exec.js';
import { FakeEngine } from '../harness/fake-engine.js';
import { SkepProcess } from '../harness/skep.js';
import { useCluster } from '../harness/use-cluster.js';

const FAST_HEALTH = [
  '--engine-refresh-min-interval=1s',
  '--engine-refresh-max-interval=2s',
  '--engine-failure-retry=2',
];

/** Nodes fail: what the docker CLI shows, within bounded time, on real engines (and two fault shapes dockerd cannot make). */
withRealEngines((test) => {
  const e2e = useCluster(test, 'faults', {
    size: 3,
    manager: { args: (cluster) => [...FAST_HEALTH, cluster.discovery] },
  });
  const docker = (...args: string[]) => e2e.skep.docker(args);
  const status = async (name: string) =>
    new RegExp(`  ${name}: .*\\n.*\\n {3}└ Status: (\\w+)`).exec(
      (await docker('info')).stdout,
    )?.[1];
  const until = (name: string, wanted: string, ms = 30_000) =>
    waitFor(
      `${name} ${wanted}`,
      async () => ((await status(name)) === wanted ? true : undefined),
      ms,
    );
  const engine = (name: string) => e2e.cluster.engine(name);
  /** `docker run -d` through Skep of a sleeping busybox `name`, with these options: its exit code. */
  const runSleeping = async (name: string, ...options: string[]) =>
    (await docker('run', '-d', '--name', name, ...options, 'busybox', 'sleep', '600')).code;
  const timed = async <T>(fn: () => Promise<T>) => {
    const began = Date.now();
    const value = await fn();
    return { value, ms: Date.now() - began };
  };

  test.serial(
    'a killed engine: ps leaves its containers out (ps -a shows Host Down), rescheduled ones move, and exist once when it returns',
    async (t) => {
      const victim = engine('node3');
      t.is(
        await runSleeping(
          'moved',
          '-c',
          '1',
          '-e',
          'constraint:node==~node3',
          '-e',
          'reschedule:on-node-failure',
        ),
        0,
      );
      t.is(
        await runSleeping(
          'labelled',
          '-e',
          'constraint:node==~node3',
          '--label',
          'com.docker.swarm.reschedule-policies=["on-node-failure"]',
        ),
        0,
      );
      t.is(await runSleeping('stays', '--restart', 'always', '-e', 'constraint:node==node3'), 0);
      const oldId = (await docker('inspect', '-f', '{{.Id}}', 'moved')).stdout.trim();
      const swarmId = (
        await docker('inspect', '-f', '{{index .Config.Labels "com.docker.swarm.id"}}', 'moved')
      ).stdout.trim();

      await e2e.cluster.kill(victim);
      const { ms } = await timed(() => until('node3', 'Unhealthy'));
      t.true(ms < 15_000, `unhealthy after ${ms} ms`);
      await waitFor(
        'moved and labelled to run elsewhere',
        async () => {
          const ps = (await docker('ps', '--format', '{{.Names}}')).stdout;
          return /^node[12]\/moved$/m.test(ps) && /^node[12]\/labelled$/m.test(ps)
            ? true
            : undefined;
        },
        30_000,
      );
      t.notRegex(
        (await docker('ps', '--format', '{{.Names}}')).stdout,
        /stays/,
        'docker ps leaves out the down node',
      );
      t.regex(
        (await docker('ps', '-a', '--format', '{{.Names}} {{.Status}}')).stdout,
        /^node3\/stays Host Down$/m,
      );
      t.not(
        (await docker('inspect', '-f', '{{.Id}}', 'moved')).stdout.trim(),
        oldId,
        'a new container, same name',
      );
      t.is(
        (
          await docker('inspect', '-f', '{{index .Config.Labels "com.docker.swarm.id"}}', 'moved')
        ).stdout.trim(),
        swarmId,
        'and the same swarm ID',
      );
      t.is(
        (await docker('inspect', '-f', '{{.Name}}', swarmId)).stdout,
        '/moved\n',
        'found by its swarm ID',
      );
      t.is(
        (await docker('inspect', '-f', '{{.HostConfig.CpuShares}}', 'moved')).stdout,
        '1\n',
        'still one core, not the engine shares read as cores',
      );
      const refused = await timed(() => docker('logs', 'stays'));
      t.true(refused.ms < 3000);
      t.regex(refused.value.stderr, /Container stays running on unhealthy node node3/);
      await new Promise((r) => setTimeout(r, 1100)); // the CLI's --until is in whole seconds
      const events = await docker(
        'events',
        '--since',
        '2m',
        '--until',
        '0s',
        '--filter',
        'type=swarm',
        '--filter',
        'event=container_reschedule',
        '--format',
        '{{.Actor.Attributes.name}} {{index .Actor.Attributes "from.node"}}',
      );
      t.deepEqual(events.stdout.trim().split('\n').sort(), ['labelled node3', 'moved node3']);

      await e2e.cluster.restart(victim);
      await until('node3', 'Healthy', 60_000);
      await waitFor(
        'the stale copies gone from node3',
        async () =>
          (
            await e2e.cluster.docker(victim, ['ps', '-aq', '--filter', 'name=moved'])
          ).stdout.trim() === ''
            ? true
            : undefined,
        30_000,
      );
      const all = (await docker('ps', '-a', '--format', '{{.Names}}')).stdout
        .trim()
        .split('\n')
        .sort();
      t.is(all.filter((n) => n.endsWith('/moved')).length, 1, all.join(' '));
      t.is(all.filter((n) => n.endsWith('/labelled')).length, 1);
      await waitFor(
        'stays restarted by its policy, listed once',
        async () => {
          const rows = (await docker('ps', '--format', '{{.Names}}')).stdout
            .split('\n')
            .filter((n) => n.endsWith('/stays'));
          return rows.length === 1 ? true : undefined;
        },
        30_000,
      );
      t.pass();
    },
  );

  test.serial(
    'the network to a node cut: unhealthy within bounded time, nothing hangs; back and current when the link returns',
    async (t) => {
      const cut = engine('node2');
      t.is(await runSleeping('behind', '-e', 'constraint:node==node2'), 0);
      await e2e.cluster.link(cut, 'down');
      try {
        const listed = await timed(() => docker('ps'));
        t.true(listed.ms < 2000, `ps took ${listed.ms} ms`);
        const { ms } = await timed(() => until('node2', 'Unhealthy'));
        t.true(ms < 20_000, `unhealthy after ${ms} ms`);
        const refused = await timed(() => docker('inspect', 'behind'));
        t.true(refused.ms < 3000);
        t.regex(refused.value.stderr, /running on unhealthy node node2/);
        const created = await timed(() =>
          docker('run', '-d', '--name', 'elsewhere', 'busybox', 'sleep', '600'),
        );
        t.is(created.value.code, 0);
        t.true(created.ms < 5000, `create took ${created.ms} ms`);
        // while cut off, the node changes behind the manager's back
        t.is(
          (
            await e2e.cluster.docker(cut, [
              'run',
              '-d',
              '--name',
              'while-cut',
              'busybox',
              'sleep',
              '600',
            ])
          ).code,
          0,
        );
      } finally {
        await e2e.cluster.link(cut, 'up');
      }
      await until('node2', 'Healthy');
      t.regex(
        (await docker('ps', '--format', '{{.Names}}')).stdout,
        /^node2\/while-cut$/m,
        'the view is current again',
      );
      t.regex((await docker('ps', '--format', '{{.Names}}')).stdout, /^node2\/behind$/m);
    },
  );

  test.serial(
    "a cut link with default settings: the event stream's keepalive tells it, Unhealthy well within two heartbeats",
    async (t) => {
      // no fast health checks here: with the defaults a node whose events flow is checked every 3-6 minutes
      const plain = await SkepProcess.start([e2e.cluster.discovery], { nodes: 3 });
      const cut = engine('node1');
      const plainStatus = async () =>
        new RegExp(`  node1: .*\\n.*\\n {3}└ Status: (\\w+)`).exec(
          (await plain.docker(['info'])).stdout,
        )?.[1];
      try {
        await e2e.cluster.link(cut, 'down');
        const { ms } = await timed(() =>
          waitFor(
            'node1 Unhealthy',
            async () => ((await plainStatus()) === 'Unhealthy' ? true : undefined),
            120_000,
          ),
        );
        t.true(ms < 60_000, `unhealthy after ${ms} ms (two heartbeats are 120 s)`);
      } finally {
        await e2e.cluster.link(cut, 'up');
      }
      await waitFor(
        'node1 Healthy again',
        async () => ((await plainStatus()) === 'Healthy' ? true : undefined),
        60_000,
      );
      await plain.stop();
      await until('node1', 'Healthy');
    },
  );

  test.serial(
    'the manager restarted while containers run: the view is rebuilt from the engines, nothing lost',
    async (t) => {
      const before = (await docker('ps', '-a', '--format', '{{.ID}} {{.Names}} {{.State}}')).stdout
        .trim()
        .split('\n')
        .sort();
      await e2e.skep.stop();
      e2e.skep = await SkepProcess.start([...FAST_HEALTH, e2e.cluster.discovery], { nodes: 3 });
      const after = (await docker('ps', '-a', '--format', '{{.ID}} {{.Names}} {{.State}}')).stdout
        .trim()
        .split('\n')
        .sort();
      t.deepEqual(after, before);
    },
  );

  test.serial(
    'an engine that never answers and one that answers garbage: every other node stays served at once',
    async (t) => {
      const silent = await FakeEngine.start('silent');
      const garbage = await FakeEngine.start('garbage');
      const mixed = await SkepProcess.start(
        [...FAST_HEALTH, [engine('node1').addr, silent.addr, garbage.addr].join(',')],
        { nodes: 1 },
      );
      try {
        for (let i = 0; i < 3; i++) {
          const listed = await timed(() => mixed.docker(['ps', '-a', '--format', '{{.Names}}']));
          t.true(listed.ms < 1500, `ps took ${listed.ms} ms`);
          const ran = await timed(() => mixed.docker(['run', '--rm', 'busybox', 'echo', 'served']));
          t.is(ran.value.stdout, 'served\n', ran.value.stderr);
          t.true(ran.ms < 5000, `run took ${ran.ms} ms`);
        }
        const info = (await mixed.docker(['info'])).stdout;
        t.regex(info, new RegExp(`${garbage.addr}\\n.*\\n {3}└ Status: (Pending|Unhealthy)`));
        t.regex(info, new RegExp(`${silent.addr}\\n.*\\n {3}└ Status: (Pending|Unhealthy)`));
        t.regex(info, /└ Error: .*(JSON|Unexpected token|timed out|Timeout)/i);
      } finally {
        await mixed.stop();
        await silent.stop();
        await garbage.stop();
      }
    },
  );

  test.serial(
    'swarm.createretry: a create that fails on the chosen node is tried on the next; without it the failure reaches the client',
    async (t) => {
      const failing = await FakeEngine.start('create-fails');
      const nodes = [failing.addr, engine('node1').addr].join(',');
      const retrying = await SkepProcess.start(
        [...FAST_HEALTH, '--cluster-opt', 'swarm.createretry=1', nodes],
        { nodes: 2 },
      );
      const once = await SkepProcess.start([...FAST_HEALTH, nodes], { nodes: 2 });
      try {
        // the fake engine is empty, so spread ranks it first
        const ran = await retrying.docker(['run', '--rm', 'busybox', 'echo', 'retried']);
        t.is(ran.stdout, 'retried\n', ran.stderr);
        t.regex(retrying.logs.join(''), /create on a-fake-engine failed .*; trying node1/);
        const failed = await once.docker(['create', 'busybox', 'true']);
        t.not(failed.code, 0);
        t.regex(failed.stderr, /fake engine: this create fails/);
      } finally {
        await retrying.stop();
        await once.stop();
        await failing.stop();
      }
    },
  );

  test.serial(
    "a node that cannot be reached during a create: counted against it, logged, the next ranked node used; classic's words when none is left",
    async (t) => {
      // slow to call a node unhealthy, so the create still finds the killed engine in the running
      const patient = await SkepProcess.start(
        ['--engine-failure-retry=50', '--engine-refresh-min-interval=30s', e2e.cluster.discovery],
        { nodes: 3 },
      );
      const victim = engine('node3');
      try {
        // fill the other nodes until spread ranks node3 first (the dry run says where a create would go)
        const firstChoice = async () =>
          (
            (await (
              await fetch(`${patient.url}/skep/placement`, {
                method: 'POST',
                body: '{"Image":"busybox"}',
              })
            ).json()) as { Node: string }
          ).Node;
        for (
          let node = await firstChoice(), i = 0;
          node !== 'node3' && i < 10;
          node = await firstChoice(), i++
        ) {
          t.is(
            (
              await patient.docker([
                'run',
                '-d',
                '-e',
                `constraint:node==${node}`,
                'busybox',
                'sleep',
                '600',
              ])
            ).code,
            0,
          );
        }
        t.is(await firstChoice(), 'node3');
        await e2e.cluster.kill(victim);
        const ran = await patient.docker(['run', '--rm', 'busybox', 'echo', 'placed elsewhere']);
        t.is(ran.stdout, 'placed elsewhere\n', ran.stderr);
        t.regex(
          patient.logs.join(''),
          /node node3 could not be reached for a create: .*ECONNREFUSED/,
        );
        const pinned = await patient.docker([
          'create',
          '-e',
          'constraint:node==node3',
          'busybox',
          'true',
        ]);
        t.regex(
          pinned.stderr,
          new RegExp(
            `Cannot connect to the Docker daemon at tcp://${victim.addr.replace(/\./g, '\\.')}\\. Is the docker daemon running\\?`,
          ),
        );
        t.regex(
          (await patient.docker(['info'])).stdout,
          /node3: .*\n(.*\n)*? {3}└ Error: .*ECONNREFUSED/,
          'the failures count against node3',
        );
      } finally {
        await patient.stop();
        await e2e.cluster.restart(victim);
      }
    },
  );
});
