import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withRealEngines } from '../harness/e2e.js';
import { must, waitFor } from '../harness/exec.js';
import { useCluster } from '../harness/use-cluster.js';

withRealEngines((test) => {
  const e2e = useCluster(test, 'node-health', () => {
    // Short engine timeouts from a config file (there are no flags for them), fast refreshes from flags.
    const config = join(mkdtempSync(join(tmpdir(), 'skep-health-')), 'swarm.config.json');
    writeFileSync(
      config,
      JSON.stringify({ engine: { requestTimeout: '2s', connectTimeout: '1s' } }),
    );
    return {
      size: 2,
      manager: {
        args: (cluster) => [
          '--config',
          config,
          '--engine-refresh-min-interval=1s',
          '--engine-refresh-max-interval=2s',
          '--engine-failure-retry=2',
          cluster.discovery,
        ],
      },
    };
  });
  const status = async (node: string) => {
    const info = (await (await fetch(`${e2e.skep.url}/info`)).json()) as {
      SystemStatus: [string, string][];
    };
    const at = info.SystemStatus.findIndex(([k]) => k === ` ${node}`);
    return info.SystemStatus[at + 2]![1];
  };

  test.serial(
    'a killed engine turns unhealthy, fails fast, takes no creates, and comes back',
    async (t) => {
      const [node1, node2] = e2e.cluster.engines as [
        (typeof e2e.cluster.engines)[0],
        (typeof e2e.cluster.engines)[0],
      ];
      t.is(
        (await e2e.skep.docker(['run', '-d', '--name', 'on1', 'busybox', 'sleep', '300'])).code,
        0,
      );
      t.is(
        (await e2e.skep.docker(['run', '-d', '--name', 'on2', 'busybox', 'sleep', '300'])).code,
        0,
      );
      const victim = (
        await e2e.cluster.docker(node1, ['ps', '-q', '--filter', 'name=on1'])
      ).stdout.trim()
        ? node1
        : node2;
      const survivor = victim === node1 ? node2 : node1;
      const onVictim = victim === node1 ? 'on1' : 'on2';

      await e2e.cluster.kill(victim);
      await waitFor(
        `${victim.name} to turn unhealthy`,
        async () => ((await status(victim.name)) === 'Unhealthy' ? true : undefined),
        20_000,
      );
      const info = await e2e.skep.docker(['info']);
      t.regex(
        info.stdout,
        new RegExp(`  ${victim.name}: ${victim.addr}\\n.*\\n {3}└ Status: Unhealthy`),
      );

      const began = Date.now();
      const inspect = await e2e.skep.docker(['inspect', onVictim]);
      t.true(Date.now() - began < 3000, 'no hang');
      t.regex(
        inspect.stderr,
        new RegExp(`Container ${onVictim} running on unhealthy node ${victim.name}`),
      );

      for (const name of ['after1', 'after2']) {
        t.is(
          (await e2e.skep.docker(['run', '-d', '--name', name, 'busybox', 'sleep', '300'])).code,
          0,
        );
        t.regex(
          (await e2e.cluster.docker(survivor, ['ps', '-q', '--filter', `name=${name}`])).stdout,
          /^[0-9a-f]{12}\n$/,
          `${name} on the healthy node`,
        );
      }

      await e2e.cluster.restart(victim);
      await waitFor(
        `${victim.name} to be healthy again`,
        async () => ((await status(victim.name)) === 'Healthy' ? true : undefined),
        30_000,
      );
      const back = await e2e.skep.docker(['inspect', '-f', '{{.Name}}', onVictim]);
      t.is(back.stdout, `/${onVictim}\n`);
    },
  );

  test.serial(
    'an engine that accepts connections but answers nothing: calls time out, the node turns unhealthy, then recovers',
    async (t) => {
      const frozen = e2e.cluster.engines[0]!;
      t.is(
        (await e2e.skep.docker(['run', '-d', '--name', 'frozen1', 'busybox', 'sleep', '300'])).code,
        0,
      );
      t.is(
        (await e2e.skep.docker(['run', '-d', '--name', 'frozen2', 'busybox', 'sleep', '300'])).code,
        0,
      );
      const onFrozen = (
        await e2e.cluster.docker(frozen, ['ps', '-q', '--filter', 'name=frozen1'])
      ).stdout.trim()
        ? 'frozen1'
        : 'frozen2';
      e2e.cluster.signal(frozen, 'SIGSTOP');
      try {
        const began = Date.now();
        const top = await e2e.skep.docker(['top', onFrozen]);
        t.not(top.code, 0);
        t.true(Date.now() - began < 10_000, `answered after ${Date.now() - began} ms`);
        t.regex(
          top.stderr,
          new RegExp(
            `(Node ${frozen.name} \\(${frozen.addr}\\) did not answer in time|running on unhealthy node ${frozen.name})`,
          ),
        );
        await waitFor(
          `${frozen.name} to turn unhealthy`,
          async () => ((await status(frozen.name)) === 'Unhealthy' ? true : undefined),
          20_000,
        );
        const ps = await e2e.skep.docker(['ps', '--format', '{{.Names}}']);
        t.is(ps.code, 0, 'listing still answers from the cache');
      } finally {
        e2e.cluster.signal(frozen, 'SIGCONT');
      }
      await waitFor(
        `${frozen.name} to be healthy again`,
        async () => ((await status(frozen.name)) === 'Healthy' ? true : undefined),
        30_000,
      );
      t.is((await e2e.skep.docker(['top', onFrozen])).code, 0);
    },
  );
  test.serial(
    'an engine whose answers are lost mid-create: the client gets the other node’s container; the twin the engine made goes once it answers again',
    async (t) => {
      const [node1, node2] = e2e.cluster.engines as [
        (typeof e2e.cluster.engines)[0],
        (typeof e2e.cluster.engines)[0],
      ];
      // spread sends the next create to node1, which holds fewer containers
      for (const name of ['ballast1', 'ballast2', 'ballast3'])
        t.is(
          (
            await e2e.skep.docker([
              'create',
              '--name',
              name,
              '-e',
              'constraint:node==node2',
              'busybox',
            ])
          ).code,
          0,
        );
      const answers = ['-p', 'tcp', '--sport', node1.addr.split(':')[1]!, '-j', 'DROP'];
      const iptables = (action: string) =>
        must('nsenter', [
          `--net=/var/run/netns/${node1.netns}`,
          'iptables',
          action,
          'OUTPUT',
          ...answers,
        ]);
      await iptables('-A');
      try {
        const created = await e2e.skep.docker([
          'create',
          '--name',
          'twin',
          'busybox',
          'sleep',
          '300',
        ]);
        t.is(created.code, 0, created.stderr);
        t.regex(
          (await e2e.cluster.docker(node2, ['ps', '-aq', '--filter', 'name=^twin$'])).stdout,
          /^[0-9a-f]{12}\n$/,
          'the client’s container is on node2',
        );
        t.regex(
          (await e2e.cluster.docker(node1, ['ps', '-aq', '--filter', 'name=^twin$'])).stdout,
          /^[0-9a-f]{12}\n$/,
          'node1 made one too, its answer lost',
        );
        t.is((await e2e.skep.docker(['rm', 'twin'])).code, 0);
      } finally {
        await iptables('-D');
      }
      await waitFor(
        'the twin on node1 to be removed',
        async () =>
          (await e2e.cluster.docker(node1, ['ps', '-aq', '--filter', 'name=^twin$'])).stdout === ''
            ? true
            : undefined,
        30_000,
      );
      t.is(
        (await e2e.skep.docker(['ps', '-a', '--filter', 'name=twin', '--format', '{{.Names}}']))
          .stdout,
        '',
        'docker ps -a shows none',
      );
    },
  );
});
