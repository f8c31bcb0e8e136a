import { TestCluster } from '../harness/cluster.js';
import { withRealEngines } from '../harness/e2e.js';
import { waitFor } from '../harness/exec.js';
import { SkepProcess } from '../harness/skep.js';

withRealEngines((test) => {
  let cluster: TestCluster;
  let skep: SkepProcess;
  const status = async (node: string) => {
    const info = (await (await fetch(`${skep.url}/info`)).json()) as { SystemStatus: [string, string][] };
    const at = info.SystemStatus.findIndex(([k]) => k === ` ${node}`);
    return info.SystemStatus[at + 2]![1];
  };

  test.before(async () => {
    cluster = await TestCluster.start({ prefix: 'skhlth', subnet: 9, size: 2 });
    skep = await SkepProcess.start(
      ['--engine-refresh-min-interval=1s', '--engine-refresh-max-interval=2s', '--engine-failure-retry=2', cluster.discovery],
      { nodes: 2 },
    );
  });
  test.after.always(async () => {
    await skep?.stop();
    await cluster?.stop();
  });

  test.serial('a killed engine turns unhealthy, fails fast, takes no creates, and comes back', async (t) => {
    const [node1, node2] = cluster.engines as [typeof cluster.engines[0], typeof cluster.engines[0]];
    t.is((await skep.docker(['run', '-d', '--name', 'on1', 'busybox', 'sleep', '300'])).code, 0);
    t.is((await skep.docker(['run', '-d', '--name', 'on2', 'busybox', 'sleep', '300'])).code, 0);
    const victim = (await cluster.docker(node1, ['ps', '-q', '--filter', 'name=on1'])).stdout.trim() ? node1 : node2;
    const survivor = victim === node1 ? node2 : node1;
    const onVictim = victim === node1 ? 'on1' : 'on2';

    await cluster.kill(victim);
    await waitFor(`${victim.name} to turn unhealthy`, async () => ((await status(victim.name)) === 'Unhealthy' ? true : undefined), 20_000);
    const info = await skep.docker(['info']);
    t.regex(info.stdout, new RegExp(`  ${victim.name}: ${victim.addr}\\n.*\\n {3}└ Status: Unhealthy`));

    const began = Date.now();
    const inspect = await skep.docker(['inspect', onVictim]);
    t.true(Date.now() - began < 3000, 'no hang');
    t.regex(inspect.stderr, new RegExp(`Container ${onVictim} running on unhealthy node ${victim.name}`));

    for (const name of ['after1', 'after2']) {
      t.is((await skep.docker(['run', '-d', '--name', name, 'busybox', 'sleep', '300'])).code, 0);
      t.regex((await cluster.docker(survivor, ['ps', '-q', '--filter', `name=${name}`])).stdout, /^[0-9a-f]{12}\n$/, `${name} on the healthy node`);
    }

    await cluster.restart(victim);
    await waitFor(`${victim.name} to be healthy again`, async () => ((await status(victim.name)) === 'Healthy' ? true : undefined), 30_000);
    const back = await skep.docker(['inspect', '-f', '{{.Name}}', onVictim]);
    t.is(back.stdout, `/${onVictim}\n`);
  });
});
