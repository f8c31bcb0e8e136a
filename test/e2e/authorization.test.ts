import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestCa, type CertFiles } from '../harness/certs.js';
import { withRealEngines } from '../harness/e2e.js';
import { waitFor } from '../harness/exec.js';
import { REPO_ROOT } from '../harness/skep.js';
import { useCluster } from '../harness/use-cluster.js';

/** The plugin is found by name, where dockerd finds plugins: a socket in /run/docker/plugins. */
const NAME = 'skep-e2e-authz';
const SOCKET = `/run/docker/plugins/${NAME}.sock`;
const PLUGIN_BIN = fileURLToPath(new URL('../harness/authz-plugin.js', import.meta.url));

/** Docker's authorization plugins through Skep: a real plugin process, the docker CLI over mutual TLS, real engines. */
withRealEngines((test) => {
  let plugin: ChildProcess;
  let alice: CertFiles;

  const startPlugin = async () => {
    plugin = spawn(process.execPath, [PLUGIN_BIN, SOCKET], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve) => plugin.stdout!.once('data', () => resolve()));
  };

  const e2e = useCluster(test, 'authorization', async () => {
    mkdirSync('/run/docker/plugins', { recursive: true });
    rmSync(`${SOCKET}.log`, { force: true });
    await startPlugin();
    const ca = await TestCa.create(mkdtempSync(join(tmpdir(), 'skep-authz-ca-')));
    const manager = await ca.issue('manager', { ips: ['127.0.0.1'] });
    alice = await ca.issue('alice');
    // clients over mutual TLS; these engines speak plain TCP on their test network
    const config = join(mkdtempSync(join(tmpdir(), 'skep-authz-config-')), 'swarm.config.json');
    writeFileSync(config, JSON.stringify({ engineTls: false }));
    return {
      size: 3,
      // node3 is not behind Skep: a dockerd asking the same plugin, to hold Skep's words to dockerd's
      daemonArgs: [[], [], ['--authorization-plugin', NAME]],
      manager: {
        args: (cluster) => [
          '--config',
          config,
          '--tlsverify',
          '--tlscacert',
          ca.ca,
          '--tlscert',
          manager.cert,
          '--tlskey',
          manager.key,
          '--authorization-plugin',
          NAME,
          `${cluster.engine('node1').addr},${cluster.engine('node2').addr}`,
        ],
        nodes: 2,
        clientTls: { ca: ca.ca, ...alice },
      },
    };
  });
  e2e.teardown(() => {
    plugin?.kill('SIGKILL');
    rmSync(SOCKET, { force: true });
    rmSync(`${SOCKET}.log`, { force: true });
  });

  const logged = () =>
    readFileSync(`${SOCKET}.log`, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { phase: string; request: Record<string, any> });

  test.serial(
    'an allowed docker run: the plugin is asked as dockerd asks it, the user is the certificate common name',
    async (t) => {
      const ran = await e2e.skep.docker(['run', '--rm', 'busybox', 'echo', 'allowed']);
      t.is(ran.stdout, 'allowed\n', ran.stderr);
      const create = logged().find(
        (c) => c.phase === 'AuthZReq' && /\/containers\/create/.test(c.request.RequestUri),
      );
      t.truthy(create);
      t.is(create!.request.User, 'alice');
      t.is(create!.request.UserAuthNMethod, 'TLS');
      t.is(
        JSON.parse(Buffer.from(create!.request.RequestBody, 'base64').toString()).Image,
        'busybox',
      );
      t.deepEqual(
        create!.request.RequestPeerCertificates.map((c: string) =>
          Buffer.from(c, 'base64').toString().trim(),
        ),
        [readFileSync(alice.cert, 'utf8').trim()],
        'the certificate the client presented, in PEM',
      );
      t.true(
        logged().some(
          (c) =>
            c.phase === 'AuthZRes' &&
            /\/containers\/[0-9a-f]+\/start$/.test(c.request.RequestUri) &&
            c.request.ResponseStatusCode === 204,
        ),
        'the response phase sees the start',
      );
    },
  );

  test.serial(
    'a denied docker run and a denied docker exec: the CLI prints the plugin message, nothing is created or run',
    async (t) => {
      const denied = await e2e.skep.docker(['run', '--rm', 'busybox:forbidden', 'true']);
      t.is(denied.code, 125);
      t.regex(
        denied.stderr,
        /Error response from daemon: authorization denied by plugin skep-e2e-authz: alice may not run busybox:forbidden/,
      );
      const byDockerd = await e2e.cluster.docker(e2e.cluster.engine('node3'), [
        'run',
        '--rm',
        'busybox:forbidden',
        'true',
      ]);
      t.is(
        denied.stderr.replace('alice', 'anonymous'),
        byDockerd.stderr,
        'the words dockerd prints (its user over a unix socket is anonymous)',
      );
      t.is(
        (await e2e.skep.docker(['ps', '-aq', '--filter', 'ancestor=busybox:forbidden'])).stdout,
        '',
      );

      t.is(
        (await e2e.skep.docker(['run', '-d', '--name', 'authz-held', 'busybox', 'sleep', '300']))
          .code,
        0,
      );
      const exec = await e2e.skep.docker(['exec', 'authz-held', 'touch', '/tmp/ran']);
      t.not(exec.code, 0);
      t.regex(
        exec.stderr,
        /Error response from daemon: authorization denied by plugin skep-e2e-authz: alice may not exec/,
      );
      t.is((await e2e.skep.docker(['rm', '-f', 'authz-held'])).code, 0);
    },
  );

  test.serial(
    "the plugin down: every command fails closed with dockerd's error, and works again once it is back",
    async (t) => {
      plugin.kill('SIGKILL');
      await new Promise((resolve) => plugin.once('exit', resolve));
      const ps = await e2e.skep.docker(['ps']);
      t.not(ps.code, 0);
      // dockerd retries a plugin it cannot reach for 30 s, then answers with the same error Skep gives at once
      const byDockerd = await e2e.cluster.docker(e2e.cluster.engine('node3'), ['ps']);
      t.is(ps.stderr, byDockerd.stderr, "dockerd's own error");
      t.true(
        ps.stderr.includes(
          `Error response from daemon: plugin ${NAME} failed with error: Post "http://%2Frun%2Fdocker%2Fplugins%2F${NAME}.sock/AuthZPlugin.AuthZReq": dial unix ${SOCKET}: connect: connection refused`,
        ),
        ps.stderr,
      );
      await startPlugin();
      await waitFor(
        'docker ps to work again',
        async () => ((await e2e.skep.docker(['ps'])).code === 0 ? true : undefined),
        15_000,
      );
      t.pass();
    },
  );
});
