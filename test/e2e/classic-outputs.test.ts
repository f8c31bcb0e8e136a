import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withRealEngines } from '../harness/e2e.js';
import { run } from '../harness/exec.js';
import { rawExchange } from '../harness/raw-http.js';
import { DOCKER_CLI } from '../harness/support.js';
import { useCluster } from '../harness/use-cluster.js';

/** Images, networks and volumes as classic swarm showed them, and what programs using Docker's SDKs rely on. */
withRealEngines((test) => {
  const e2e = useCluster(test, 'classic-outputs', { size: 3, manager: true });
  const docker = (...args: string[]) => e2e.skep.docker(args);
  const engine = (name: string) => e2e.cluster.engine(name);
  const onEngine = async (name: string, ...args: string[]) =>
    (await e2e.cluster.docker(engine(name), args)).stdout.trim();
  const api = (path: string, init?: RequestInit) => fetch(`${e2e.skep.url}${path}`, init);
  const json = (body: unknown): RequestInit => ({
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });

  test.serial(
    "docker load: the engines' lines unchanged, then which nodes loaded; docker images: one row per image ID, tags merged",
    async (t) => {
      const tar = join(mkdtempSync(join(tmpdir(), 'skep-save-')), 'busybox.tar');
      t.is(
        (
          await run(DOCKER_CLI, [
            '-H',
            `unix://${engine('node1').socket}`,
            'save',
            '-o',
            tar,
            'busybox',
          ])
        ).code,
        0,
      );
      const loaded = await api('/images/load?quiet=1', {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-tar' },
        body: readFileSync(tar),
      });
      t.is(loaded.status, 200);
      const lines = (await loaded.text())
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      t.is(
        lines.filter((l) => l.stream === 'Loaded image: busybox:latest\n').length,
        3,
        JSON.stringify(lines),
      );
      t.deepEqual(
        lines
          .filter((l) => l.status === 'Loaded')
          .map((l) => l.id)
          .sort(),
        ['node1', 'node2', 'node3'],
      );
      const id = await onEngine('node1', 'images', '-q', 'busybox');
      t.is(
        (await docker('images', '-q')).stdout
          .trim()
          .split('\n')
          .filter((l) => l === id).length,
        1,
        'images -q lists the ID once, not once per node',
      );
      await e2e.cluster.docker(engine('node2'), ['tag', 'busybox', 'busybox:two']);
      const rows = (await docker('images', '--format', '{{.ID}} {{.Repository}}:{{.Tag}}')).stdout
        .trim()
        .split('\n')
        .filter((l) => l.startsWith(id));
      t.deepEqual(
        rows.sort(),
        [`${id} busybox:latest`, `${id} busybox:two`],
        'the CLI prints a row per tag, one image behind them',
      );
      const listed = (await (await api('/images/json')).json()) as {
        Id: string;
        RepoTags: string[];
      }[];
      const merged = listed.filter((i) => i.Id.includes(id));
      t.is(merged.length, 1);
      t.deepEqual(merged[0]!.RepoTags.sort(), ['busybox:latest', 'busybox:two']);
      const onThree = (
        await docker('images', '--filter', 'node=node3', '--format', '{{.Repository}}:{{.Tag}}')
      ).stdout
        .trim()
        .split('\n');
      t.true(onThree.includes('busybox:latest'));
      t.false(onThree.includes('busybox:two'), "--filter node= still narrows to that node's tags");
    },
  );

  test.serial("docker save of images no node has together: classic's words", async (t) => {
    await e2e.cluster.docker(engine('node3'), ['tag', 'busybox', 'only-three:1']);
    await new Promise((r) => setTimeout(r, 300));
    const res = await docker(
      'save',
      '-o',
      join(mkdtempSync(join(tmpdir(), 'skep-save-')), 'x.tar'),
      'busybox:two',
      'only-three:1',
    );
    t.regex(
      res.stderr,
      /Unable to find a healthy engine containing all images: \[busybox:two only-three:1\]/,
    );
  });

  test.serial(
    'read your own writes: an image just built is found at once; all=1 lists intermediate images as the engine does',
    async (t) => {
      const dir = mkdtempSync(join(tmpdir(), 'skep-build-'));
      writeFileSync(
        join(dir, 'Dockerfile'),
        'FROM busybox\nRUN echo one > /one\nRUN echo two > /two\n',
      );
      const built = await e2e.skep.docker(['build', '-t', 'fresh:1', dir], {
        env: { DOCKER_BUILDKIT: '0' },
      });
      t.is(built.code, 0, built.stderr);
      // right after the stream, over the API as an SDK does
      const inspect = await api('/images/fresh:1/json');
      t.is(inspect.status, 200);
      const node = (
        (await (await api('/images/json')).json()) as {
          RepoTags?: string[];
          Node?: { Name: string };
        }[]
      ).find((i) => i.RepoTags?.includes('fresh:1'))!.Node!.Name;
      const withAll = ((await (await api('/images/json?all=1')).json()) as { Id: string }[]).map(
        (i) => i.Id,
      );
      const onNode = (
        (await (await fetch(`http://${engine(node).addr}/images/json?all=1`)).json()) as {
          Id: string;
        }[]
      ).map((i) => i.Id);
      t.true(
        onNode.length >
          ((await (await fetch(`http://${engine(node).addr}/images/json`)).json()) as unknown[])
            .length,
        'the build left intermediate images',
      );
      for (const id of onNode) t.true(withAll.includes(id), `${id} listed with all=1`);
    },
  );

  test.serial(
    "an engine's error on a streamed route keeps its status, headers and framing",
    async (t) => {
      const request =
        'POST /v1.41/build?t=x HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-tar\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello';
      const viaSkep = (await rawExchange(e2e.skep.port, request)).toString();
      t.regex(viaSkep, /^HTTP\/1\.1 500 /);
      t.regex(viaSkep, /\r\nContent-Length: \d+\r\n/i);
      t.notRegex(viaSkep, /Transfer-Encoding: chunked/i);
      t.regex(viaSkep, /\r\n\r\n\{"message":"[^"]+"\}\n$/);
    },
  );

  test.serial(
    'docker network inspect lists the containers attached, through run --net, connect, disconnect and removal',
    async (t) => {
      t.is((await docker('network', 'create', 'node2/backend')).code, 0);
      const containers = async () =>
        Object.values(
          JSON.parse(
            (await docker('network', 'inspect', '-f', '{{json .Containers}}', 'backend')).stdout,
          ) as Record<string, { Name: string }>,
        )
          .map((c) => c.Name)
          .sort();
      t.is(
        (
          await docker(
            'run',
            '-d',
            '--name',
            'member',
            '--net',
            'backend',
            'busybox',
            'sleep',
            '300',
          )
        ).code,
        0,
      );
      t.deepEqual(await containers(), ['member']);
      t.is(
        (
          await docker(
            'run',
            '-d',
            '--name',
            'joiner',
            '-e',
            'constraint:node==node2',
            'busybox',
            'sleep',
            '300',
          )
        ).code,
        0,
      );
      t.is((await docker('network', 'connect', 'backend', 'joiner')).code, 0);
      t.deepEqual(await containers(), ['joiner', 'member']);
      t.is((await docker('network', 'disconnect', 'backend', 'joiner')).code, 0);
      t.deepEqual(await containers(), ['member']);
      t.is((await docker('rm', '-f', 'member', 'joiner')).code, 0);
      t.deepEqual(await containers(), []);
    },
  );

  test.serial(
    'docker network ls: type and node filters applied, a bad type refused as the engine refuses it; CheckDuplicate false',
    async (t) => {
      const names = async (...filter: string[]) =>
        (await docker('network', 'ls', ...filter, '--format', '{{.Name}}')).stdout
          .trim()
          .split('\n')
          .filter(Boolean)
          .sort();
      t.deepEqual(await names('--filter', 'type=custom'), ['node2/backend']);
      t.deepEqual(await names('--filter', 'type=builtin', '--filter', 'node=node1'), [
        'node1/bridge',
        'node1/host',
        'node1/none',
      ]);
      t.regex(
        (await docker('network', 'ls', '--filter', 'type=bogus')).stderr,
        /Invalid filter: 'type'='bogus'/,
        "classic's words",
      );
      t.regex(
        (await docker('network', 'inspect', 'no-such-net')).stderr,
        /No such network: no-such-net/,
      );
      t.regex(
        (await docker('volume', 'inspect', 'no-such-vol')).stderr,
        /No such volume: no-such-vol/,
      );
      t.regex(
        (await docker('images', '--filter', 'before=no-such-image:1')).stderr,
        /Invalid filter: 'type'='before': no such image found: 'no-such-image:1'/,
      );
      t.is(
        (
          await api(
            '/networks/create',
            json({
              Name: 'twice',
              CheckDuplicate: false,
              Labels: { 'com.docker.swarm.constraints': '["node==node1"]' },
            }),
          )
        ).status,
        201,
      );
      t.is(
        (
          await api(
            '/networks/create',
            json({
              Name: 'twice',
              CheckDuplicate: false,
              Labels: { 'com.docker.swarm.constraints': '["node==node1"]' },
            }),
          )
        ).status,
        201,
      );
      t.is((await api('/networks/create', json({ Name: 'twice' }))).status, 409);
      t.is(
        (await onEngine('node1', 'network', 'ls', '-q', '--filter', 'name=^twice$')).split('\n')
          .length,
        2,
        'the engine made the duplicate',
      );
      for (const id of (
        await onEngine('node1', 'network', 'ls', '-q', '--filter', 'name=^twice$')
      ).split('\n'))
        await e2e.cluster.docker(engine('node1'), ['network', 'rm', id]);
    },
  );

  test.serial(
    'docker volume create: on every node by default, node/name on one, the whitelist label picks nodes; ls --filter node=',
    async (t) => {
      const nodesWith = async (name: string) => {
        const found = [];
        for (const e of e2e.cluster.engines)
          if ((await e2e.cluster.docker(e, ['volume', 'inspect', name])).code === 0)
            found.push(e.name);
        return found;
      };
      t.is((await docker('volume', 'create', 'shared')).stdout, 'shared\n');
      t.deepEqual(await nodesWith('shared'), ['node1', 'node2', 'node3']);
      t.is((await docker('volume', 'create', 'node3/solo')).code, 0);
      t.deepEqual(await nodesWith('solo'), ['node3']);
      t.is(
        (
          await docker(
            'volume',
            'create',
            '--label',
            'com.docker.swarm.whitelists=["node==node1|node2"]',
            'picked',
          )
        ).code,
        0,
      );
      t.deepEqual(await nodesWith('picked'), ['node1', 'node2']);
      t.deepEqual(
        (await docker('volume', 'ls', '--filter', 'node=node3', '--format', '{{.Name}}')).stdout
          .trim()
          .split('\n')
          .sort(),
        ['node3/shared', 'node3/solo'],
      );
      const anonymous = (await (await api('/volumes/create', json({}))).json()) as { Name: string };
      t.deepEqual(
        await nodesWith(anonymous.Name),
        ['node1', 'node2', 'node3'],
        'one name made for all',
      );
    },
  );

  test.serial('docker ps --filter is-task follows the com.docker.swarm.task label', async (t) => {
    const task = (
      await docker('run', '-d', '--label', 'com.docker.swarm.task=', 'busybox', 'sleep', '300')
    ).stdout.trim();
    const plain = (await docker('run', '-d', 'busybox', 'sleep', '300')).stdout.trim();
    const ids = async (v: string) =>
      (await docker('ps', '-q', '--no-trunc', '--filter', `is-task=${v}`)).stdout
        .trim()
        .split('\n');
    t.true((await ids('true')).includes(task));
    t.false((await ids('true')).includes(plain));
    t.true((await ids('false')).includes(plain));
    t.false((await ids('false')).includes(task));
    t.regex(
      (await docker('ps', '--filter', 'is-task=maybe')).stderr,
      /Invalid filter 'is-task=\[maybe\]'/,
    );
    await docker('rm', '-f', task, plain);
  });

  test.serial(
    'docker rm --link removes a link; docker update --cpu-shares reads back as asked; docker builder prune on every node',
    async (t) => {
      t.is((await docker('run', '-d', '--name', 'target', 'busybox', 'sleep', '300')).code, 0);
      t.is(
        (
          await docker(
            'run',
            '-d',
            '--name',
            'linker',
            '--link',
            'target:alias',
            'busybox',
            'sleep',
            '300',
          )
        ).code,
        0,
      );
      const removed = await docker('rm', '--link', 'linker/alias');
      t.is(removed.code, 0, removed.stderr);
      t.is(
        (await docker('inspect', '-f', '{{json .HostConfig.Links}}', 'linker')).stdout.trim(),
        'null',
      );
      t.is((await docker('update', '--cpu-shares', '1', 'linker')).code, 0);
      t.is((await docker('inspect', '-f', '{{.HostConfig.CpuShares}}', 'linker')).stdout, '1\n');
      const pruned = await api('/build/prune', { method: 'POST' });
      t.is(pruned.status, 200);
      const body = (await pruned.json()) as { CachesDeleted: unknown[]; SpaceReclaimed: number };
      t.true(
        Array.isArray(body.CachesDeleted) && typeof body.SpaceReclaimed === 'number',
        JSON.stringify(body),
      );
      await docker('rm', '-f', 'linker', 'target');
    },
  );
});
