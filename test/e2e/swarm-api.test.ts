import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUSYBOX_TAR } from '../harness/cluster.js';
import { withRealEngines } from '../harness/e2e.js';
import { REPO_ROOT, SkepProcess } from '../harness/skep.js';
import { useCluster } from '../harness/use-cluster.js';

/** The documented Swarm API behaviours (built-in plugins), as the docker CLI shows them, on and off. */
withRealEngines((test) => {
  const e2e = useCluster(test, 'swarm-api', {
    size: 3,
    labels: [['zone=z0'], ['zone=z1'], ['zone=z0']],
    manager: true,
  });
  const docker = (...args: string[]) => e2e.skep.docker(args);
  const engine = (name: string) => e2e.cluster.engine(name);
  const onEngine = async (name: string, ...args: string[]) =>
    (await e2e.cluster.docker(engine(name), args)).stdout.trim();
  /** The node that really runs a container, asked of the engines. */
  const nodeOf = async (ref: string) => {
    for (const e of e2e.cluster.engines)
      if ((await e2e.cluster.docker(e, ['inspect', ref])).code === 0) return e.name;
    return undefined;
  };
  /** A second manager over the same engines, with its own config file. */
  const managerWith = async (config: string, file = 'swarm.config.mjs') => {
    const dir = mkdtempSync(join(tmpdir(), 'skep-config-'));
    writeFileSync(join(dir, file), config);
    return SkepProcess.start(['--config', join(dir, file), e2e.cluster.discovery], { nodes: 3 });
  };
  let ncpu = 0;

  test.serial.before(async () => {
    ncpu = Number(await onEngine('node1', 'info', '-f', '{{.NCPU}}'));
  });

  test.serial(
    'docker ps prints node/name, and every call takes either form of the name',
    async (t) => {
      t.is(
        (
          await docker(
            'run',
            '-d',
            '--name',
            'web',
            '-p',
            '8080:80',
            'busybox',
            'httpd',
            '-f',
            '-p',
            '80',
          )
        ).code,
        0,
      );
      t.is((await docker('run', '-d', '--name', 'db', 'busybox', 'sleep', '300')).code, 0);
      const webNode = await nodeOf('web');
      const dbNode = await nodeOf('db');
      const names = (await docker('ps', '--format', '{{.Names}}')).stdout.trim().split('\n').sort();
      t.deepEqual(names, [`${dbNode}/db`, `${webNode}/web`].sort());
      for (const ref of ['web', `${webNode}/web`, `/${webNode}/web`]) {
        t.is((await docker('inspect', '-f', '{{.Name}}', ref)).stdout, '/web\n', ref);
        t.is((await docker('exec', ref, 'hostname')).code, 0, ref);
      }
      t.is((await docker('ps', '-q', '--filter', `name=${webNode}/web`)).stdout.trim().length, 12);
    },
  );

  test.serial("docker port and docker ps show the node's own address, once", async (t) => {
    const ip = engine((await nodeOf('web'))!).ip;
    t.is((await docker('port', 'web')).stdout, `80/tcp -> ${ip}:8080\n`);
    t.is(
      (await docker('ps', '--filter', 'name=web', '--format', '{{.Ports}}')).stdout,
      `${ip}:8080->80/tcp\n`,
    );
    const reached = await fetch(`http://${ip}:8080/`);
    t.is(reached.status, 404, 'busybox httpd answered at that address');
  });

  test.serial("docker inspect shows the container's Node", async (t) => {
    const name = await nodeOf('web');
    const e = engine(name!);
    const node = await docker(
      'inspect',
      '-f',
      '{{.Node.Name}} {{.Node.IP}} {{.Node.Addr}} {{.Node.Cpus}} {{.Node.Labels.zone}}',
      'web',
    );
    t.is(node.stdout, `${name} ${e.ip} ${e.addr} ${ncpu} z${(Number(name!.slice(4)) + 1) % 2}\n`);
    const id = await onEngine(name!, 'info', '-f', '{{.ID}}');
    t.is((await docker('inspect', '-f', '{{.Node.ID}}', 'web')).stdout, `${id}|${e.addr}\n`);
  });

  test.serial(
    "docker images --filter node=NAME lists that node's images only; the API says which node holds each row",
    async (t) => {
      const idOn = async (name: string) =>
        await onEngine(name, 'images', '-q', '--no-trunc', 'busybox');
      const node2 = await docker('images', '-q', '--no-trunc', '--filter', 'node=node2');
      t.is(node2.stdout.trim(), await idOn('node2'));
      const all = (await docker('images', '-q', '--no-trunc', 'busybox')).stdout
        .trim()
        .split('\n')
        .sort();
      t.deepEqual(all, (await Promise.all(['node1', 'node2', 'node3'].map(idOn))).sort());
      const rows = (await (await fetch(`${e2e.skep.url}/images/json`)).json()) as {
        Id: string;
        Node: { Name: string };
      }[];
      for (const row of rows) t.is(row.Id, await idOn(row.Node.Name));
    },
  );

  test.serial(
    'docker run -c N reserves N cores: a node that has them, real shares on the engine, refused when none has',
    async (t) => {
      // names that are no hex ID prefix: the engines' own lookup (nodeOf) would match a prefix
      const placed: string[] = [];
      for (const name of ['cpu1', 'cpu2', 'cpu3']) {
        const res = await docker(
          'run',
          '-d',
          '--name',
          name,
          '-c',
          String(ncpu),
          'busybox',
          'sleep',
          '300',
        );
        t.is(res.code, 0, res.stderr);
        placed.push((await nodeOf(name))!);
      }
      t.deepEqual([...placed].sort(), ['node1', 'node2', 'node3'], 'each fills a node');
      t.is(
        await onEngine(placed[0]!, 'inspect', '-f', '{{.HostConfig.CpuShares}}', 'cpu1'),
        '1024',
      );
      t.is(
        (await docker('inspect', '-f', '{{.HostConfig.CpuShares}}', 'cpu1')).stdout,
        `${ncpu}\n`,
      );
      const info = (await docker('info')).stdout;
      t.is([...info.matchAll(new RegExp(`└ Reserved CPUs: ${ncpu} / ${ncpu}$`, 'gm'))].length, 3);
      const refused = await docker(
        'run',
        '-d',
        '--name',
        'cpu4',
        '-c',
        '1',
        'busybox',
        'sleep',
        '300',
      );
      t.is(refused.code, 125);
      t.regex(refused.stderr, /no resources available to schedule container\n/);
      t.regex(
        refused.stderr,
        new RegExp(
          `\\[node1: 0 of ${ncpu} CPUs free; the container reserves 1 \\(CpuShares counts CPU cores\\)\\]`,
        ),
      );
      t.is((await docker('rm', '-f', 'cpu1', 'cpu2', 'cpu3')).code, 0);
    },
  );

  test.serial(
    'containers of the swarm image are hidden from docker ps, shown with -a',
    async (t) => {
      for (const e of e2e.cluster.engines)
        await e2e.cluster.docker(e, ['tag', 'busybox', 'swarm:latest']);
      t.is((await docker('run', '-d', '--name', 'mgr', 'swarm', 'sleep', '300')).code, 0);
      t.notRegex((await docker('ps', '--format', '{{.Names}}')).stdout, /mgr/);
      t.regex((await docker('ps', '-a', '--format', '{{.Names}}')).stdout, /\/mgr$/m);
    },
  );

  test.serial('docker import answers 404 without reaching an engine', async (t) => {
    const res = await docker('import', BUSYBOX_TAR, 'imported:1');
    t.is(res.code, 1);
    t.regex(res.stderr, /docker import is not supported by the Swarm manager/);
    for (const e of e2e.cluster.engines)
      t.is((await e2e.cluster.docker(e, ['images', '-q', 'imported'])).stdout, '', e.name);
  });

  test.serial(
    "with every built-in turned off, the engines' own behaviour comes back",
    async (t) => {
      const off = await managerWith(
        `export default { builtins: { 'node-field': false, 'host-ip': false, 'node-name-prefix': false, 'hide-swarm-containers': false, 'image-node-filter': false, 'cpu-cores': false, 'registry-auth': false, 'import-404': false } };\n`,
      );
      try {
        const plain = (...args: string[]) => off.docker(args);
        const names = (await plain('ps', '--format', '{{.Names}}')).stdout
          .trim()
          .split('\n')
          .sort();
        t.deepEqual(
          names,
          ['db', 'mgr', 'web'],
          'no node prefix, and the swarm container is listed',
        );
        t.notRegex((await plain('inspect', 'web')).stdout, /"Node"/, 'no Node field');
        t.regex((await plain('port', 'web')).stdout, /^80\/tcp -> 0\.0\.0\.0:8080$/m);
        const filtered = await plain('images', '--filter', 'node=node1');
        t.not(filtered.code, 0);
        t.regex(filtered.stderr, /Invalid filter 'node'/);
        const shares = await plain(
          'run',
          '-d',
          '--name',
          'raw',
          '-c',
          '2',
          'busybox',
          'sleep',
          '300',
        );
        t.is(shares.code, 0, shares.stderr);
        t.is(
          await onEngine(
            (await nodeOf('raw'))!,
            'inspect',
            '-f',
            '{{.HostConfig.CpuShares}}',
            'raw',
          ),
          '2',
        );
        const imported = await plain('import', BUSYBOX_TAR, 'imported:1');
        t.is(imported.code, 0, imported.stderr);
        for (const e of e2e.cluster.engines)
          t.regex(
            (await e2e.cluster.docker(e, ['images', '-q', 'imported:1'])).stdout,
            /^[0-9a-f]{12}\n$/,
            e.name,
          );
        t.is((await plain('rm', '-f', 'raw')).code, 0);
      } finally {
        await off.stop();
      }
    },
  );

  test.serial(
    'third-party plugins load from the config file, with options, and one replaces a built-in',
    async (t) => {
      const example = (file: string) => JSON.stringify(join(REPO_ROOT, 'docs', 'examples', file));
      const custom = await managerWith(`export default {
  plugins: [
    [${example('add-label.ts')}, { key: 'com.example.owner', value: 'team-a' }],
    [${example('veto-node.ts')}, { node: 'node2' }],
    ${example('allow-import.ts')},
  ],
};
`);
      try {
        const nodes: string[] = [];
        for (const name of ['p1', 'p2', 'p3']) {
          const res = await custom.docker(['run', '-d', '--name', name, 'busybox', 'sleep', '300']);
          t.is(res.code, 0, res.stderr);
          nodes.push((await nodeOf(name))!);
          t.is(
            (
              await custom.docker([
                'inspect',
                '-f',
                '{{index .Config.Labels "com.example.owner"}}',
                name,
              ])
            ).stdout,
            'team-a\n',
          );
        }
        t.false(nodes.includes('node2'), `vetoed node2, got ${nodes.join(',')}`);
        const unnamed = await custom.docker(['import', BUSYBOX_TAR]);
        t.regex(unnamed.stderr, /needs a repository name/);
        const named = await custom.docker(['import', BUSYBOX_TAR, 'allowed:1']);
        t.is(named.code, 0, named.stderr);
        t.is((await e2e.cluster.docker(engine('node3'), ['images', '-q', 'allowed:1'])).code, 0);
        t.is((await custom.docker(['rm', '-f', 'p1', 'p2', 'p3'])).code, 0);
      } finally {
        await custom.stop();
      }
    },
  );
});
