import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUSYBOX_TAR } from '../harness/cluster.js';
import { withRealEngines } from '../harness/e2e.js';
import { run, sleep, waitFor } from '../harness/exec.js';
import { DOCKER_CLI, DOCKER_CLI_DEBIAN } from '../harness/support.js';
import { useCluster } from '../harness/use-cluster.js';

const CLIS = [
  ['cli28', DOCKER_CLI],
  ['cli20', DOCKER_CLI_DEBIAN],
] as const;

/** The rest of the Engine API across the cluster, through the docker CLIs and docker-compose. */
withRealEngines((test) => {
  const e2e = useCluster(test, 'whole-api', {
    size: 3,
    manager: {
      args: (cluster) => [
        '--engine-refresh-min-interval=1s',
        '--engine-refresh-max-interval=2s',
        '--engine-failure-retry=2',
        cluster.discovery,
      ],
    },
  });
  const docker = (...args: string[]) => e2e.skep.docker(args);
  const holders = async (image: string) => {
    const out: string[] = [];
    for (const e of e2e.cluster.engines)
      if ((await e2e.cluster.docker(e, ['image', 'inspect', image])).code === 0) out.push(e.name);
    return out;
  };
  const nodeOf = async (ref: string) =>
    (await docker('inspect', '-f', '{{.Node.Name}}', ref)).stdout.trim();

  test.serial(
    'docker events shows every node live, each event saying its node; --filter node narrows',
    async (t) => {
      const events = spawn(
        DOCKER_CLI,
        ['events', '--format', '{{json .}}', '--filter', 'event=start'],
        { env: { ...process.env, DOCKER_HOST: e2e.skep.dockerHost } },
      );
      let out = '';
      events.stdout.on('data', (d: Buffer) => (out += d.toString()));
      await sleep(500);
      for (const node of ['node1', 'node2', 'node3'])
        t.is(
          (
            await docker(
              'run',
              '-d',
              '--name',
              `ev-${node}`,
              '-e',
              `constraint:node==${node}`,
              'busybox',
              'sleep',
              '300',
            )
          ).code,
          0,
        );
      await waitFor(
        'three start events',
        async () => (out.trim().split('\n').length >= 3 ? true : undefined),
        10_000,
      );
      events.kill();
      const seen = out
        .trim()
        .split('\n')
        .map(
          (l) => JSON.parse(l) as { from: string; Actor: { Attributes: Record<string, string> } },
        );
      for (const event of seen) {
        const name = event.Actor.Attributes['node.name']!;
        t.is(event.Actor.Attributes.name, `ev-${name}`);
        t.is(event.from, `busybox node:${name}`);
        t.is(event.Actor.Attributes['node.addr'], e2e.cluster.engine(name).addr);
      }
      t.deepEqual(seen.map((e) => e.Actor.Attributes['node.name']).sort(), [
        'node1',
        'node2',
        'node3',
      ]);
      // the API's event also carries classic swarm's top-level node object (the CLI does not print it)
      const raw = await fetch(
        `${e2e.skep.url}/events?since=${Math.floor(Date.now() / 1000) - 60}&until=${Math.floor(Date.now() / 1000) + 1}&filters=${encodeURIComponent('{"event":["start"]}')}`,
      );
      const nodes = (await raw.text())
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { node: { Name: string; Ip: string } }).node);
      t.deepEqual(nodes.map((n) => n.Name).sort(), ['node1', 'node2', 'node3']);
      const narrowed = await docker(
        'events',
        '--since',
        '1m',
        '--until',
        '0s',
        '--filter',
        'node=node2',
        '--filter',
        'event=start',
        '--format',
        '{{.Actor.Attributes.name}}',
      );
      t.is(narrowed.stdout, 'ev-node2\n');
    },
  );

  test.serial('docker stats --no-stream shows the containers of every node', async (t) => {
    const res = await docker('stats', '--no-stream', '--format', '{{.Name}}');
    t.is(res.code, 0, res.stderr);
    t.deepEqual(res.stdout.trim().split('\n').sort(), ['ev-node1', 'ev-node2', 'ev-node3']);
    const oneShot = await fetch(
      `${e2e.skep.url}/containers/ev-node2/stats?stream=false&one-shot=true`,
    );
    t.is(oneShot.status, 200);
    t.truthy(((await oneShot.json()) as { memory_stats: unknown }).memory_stats);
  });

  for (const [label, cli] of CLIS) {
    const d = (...args: string[]) => e2e.skep.docker(args, { cli });
    test.serial(
      `${label}: docker tag and rmi act on every node that has the image; history, inspect, save, load, prune`,
      async (t) => {
        t.is((await d('tag', 'busybox', `tagged-${label}:1`)).code, 0);
        t.deepEqual(await holders(`tagged-${label}:1`), ['node1', 'node2', 'node3']);
        t.regex(
          (await d('image', 'inspect', '-f', '{{.Id}}', `tagged-${label}:1`)).stdout,
          /^sha256:/,
        );
        t.regex((await d('history', `tagged-${label}:1`)).stdout, /IMAGE/);
        const removed = await d('rmi', `tagged-${label}:1`);
        t.is(removed.code, 0, removed.stderr);
        t.is(removed.stdout.match(/Untagged: tagged-/g)?.length, 3);
        t.deepEqual(await holders(`tagged-${label}:1`), []);
        const dir = mkdtempSync(join(tmpdir(), 'skep-save-'));
        t.is((await d('save', '-o', join(dir, 'busybox.tar'), 'busybox')).code, 0);
        const loaded = await d('load', '-i', join(dir, 'busybox.tar'));
        t.is(loaded.code, 0, loaded.stderr);
        // the engines' own lines, as classic passed them (SDKs parse them), then which nodes loaded it
        t.is(loaded.stdout.match(/^Loaded image: busybox:latest$/gm)?.length, 3, loaded.stdout);
        for (const node of ['node1', 'node2', 'node3'])
          t.regex(loaded.stdout, new RegExp(`^${node}: Loaded$`, 'm'));
        const pruned = await d('image', 'prune', '-f');
        t.is(pruned.code, 0, pruned.stderr);
        t.regex(pruned.stdout, /Total reclaimed space/);
      },
    );
  }

  test.serial(
    'docker rmi: a conflict on one node is reported, with the nodes where it worked',
    async (t) => {
      for (const e of e2e.cluster.engines)
        await e2e.cluster.docker(e, ['import', BUSYBOX_TAR, 'solo:1']);
      await sleep(300);
      t.is(
        (
          await docker(
            'run',
            '-d',
            '--name',
            'uses-solo',
            '-e',
            'constraint:node==node2',
            'solo:1',
            'sleep',
            '300',
          )
        ).code,
        0,
      );
      const res = await docker('rmi', 'solo:1');
      t.not(res.code, 0);
      t.regex(res.stderr, /node2: conflict: unable to (remove|delete)/);
      t.regex(res.stderr, /\(done on node1, node3\)/);
      t.deepEqual(await holders('solo:1'), ['node2']);
    },
  );

  for (const [label, cli] of CLIS) {
    test.serial(
      `${label}: docker build goes to the node its constraint names; docker run of the new image finds that node`,
      async (t) => {
        const dir = mkdtempSync(join(tmpdir(), 'skep-build-'));
        writeFileSync(
          join(dir, 'Dockerfile'),
          `FROM busybox\nRUN echo built-by-${label} > /built\nCMD ["cat", "/built"]\n`,
        );
        const built = await e2e.skep.docker(
          ['build', '-q', '--build-arg', 'constraint:node==node2', '-t', `built-${label}:1`, dir],
          { cli, env: { DOCKER_BUILDKIT: '0' } },
        );
        t.is(built.code, 0, built.stderr);
        t.deepEqual(await holders(`built-${label}:1`), ['node2']);
        const ran = await e2e.skep.docker(['run', '--rm', `built-${label}:1`], { cli });
        t.is(ran.code, 0, ran.stderr);
        t.is(ran.stdout, `built-by-${label}\n`);
      },
    );
  }

  for (const [label, cli] of CLIS) {
    const d = (...args: string[]) => e2e.skep.docker(args, { cli });
    test.serial(
      `${label}: a network on one node, a volume on every node (classic), listed as node/name; containers follow the network`,
      async (t) => {
        const net = `net-${label}`;
        const vol = `vol-${label}`;
        t.is((await d('network', 'create', net)).code, 0);
        t.is((await d('volume', 'create', vol)).code, 0);
        const netNode = (await d('network', 'ls', '--format', '{{.Name}}')).stdout
          .split('\n')
          .find((n) => n.endsWith(`/${net}`))!
          .split('/')[0]!;
        t.regex(netNode, /^node\d$/);
        const inspected = await d('network', 'inspect', '-f', '{{.Name}}', net);
        t.is(
          inspected.stdout,
          `${net}\n`,
          `${inspected.stderr} ${JSON.stringify(await (await fetch(`${e2e.skep.url}/networks/${net}`)).json())}`,
        );
        t.is(
          (await d('network', 'inspect', '-f', '{{.Name}}', `${netNode}/${net}`)).stdout,
          `${net}\n`,
        );
        const volNodes = (await d('volume', 'ls', '--format', '{{.Name}}')).stdout
          .split('\n')
          .filter((n) => n.endsWith(`/${vol}`));
        t.deepEqual(
          volNodes.sort(),
          ['node1', 'node2', 'node3'].map((n) => `${n}/${vol}`),
        );
        t.is((await d('volume', 'inspect', '-f', '{{.Name}}', vol)).stdout, `${vol}\n`);
        const dup = await d('network', 'create', net);
        t.regex(dup.stderr, new RegExp(`network with name ${net} already exists`));
        const user = `on-${net}`;
        t.is(
          (await d('run', '-d', '--name', user, '--network', net, 'busybox', 'sleep', '300')).code,
          0,
        );
        t.is(await nodeOf(user), netNode);
        t.is(
          (
            await d(
              'run',
              '-d',
              '--name',
              `on-${vol}`,
              '-v',
              `${vol}:/data`,
              'busybox',
              'sleep',
              '300',
            )
          ).code,
          0,
        );
        t.truthy(await nodeOf(`on-${vol}`));
        t.is((await d('rm', '-f', user, `on-${vol}`)).code, 0);
        t.is((await d('network', 'rm', net)).code, 0);
        t.is((await d('volume', 'rm', vol)).code, 0);
        t.notRegex((await d('volume', 'ls')).stdout, new RegExp(vol), 'removed from every node');
        t.notRegex((await d('network', 'ls')).stdout, new RegExp(net));
        t.is((await d('network', 'prune', '-f')).code, 0);
        t.is((await d('volume', 'prune', '-f')).code, 0);
      },
    );
  }

  test.serial(
    'docker-compose 1.29: up, ps, logs, scale, exec, down for a project with a named volume and its network',
    async (t) => {
      const dir = mkdtempSync(join(tmpdir(), 'skep-compose-'));
      mkdirSync(dir, { recursive: true });
      writeFileSync(
        join(dir, 'docker-compose.yml'),
        [
          'version: "3.7"',
          'services:',
          '  web:',
          '    image: busybox',
          '    command: sh -c "echo web up; exec httpd -f -p 80"',
          '    volumes: ["data:/data"]',
          '  worker:',
          '    image: busybox',
          '    command: sh -c "echo worker up; exec sleep 300"',
          '    depends_on: [web]',
          'volumes:',
          '  data: {}',
          '',
        ].join('\n'),
      );
      const compose = (...args: string[]) =>
        run('docker-compose', ['-p', 'demo', ...args], {
          cwd: dir,
          env: { ...process.env, DOCKER_HOST: e2e.skep.dockerHost },
          timeoutMs: 120_000,
        });
      const up = await compose('up', '-d');
      t.is(up.code, 0, up.stderr);
      const ps = await compose('ps');
      t.regex(ps.stdout, /demo_web_1 .* Up/);
      t.regex(ps.stdout, /demo_worker_1 .* Up/);
      await waitFor(
        'the services to log',
        async () =>
          (await compose('logs', '--no-color')).stdout.includes('worker up') ? true : undefined,
        10_000,
      );
      t.regex((await compose('logs', '--no-color', 'web')).stdout, /web up/);
      const scaled = await compose('up', '-d', '--scale', 'worker=3');
      t.is(scaled.code, 0, scaled.stderr);
      t.is(
        (await docker('ps', '-q', '--filter', 'label=com.docker.compose.service=worker')).stdout
          .trim()
          .split('\n').length,
        3,
      );
      const exec = await compose('exec', '-T', 'web', 'cat', '/proc/1/cmdline');
      t.regex(exec.stdout, /httpd/);
      const down = await compose('down', '-t', '1');
      t.is(down.code, 0, down.stderr);
      t.is(
        (await docker('ps', '-aq', '--filter', 'label=com.docker.compose.project=demo')).stdout,
        '',
      );
      t.notRegex((await docker('network', 'ls')).stdout, /demo_default/);
    },
  );

  test.serial('docker system df sums the nodes; docker info totals match them', async (t) => {
    const df = await docker('system', 'df', '--format', '{{.Type}} {{.TotalCount}}');
    t.is(df.code, 0, df.stderr);
    const count = (out: string) => Number(/^Images (\d+)$/m.exec(out)![1]);
    let direct = 0;
    let images = 0;
    let ncpu = 0;
    for (const e of e2e.cluster.engines) {
      direct += count(
        (await e2e.cluster.docker(e, ['system', 'df', '--format', '{{.Type}} {{.TotalCount}}']))
          .stdout,
      );
      images += Number((await e2e.cluster.docker(e, ['info', '-f', '{{.Images}}'])).stdout.trim());
      ncpu += Number((await e2e.cluster.docker(e, ['info', '-f', '{{.NCPU}}'])).stdout.trim());
    }
    t.is(count(df.stdout), direct);
    t.is((await docker('info', '-f', '{{.NCPU}} {{.Images}}')).stdout, `${ncpu} ${images}\n`);
  });

  test.serial(
    "Skep's own events: engine_disconnect when a node dies, engine_reconnect when it returns",
    async (t) => {
      const node3 = e2e.cluster.engines[2]!;
      await docker('rm', '-f', 'ev-node3'); // a quicker restart
      await e2e.cluster.kill(node3);
      await waitFor(
        'node3 unhealthy',
        async () =>
          (await docker('info')).stdout.includes('└ Status: Unhealthy') ? true : undefined,
        30_000,
      );
      try {
        await e2e.cluster.restart(node3);
      } catch (err) {
        throw new Error(
          `${(err as Error).message}\n${readFileSync(join(node3.dir, 'dockerd.log'), 'utf8').split('\n').slice(-15).join('\n')}`,
        );
      }
      await waitFor(
        'node3 healthy',
        async () =>
          (await docker('info')).stdout.match(/└ Status: Healthy/g)?.length === 3
            ? true
            : undefined,
        60_000,
      );
      await sleep(1100); // the CLI's --until is in whole seconds
      const events = await docker(
        'events',
        '--since',
        '2m',
        '--until',
        '0s',
        '--filter',
        'type=swarm',
        '--format',
        '{{.Action}} {{.Actor.Attributes}}',
      );
      t.regex(
        events.stdout,
        /^engine_disconnect .*node\.name:node3/m,
        events.stdout + events.stderr + e2e.skep.logs.join(''),
      );
      t.regex(events.stdout, /^engine_reconnect .*node\.name:node3/m, e2e.skep.logs.join(''));
    },
  );
});
