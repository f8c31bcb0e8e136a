import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withRealEngines } from '../harness/e2e.js';
import { run, waitFor } from '../harness/exec.js';
import { DOCKER_CLI, DOCKER_CLI_DEBIAN } from '../harness/support.js';
import { useCluster } from '../harness/use-cluster.js';

withRealEngines((test) => {
  const e2e = useCluster(test, 'docker-cli', {
    size: 3,
    labels: [['zone=z0'], ['zone=z1'], ['zone=z0']],
    manager: true,
  });
  const docker = (...args: string[]) => e2e.skep.docker(args);
  /** Which engine really holds a container, asked of the engines directly. */
  const nodeOf = async (ref: string) => {
    for (const engine of e2e.cluster.engines) {
      if ((await e2e.cluster.docker(engine, ['inspect', '-f', '{{.Id}}', ref])).code === 0)
        return engine.name;
    }
    return undefined;
  };
  /** The docker CLI under a real terminal (script gives it a pty), fed `input`. */
  const underTerminal = (command: string, input: string, cli = DOCKER_CLI) =>
    run('script', ['-qfec', `${cli} ${command}`, '/dev/null'], {
      input,
      env: { ...process.env, DOCKER_HOST: e2e.skep.dockerHost },
      timeoutMs: 60_000,
    });

  test.serial(
    'docker version negotiates down to what the engines speak and names the server swarm',
    async (t) => {
      const res = await docker('version');
      t.is(res.code, 0, res.stderr);
      t.regex(res.stdout, /API version:\s+1\.41 \(downgraded from 1\.\d+\)/);
      t.regex(res.stdout, /Version:\s+swarm\/1\.2\.9\+skep\./);
    },
  );

  test.serial(
    'docker info shows the cluster: Nodes: 3, then a classic block per node',
    async (t) => {
      const res = await docker('info');
      t.is(res.code, 0, res.stderr);
      t.regex(res.stdout, /^ Server Version: swarm\//m);
      t.regex(res.stdout, /^ Role: primary$/m);
      t.regex(res.stdout, /^ Strategy: spread$/m);
      t.regex(res.stdout, /^ Nodes: 3$/m);
      for (const [i, engine] of e2e.cluster.engines.entries()) {
        const block = res.stdout
          .split(`  ${engine.name}: ${engine.addr}\n`)[1]
          ?.split(/\n {2}\S/)[0];
        t.truthy(block, `no block for ${engine.name}`);
        t.regex(block!, /^ {3}└ ID: [A-Z0-9:]{59}\|10\.213\.6\.\d+:2375$/m);
        t.regex(block!, /^ {3}└ Status: Healthy$/m);
        t.regex(block!, /^ {3}└ Containers: \d+ \(\d+ Running, \d+ Paused, \d+ Stopped\)$/m);
        t.regex(block!, /^ {3}└ Reserved CPUs: 0 \/ \d+$/m);
        t.regex(block!, /^ {3}└ Reserved Memory: 0 B \/ [\d.]+ GiB$/m);
        t.regex(
          block!,
          new RegExp(`^ {3}└ Labels: .*storagedriver=overlay2, zone=z${i % 2}$`, 'm'),
        );
        t.regex(block!, /^ {3}└ ServerVersion: 20\.10\./m);
      }
      const ids = [...res.stdout.matchAll(/└ ID: (\S+)\|/g)].map((m) => m[1]);
      t.is(new Set(ids).size, 3, 'each engine has its own ID');
    },
  );

  test.serial('docker run -d spreads containers over the nodes', async (t) => {
    const ids: string[] = [];
    for (const name of ['s1', 's2', 's3']) {
      const res = await docker('run', '-d', '--name', name, 'busybox', 'sleep', '300');
      t.is(res.code, 0, res.stderr);
      t.regex(res.stdout.trim(), /^[0-9a-f]{64}$/);
      ids.push(res.stdout.trim());
    }
    const nodes = await Promise.all(ids.map(nodeOf));
    t.deepEqual([...nodes].sort(), ['node1', 'node2', 'node3']);
  });

  test.serial('docker run --rm prints the attached output and removes the container', async (t) => {
    const res = await docker('run', '--rm', '--name', 'hello', 'busybox', 'echo', 'hi');
    t.is(res.code, 0, res.stderr);
    t.is(res.stdout, 'hi\n');
    await waitFor(
      'the --rm container to go',
      async () =>
        (await docker('ps', '-a', '-q', '--filter', 'name=hello')).stdout.trim() === ''
          ? true
          : undefined,
      10_000,
    );
    t.pass();
  });

  test.serial('docker run -i pipes stdin through and ends when stdin ends', async (t) => {
    const res = await e2e.skep.docker(['run', '-i', '--rm', 'busybox', 'cat'], {
      input: 'line one\nline two\n',
    });
    t.is(res.code, 0, res.stderr);
    t.is(res.stdout, 'line one\nline two\n');
  });

  test.serial('docker run exits with the container exit code', async (t) => {
    const res = await docker(
      'run',
      '--rm',
      'busybox',
      'sh',
      '-c',
      'echo out; echo err >&2; exit 3',
    );
    t.is(res.code, 3);
    t.is(res.stdout, 'out\n');
    t.is(res.stderr, 'err\n');
  });

  test.serial('docker run -it works under a real terminal', async (t) => {
    const res = await underTerminal(
      "run -it --rm busybox sh -c 'tty; read line; echo got:$line; exit 4'",
      'typed\n',
    );
    t.is(res.code, 4, res.stdout);
    t.regex(res.stdout, /\/dev\/pts\/\d+/);
    t.regex(res.stdout, /got:typed/);
  });

  test.serial('docker exec and docker exec -it reach the container on its node', async (t) => {
    const plain = await docker('exec', 's2', 'sh', '-c', 'echo from-$(hostname)');
    t.is(plain.code, 0, plain.stderr);
    t.regex(plain.stdout, /^from-[0-9a-f]{12}\n$/);
    const piped = await e2e.skep.docker(['exec', '-i', 's2', 'cat'], { input: 'exec stdin\n' });
    t.is(piped.stdout, 'exec stdin\n');
    const tty = await underTerminal(
      "exec -it s3 sh -c 'tty; read x; echo exec:$x; exit 5'",
      'hello\n',
    );
    t.is(tty.code, 5, tty.stdout);
    t.regex(tty.stdout, /\/dev\/pts\/\d+/);
    t.regex(tty.stdout, /exec:hello/);
  });

  test.serial('docker ps, ps -a and ps -q --filter list the whole cluster', async (t) => {
    const created = await docker(
      'create',
      '--name',
      'idle',
      '--label',
      'role=idle',
      'busybox',
      'true',
    );
    t.is(created.code, 0, created.stderr);
    const ps = await docker('ps', '--format', '{{.Names}} {{.Status}}');
    const running = ps.stdout.trim().split('\n').sort();
    // each name says its node, as classic swarm listed them
    t.deepEqual(
      running.map((l) => l.split(' ')[0]!.replace(/^node\d\//, '')),
      ['s1', 's2', 's3'],
    );
    for (const line of running)
      t.is(line.split('/')[0], (await nodeOf(line.split(' ')[0]!.split('/')[1]!)) ?? 'nowhere');
    for (const line of running)
      t.regex(line, / Up (Less than a second|\d+ seconds?|About a minute|\d+ minutes)$/);
    const all = await docker('ps', '-a', '--format', '{{.Names}}\t{{.Status}}');
    t.regex(all.stdout, /^node\d\/idle\tCreated$/m);
    const quiet = await docker('ps', '-a', '-q', '--filter', 'label=role=idle');
    t.regex(quiet.stdout, /^[0-9a-f]{12}\n$/);
    const bothLabels = await docker(
      'ps',
      '-a',
      '-q',
      '--filter',
      'label=role=idle',
      '--filter',
      'label=role=busy',
    );
    t.is(bothLabels.stdout, '', 'label filters must all hold, as in Docker');
    const byStatus = await docker('ps', '-q', '--filter', 'status=created');
    t.is(byStatus.stdout, quiet.stdout);
    const byName = await docker('ps', '-q', '--filter', 'name=s[12]');
    t.is(byName.stdout.trim().split('\n').length, 2);
    const bad = await docker('ps', '--filter', 'colour=red');
    t.not(bad.code, 0);
    t.regex(bad.stderr, /Invalid filter 'colour'/);
  });

  test.serial(
    'docker inspect finds a container by full ID, ID prefix, name and node/name',
    async (t) => {
      const id = (await docker('inspect', '-f', '{{.Id}}', 's1')).stdout.trim();
      t.regex(id, /^[0-9a-f]{64}$/);
      const node = await nodeOf('s1');
      for (const ref of [id, id.slice(0, 7), 's1', `${node}/s1`]) {
        const res = await docker('inspect', '-f', '{{.Name}} {{.State.Status}}', ref);
        t.is(res.stdout, '/s1 running\n', ref);
      }
      const missing = await docker('inspect', 'no-such-thing');
      t.is(missing.code, 1);
      t.regex(missing.stderr, /No such object: no-such-thing/);
    },
  );

  test.serial('docker logs and docker logs -f', async (t) => {
    t.is(
      (
        await docker(
          'run',
          '-d',
          '--name',
          'talker',
          'busybox',
          'sh',
          '-c',
          'echo first; sleep 2; echo second; sleep 300',
        )
      ).code,
      0,
    );
    await waitFor(
      'the first line',
      async () => ((await docker('logs', 'talker')).stdout === 'first\n' ? true : undefined),
      10_000,
    );
    const follow = await e2e.skep.docker(['logs', '-f', 'talker'], { timeoutMs: 6000 });
    t.is(follow.stdout, 'first\nsecond\n', 'follow streamed the line written later');
  });

  test.serial(
    'docker stop/start/restart/kill/pause/unpause/rename/wait/rm -f, each seen at once by ps',
    async (t) => {
      const state = async (name: string) =>
        (await docker('inspect', '-f', '{{.State.Status}}', name)).stdout.trim();
      const listed = async (name: string) =>
        (
          await docker('ps', '-a', '--filter', `name=^${name}$`, '--format', '{{.Status}}')
        ).stdout.trim();
      t.is((await docker('run', '-d', '--name', 'life', 'busybox', 'sleep', '300')).code, 0);
      t.is((await docker('stop', '-t', '1', 'life')).stdout.trim(), 'life');
      t.is(await state('life'), 'exited');
      t.regex(await listed('life'), /^Exited \(137\)/);
      t.is((await docker('start', 'life')).code, 0);
      t.regex(await listed('life'), /^Up /);
      t.is((await docker('restart', '-t', '1', 'life')).code, 0);
      t.is(await state('life'), 'running');
      t.is((await docker('pause', 'life')).code, 0);
      t.regex(await listed('life'), /\(Paused\)$/);
      t.is((await docker('unpause', 'life')).code, 0);
      t.is(await state('life'), 'running');
      t.is((await docker('rename', 'life', 'life2')).code, 0);
      t.is(await listed('life'), '');
      t.regex(await listed('life2'), /^Up /);
      const clash = await docker('rename', 'life2', 's1');
      t.not(clash.code, 0);
      t.regex(clash.stderr, /The container name "\/s1" is already in use/);
      t.is((await docker('kill', 'life2')).code, 0);
      t.is(await state('life2'), 'exited');
      t.is(
        (await docker('run', '-d', '--name', 'waiter', 'busybox', 'sh', '-c', 'sleep 1; exit 7'))
          .code,
        0,
      );
      const waited = await docker('wait', 'waiter');
      t.is(waited.stdout.trim(), '7');
      t.is((await docker('rm', '-f', 'life2', 'waiter')).code, 0);
      t.is(await listed('life2'), '');
      const again = await docker('rm', '-f', 'life2');
      t.regex(again.stderr, /No such container: life2/);
    },
  );

  test.serial('docker top, port, diff', async (t) => {
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
          'sh',
          '-c',
          'echo x > /tmp/changed; exec httpd -f -p 80',
        )
      ).code,
      0,
    );
    const top = await docker('top', 'web');
    t.regex(top.stdout, /httpd -f -p 80/);
    const port = await docker('port', 'web', '80');
    t.regex(port.stdout, /:8080$/m);
    const diff = await docker('diff', 'web');
    t.regex(diff.stdout, /^A \/tmp\/changed$/m);
  });

  test.serial('docker cp both ways, and docker export', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'skep-cp-'));
    writeFileSync(join(dir, 'in.txt'), 'copied in\n');
    t.is((await docker('cp', join(dir, 'in.txt'), 's3:/tmp/in.txt')).code, 0);
    t.is((await docker('exec', 's3', 'cat', '/tmp/in.txt')).stdout, 'copied in\n');
    t.is((await docker('cp', 's3:/tmp/in.txt', join(dir, 'out.txt'))).code, 0);
    t.is(readFileSync(join(dir, 'out.txt'), 'utf8'), 'copied in\n');
    const exported = await run(
      'sh',
      ['-c', `${DOCKER_CLI} export s3 | tar -t | grep -c '^bin/busybox$'`],
      { env: { ...process.env, DOCKER_HOST: e2e.skep.dockerHost } },
    );
    t.is(exported.stdout.trim(), '1');
  });

  test.serial(
    "docker commit happens on the container's node, and the image is listed at once",
    async (t) => {
      t.is((await docker('exec', 's1', 'sh', '-c', 'echo kept > /kept')).code, 0);
      const committed = await docker('commit', 's1', 'snap:1');
      t.is(committed.code, 0, committed.stderr);
      t.regex(committed.stdout, /^sha256:[0-9a-f]{64}\n$/);
      const listed = await docker(
        'images',
        '--format',
        '{{.Repository}}:{{.Tag}}',
        '--filter',
        'reference=snap',
      );
      t.is(listed.stdout, 'snap:1\n');
      const holder = await nodeOf('s1');
      const onHolder = await e2e.cluster.docker(e2e.cluster.engine(holder!), [
        'image',
        'inspect',
        '-f',
        '{{.Id}}',
        'snap:1',
      ]);
      t.is(`${onHolder.stdout.trim()}\n`, committed.stdout);
    },
  );

  test.serial("docker network connect and disconnect act on the container's node", async (t) => {
    t.is(
      (await docker('run', '-d', '--name', 'loner', '--network', 'none', 'busybox', 'sleep', '300'))
        .code,
      0,
    );
    const networks = async () =>
      (
        await docker(
          'inspect',
          '-f',
          '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}',
          'loner',
        )
      ).stdout.trim();
    t.is(await networks(), 'none');
    t.is((await docker('network', 'disconnect', 'none', 'loner')).code, 0);
    const connected = await docker('network', 'connect', 'bridge', 'loner');
    t.is(connected.code, 0, connected.stderr);
    t.is(await networks(), 'bridge');
    t.regex((await docker('exec', 'loner', 'ip', 'addr')).stdout, /inet 172\.17\./);
    t.is((await docker('network', 'disconnect', 'bridge', 'loner')).code, 0);
    t.is(await networks(), '');
    const missing = await docker('network', 'connect', 'bridge', 'no-such-container');
    t.regex(missing.stderr, /No such container: no-such-container/);
  });

  test.serial('docker events replays what happened, filtered, across the nodes', async (t) => {
    const res = await docker(
      'events',
      '--since',
      '10m',
      '--until',
      '0s',
      '--filter',
      'event=start',
      '--filter',
      'type=container',
      '--format',
      '{{.Actor.Attributes.name}}',
    );
    t.is(res.code, 0, res.stderr);
    const names = res.stdout.trim().split('\n');
    t.true(
      ['s1', 's2', 's3', 'talker'].every((n) => names.includes(n)),
      res.stdout,
    );
    t.false(names.includes('idle'), 'created, never started');
    const one = await docker(
      'events',
      '--since',
      '10m',
      '--until',
      '0s',
      '--filter',
      'container=s2',
      '--filter',
      'event=create',
      '--format',
      '{{.Action}} {{.Actor.Attributes.name}}',
    );
    t.is(one.stdout, 'create s2\n');
  });

  test.serial("Debian's docker 20.10 CLI works too", async (t) => {
    const old = (args: string[], input?: string) =>
      e2e.skep.docker(args, { cli: DOCKER_CLI_DEBIAN, input });
    t.is((await old(['run', '--rm', 'busybox', 'echo', 'old-cli'])).stdout, 'old-cli\n');
    t.is((await old(['run', '-i', '--rm', 'busybox', 'cat'], 'old stdin\n')).stdout, 'old stdin\n');
    t.is((await old(['exec', 's1', 'echo', 'old-exec'])).stdout, 'old-exec\n');
    t.regex((await old(['ps', '--format', '{{.Names}}'])).stdout, /^node\d\/s1$/m);
    t.is((await old(['logs', 'talker'])).stdout, 'first\nsecond\n');
    const tty = await underTerminal(
      "run -it --rm busybox sh -c 'read x; echo old-tty:$x'",
      'y\n',
      DOCKER_CLI_DEBIAN,
    );
    t.regex(tty.stdout, /old-tty:y/);
  });
});
