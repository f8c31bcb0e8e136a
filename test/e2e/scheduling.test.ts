import { withRealEngines } from '../harness/e2e.js';
import { SkepProcess } from '../harness/skep.js';
import { useCluster } from '../harness/use-cluster.js';

/** Classic swarm's filters and strategies, as its users placed containers with the docker CLI. */
withRealEngines((test) => {
  const e2e = useCluster(test, 'scheduling', {
    size: 3,
    labels: [
      ['zone=z0', 'storage=ssd'],
      ['zone=z1', 'storage=disk'],
      ['zone=z0', 'storage=disk', 'containerslots=2'],
    ],
    manager: { global: ['-l', 'debug'] },
  });
  let memory = 0;
  const docker = (...args: string[]) => e2e.skep.docker(args);
  /** `docker create` through Skep; the node it landed on, asked of the engines. */
  const createOn = async (args: string[], via = e2e.skep) => {
    const res = await via.docker(['create', ...args, 'busybox', 'true']);
    if (res.code !== 0) return { error: res.stderr.trim() };
    return { node: await nodeOf(res.stdout.trim()) };
  };
  /** `docker run -d` through Skep of a sleeping busybox `name`, on `node` by a constraint: its exit code. */
  const runOn = async (name: string, node: string, ...extra: string[]) =>
    (
      await docker(
        'run',
        '-d',
        '--name',
        name,
        ...extra,
        '-e',
        `constraint:node==${node}`,
        'busybox',
        'sleep',
        '300',
      )
    ).code;
  const nodeOf = async (ref: string) => {
    for (const e of e2e.cluster.engines)
      if ((await e2e.cluster.docker(e, ['inspect', ref])).code === 0) return e.name;
    return undefined;
  };
  const removeAll = async () => {
    for (const e of e2e.cluster.engines) {
      const ids = (await e2e.cluster.docker(e, ['ps', '-aq'])).stdout
        .trim()
        .split('\n')
        .filter(Boolean);
      if (ids.length) await e2e.cluster.docker(e, ['rm', '-f', ...ids]);
    }
    await waitForEmpty();
  };
  const waitForEmpty = async () => {
    for (let i = 0; i < 50 && (await docker('ps', '-aq')).stdout.trim() !== ''; i++)
      await new Promise((r) => setTimeout(r, 100));
  };

  test.serial.before(async () => {
    memory = Number(
      (
        await e2e.cluster.docker(e2e.cluster.engines[0]!, ['info', '-f', '{{.MemTotal}}'])
      ).stdout.trim(),
    );
  });
  test.afterEach.always(() => removeAll());

  test.serial('docker info names the strategy and every filter, in order', async (t) => {
    const info = (await docker('info')).stdout;
    t.regex(info, /^ Strategy: spread$/m);
    t.regex(
      info,
      /^ Filters: health, port, containerslots, dependency, affinity, constraint, whitelist$/m,
    );
  });

  test.serial(
    'constraints: node name, engine label, standard tag, glob, regex, soft; the engine never sees them',
    async (t) => {
      t.deepEqual(await createOn(['-e', 'constraint:node==node2']), { node: 'node2' });
      t.deepEqual(await createOn(['-e', 'constraint:storage==ssd']), { node: 'node1' });
      t.deepEqual(
        await createOn(['-e', 'constraint:storagedriver==overlay2', '-e', 'constraint:zone==z1']),
        { node: 'node2' },
      );
      t.deepEqual(await createOn(['-e', 'constraint:node==*3']), { node: 'node3' });
      t.regex(
        (await createOn(['-e', 'constraint:node==/node[12]/', '-e', 'constraint:storage==disk']))
          .node!,
        /^node2$/,
      );
      t.deepEqual(await createOn(['--label', 'com.docker.swarm.constraints=["zone==z1"]']), {
        node: 'node2',
      });
      t.truthy(
        (await createOn(['-e', 'constraint:zone==~z9'])).node,
        'a soft constraint nothing meets is dropped',
      );
      const hard = await createOn(['-e', 'constraint:zone==z9']);
      // classic's lines exactly, then Skep's per node
      t.regex(
        hard.error!,
        /Unable to find a node that satisfies the following conditions \n\[available container slots\]\n\[zone==z9\]\n\[node/,
      );
      t.regex(hard.error!, /\[node1: constraint zone==z9 not met \(zone=z0\)\]/);
      t.regex(hard.error!, /\[node2: constraint zone==z9 not met \(zone=z1\)\]/);
      const id = (
        await docker('create', '-e', 'A=1', '-e', 'constraint:zone==z1', 'busybox', 'true')
      ).stdout.trim();
      t.is(
        (await docker('inspect', '-f', '{{json .Config.Env}}', id)).stdout.includes('constraint:'),
        false,
      );
      t.is(
        (
          await docker(
            'inspect',
            '-f',
            '{{index .Config.Labels "com.docker.swarm.constraints"}}',
            id,
          )
        ).stdout,
        '["zone==z1"]\n',
      );
      const bad = await createOn(['-e', 'constraint:zone=z1']);
      t.regex(bad.error!, /invalid constraint expression "zone=z1"/);
    },
  );

  test.serial(
    "classic's soft pass: a soft affinity that clashes with a hard constraint gives way; bad JSON labels are ignored",
    async (t) => {
      t.is(await runOn('soft-db', 'node2'), 0);
      t.deepEqual(
        await createOn([
          '-e',
          'affinity:container==~soft-db',
          '-e',
          'constraint:zone==z0',
          '-e',
          'constraint:storage==ssd',
        ]),
        { node: 'node1' },
      );
      t.deepEqual(
        await createOn(['-e', 'affinity:container==~soft-db']),
        { node: 'node2' },
        'met when it can be',
      );
      const bad = await createOn([
        '--label',
        'com.docker.swarm.affinities=[not json',
        '-e',
        'constraint:node==node3',
      ]);
      t.deepEqual(bad, { node: 'node3' });
      t.true(
        e2e.skep.logs.join('').includes('label com.docker.swarm.affinities is ignored: [not json'),
        'the warning names the label',
      );
      const ports = await createOn(['-p', '18090:80', '-e', 'affinity:container==nothing-here']);
      t.regex(
        ports.error!,
        /conditions \n\[port 18090 \(Bridge mode\)\]\n\[available container slots\]\n\[container==nothing-here \(soft=false\)\]\n\[node/,
      );
      const big = await createOn(['-m', String(memory * 4)]);
      t.regex(big.error!, /no resources available to schedule container\n\[node1: /);
    },
  );

  test.serial(
    "every container gets classic's swarm ID, and is found by it; reschedule policies are checked and kept from the engine",
    async (t) => {
      const id = (
        await docker(
          'create',
          '--name',
          'with-id',
          '-e',
          'reschedule:on-node-failure',
          'busybox',
          'true',
        )
      ).stdout.trim();
      const swarmId = (
        await docker('inspect', '-f', '{{index .Config.Labels "com.docker.swarm.id"}}', id)
      ).stdout.trim();
      t.regex(swarmId, /^[0-9a-f]{64}$/);
      t.is((await docker('inspect', '-f', '{{.Id}}', swarmId)).stdout.trim(), id);
      t.is(
        (
          await docker(
            'inspect',
            '-f',
            '{{index .Config.Labels "com.docker.swarm.reschedule-policies"}}',
            id,
          )
        ).stdout,
        '["on-node-failure"]\n',
      );
      t.false(
        (await docker('inspect', '-f', '{{json .Config.Env}}', id)).stdout.includes('reschedule:'),
      );
      t.regex(
        (await createOn(['-e', 'reschedule:sometimes'])).error!,
        /invalid reschedule policy: sometimes/,
      );
      t.regex(
        (await createOn(['-e', 'reschedule:off', '-e', 'reschedule:on-node-failure'])).error!,
        /too many reschedule policies/,
      );
    },
  );

  test.serial('whitelist: only the named nodes', async (t) => {
    t.deepEqual(await createOn(['-e', 'whitelist:node==node3']), { node: 'node3' });
    t.regex(
      (await createOn(['-e', 'whitelist:node==node7'])).error!,
      /conditions \n\[available container slots\]\n\[node==node7 \(soft=false\)\]/,
    );
  });

  test.serial(
    "an image on some nodes only: classic's image affinity over all nodes; a pull that fails says the engine's words",
    async (t) => {
      await e2e.cluster.docker(e2e.cluster.engines[1]!, ['tag', 'busybox', 'only-on-two:1']);
      await new Promise((r) => setTimeout(r, 300)); // the tag event reaches the cache
      // spread would pick node1 or node3 (node2 has the most containers); the retry goes where the image is
      t.is(await runOn('filler', 'node2'), 0);
      const made = await e2e.skep.docker([
        'create',
        '-e',
        'affinity:container!=~filler',
        'only-on-two:1',
        'true',
      ]);
      t.is(made.code, 0, made.stderr);
      t.is(await nodeOf(made.stdout.trim()), 'node2');
      // over the API (the CLI refuses such a name itself): the engine's refusal of the pull, not "No such image"
      const invalid = await fetch(`${e2e.skep.url}/containers/create`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ Image: 'a'.repeat(64) }),
      });
      const body = (await invalid.json()) as { message: string };
      t.regex(
        body.message,
        /invalid repository name \(a{64}\), cannot specify 64-byte hexadecimal strings/,
      );
      t.not(invalid.status, 404);
      await e2e.cluster.docker(e2e.cluster.engines[1]!, ['rmi', 'only-on-two:1']);
    },
  );

  test.serial(
    'affinities: to a container, to an image on one node only, to a container label; away with !=',
    async (t) => {
      t.is(await runOn('aff-db', 'node2', '--label', 'role=cache'), 0);
      t.deepEqual(await createOn(['-e', 'affinity:container==aff-db']), { node: 'node2' });
      t.deepEqual(await createOn(['-e', 'affinity:role==cache']), { node: 'node2' });
      t.not((await createOn(['-e', 'affinity:container!=aff-db'])).node, 'node2');
      await e2e.cluster.docker(e2e.cluster.engines[2]!, ['tag', 'busybox', 'only-here:1']);
      await new Promise((r) => setTimeout(r, 300)); // the tag event reaches the cache
      const onImage = await e2e.skep.docker([
        'create',
        '-e',
        'affinity:image==only-here:1',
        'only-here:1',
        'true',
      ]);
      t.is(onImage.code, 0, onImage.stderr);
      t.is(await nodeOf(onImage.stdout.trim()), 'node3');
      const none = await createOn(['-e', 'affinity:container==nothing-like-it']);
      t.regex(
        none.error!,
        /\[node1: affinity container==nothing-like-it not met \(no container nothing-like-it on node1\)\]/,
      );
    },
  );

  test.serial(
    'port: a host port in use (even by a stopped container) rules the node out; bridge and host networking',
    async (t) => {
      const placed = [];
      for (let i = 0; i < 3; i++) placed.push((await createOn(['-p', '18081:80'])).node);
      t.deepEqual(placed.sort(), ['node1', 'node2', 'node3']);
      const full = await createOn(['-p', '18081:80']);
      t.regex(full.error!, /\[node1: port 18081\/tcp is already used on node1 \(by \w+\)\]/);
      t.truthy((await createOn(['-p', '18081:80/udp'])).node, 'another protocol is free');
      await removeAll();
      const host = [];
      for (let i = 0; i < 2; i++)
        host.push(
          (await createOn(['--net', 'host', '--expose', '18082', '-e', 'constraint:zone==z0']))
            .node,
        );
      t.deepEqual(host.sort(), ['node1', 'node3']);
      t.regex(
        (await createOn(['--net', 'host', '--expose', '18082', '-e', 'constraint:zone==z0']))
          .error!,
        /port 18082\/tcp is already used/,
      );
    },
  );

  test.serial(
    "dependency: --volumes-from, --link and --net=container go to the dependency's node; split or missing ones fail",
    async (t) => {
      t.is(await runOn('dep-base', 'node1'), 0);
      t.is(await runOn('dep-other', 'node2'), 0);
      t.deepEqual(await createOn(['--volumes-from', 'dep-base']), { node: 'node1' });
      t.deepEqual(await createOn(['--link', 'dep-base:base']), { node: 'node1' });
      t.deepEqual(await createOn(['--net', 'container:dep-base']), { node: 'node1' });
      t.deepEqual(
        await createOn(['--volumes-from', 'node1/dep-base']),
        { node: 'node1' },
        'node/name works and is rewritten for the engine',
      );
      const split = await createOn(['--volumes-from', 'dep-base', '--volumes-from', 'dep-other']);
      t.regex(split.error!, /\[node2: --volumes-from dep-base: no such container on node2\]/);
      t.regex(split.error!, /\[node1: --volumes-from dep-other: no such container on node1\]/);
      t.regex(
        (await createOn(['--link', 'nowhere:x'])).error!,
        /--link nowhere: no such container on node2/,
      );
    },
  );

  test.serial('containerslots holds under concurrent creates', async (t) => {
    const results = await Promise.all(
      [1, 2, 3, 4].map(() => createOn(['-e', 'constraint:node==node3'])),
    );
    t.is(
      results.filter((r) => r.node === 'node3').length,
      2,
      e2e.skep.logs
        .join('')
        .split('\n')
        .filter((l) => /placing|created/.test(l))
        .join('\n'),
    );
    for (const refused of results.filter((r) => r.error))
      t.regex(refused.error!, /\[node3: all 2 container slots are used \(containerslots=2\)\]/);
  });

  test.serial(
    'two simultaneous creates with -m on a node that fits one: one lands, one is refused',
    async (t) => {
      const mem = String(Math.floor(memory * 0.6));
      const results = await Promise.all(
        [1, 2].map(() => createOn(['-m', mem, '-e', 'constraint:node==node1'])),
      );
      t.is(results.filter((r) => r.node === 'node1').length, 1, JSON.stringify(results));
      t.regex(
        results.find((r) => r.error)!.error!,
        /\[node1: [\d.]+ GiB of [\d.]+ GiB memory free; the container reserves [\d.]+ GiB\]/,
      );
    },
  );

  test.serial('spread alternates over the nodes', async (t) => {
    const placed = [];
    for (let i = 0; i < 6; i++) placed.push((await createOn([])).node);
    t.deepEqual(placed.slice(0, 3).sort(), ['node1', 'node2', 'node3']);
    t.deepEqual(placed.slice(3).sort(), ['node1', 'node2', 'node3']);
  });

  test.serial(
    'binpack (chosen by flag) fills one node before the next; filters chosen by flag',
    async (t) => {
      const binpack = await SkepProcess.start(
        ['--strategy', 'binpack', '--filter', 'health', '--filter', 'port', e2e.cluster.discovery],
        { nodes: 3 },
      );
      try {
        const info = (await binpack.docker(['info'])).stdout;
        t.regex(info, /^ Strategy: binpack$/m);
        t.regex(info, /^ Filters: health, port$/m);
        const placed = [];
        for (let i = 0; i < 3; i++) placed.push((await createOn([], binpack)).node);
        t.deepEqual(placed, ['node1', 'node1', 'node1']);
        const mem = String(Math.floor(memory * 0.6));
        t.deepEqual(await createOn(['-m', mem], binpack), { node: 'node1' });
        t.deepEqual(
          await createOn(['-m', mem], binpack),
          { node: 'node2' },
          'node1 is full: the next',
        );
      } finally {
        await binpack.stop();
      }
    },
  );

  test.serial(
    'the placement dry run says where a create would go and why not elsewhere, creating nothing',
    async (t) => {
      const res = await fetch(`${e2e.skep.url}/skep/placement`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ Image: 'busybox', Env: ['constraint:zone==z0'] }),
      });
      t.is(res.status, 200);
      const plan = (await res.json()) as {
        Node: string;
        Ranked: string[];
        Rejected: { Node: string; Filter: string; Reason: string }[];
      };
      t.is(plan.Node, 'node1');
      t.deepEqual(plan.Ranked, ['node1', 'node3']);
      t.deepEqual(plan.Rejected, [
        { Node: 'node2', Filter: 'constraint', Reason: 'constraint zone==z0 not met (zone=z1)' },
      ]);
      t.is((await docker('ps', '-aq')).stdout, '');
    },
  );
});
