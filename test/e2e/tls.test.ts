import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, readFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import tls from 'node:tls';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestCa, type CertFiles } from '../harness/certs.js';
import { withRealEngines } from '../harness/e2e.js';
import { run, waitFor } from '../harness/exec.js';
import { freePort, REPO_ROOT, SkepProcess, SWARM_BIN } from '../harness/skep.js';
import { DOCKER_CLI } from '../harness/support.js';
import { engineIp } from '../harness/clusters.js';
import { useCluster } from '../harness/use-cluster.js';

/** Mutual TLS on both sides: clients to Skep, Skep to engines that require TLS, with the classic flags. */
withRealEngines((test) => {
  let ca: TestCa;
  let manager: CertFiles;
  let client: CertFiles;
  const e2e = useCluster(test, 'tls', async (net) => {
    ca = await TestCa.create(mkdtempSync(join(tmpdir(), 'skep-ca-')));
    const engine = await ca.issue('engine', { ips: [engineIp(net, 1), engineIp(net, 2)] });
    manager = await ca.issue('manager', { ips: ['127.0.0.1'] });
    client = await ca.issue('client');
    return {
      size: 2,
      tls: { ca: ca.ca, ...engine },
      // one set of files for both sides, as classic swarm took them
      manager: {
        args: (cluster) => [
          '--tlsverify',
          '--tlscacert',
          ca.ca,
          '--tlscert',
          manager.cert,
          '--tlskey',
          manager.key,
          cluster.discovery,
        ],
        clientTls: { ca: ca.ca, ...client },
      },
    };
  });

  test.serial(
    'docker --tlsverify with the right certificates works for every kind of command, hijacked ones included',
    async (t) => {
      t.regex((await e2e.skep.docker(['info'])).stdout, /Nodes: 2/);
      const ran = await e2e.skep.docker(['run', '--rm', 'busybox', 'echo', 'over tls']);
      t.is(ran.stdout, 'over tls\n', ran.stderr);
      t.is(
        (
          await e2e.skep.docker(['run', '-i', '--rm', 'busybox', 'cat'], {
            input: 'piped over tls\n',
          })
        ).stdout,
        'piped over tls\n',
      );
      const tlsFlags = `--tlsverify --tlscacert ${ca.ca} --tlscert ${client.cert} --tlskey ${client.key}`;
      const terminal = (command: string, input: string) =>
        run('script', ['-qfec', `${DOCKER_CLI} ${tlsFlags} ${command}`, '/dev/null'], {
          input,
          env: { ...process.env, DOCKER_HOST: e2e.skep.dockerHost },
          timeoutMs: 60_000,
        });
      const tty = await terminal("run -it --rm busybox sh -c 'read x; echo tty:$x'", 'typed\n');
      t.regex(tty.stdout, /tty:typed/);
      t.is(
        (
          await e2e.skep.docker([
            'run',
            '-d',
            '--name',
            'held',
            'busybox',
            'sh',
            '-c',
            'sleep 2; echo attached-output; sleep 300',
          ])
        ).code,
        0,
      );
      const execTty = await terminal("exec -it held sh -c 'read y; echo exec:$y'", 'hi\n');
      t.regex(execTty.stdout, /exec:hi/);
      const attach = spawn(DOCKER_CLI, [...tlsFlags.split(' '), 'attach', 'held'], {
        env: { ...process.env, DOCKER_HOST: e2e.skep.dockerHost },
      });
      let attached = '';
      attach.stdout.on('data', (d: Buffer) => (attached += d.toString()));
      await waitFor(
        'attach to print the output',
        async () => (attached.includes('attached-output') ? true : undefined),
        15_000,
      );
      attach.kill();
      t.is((await e2e.skep.docker(['rm', '-f', 'held'])).code, 0);
    },
  );

  test.serial(
    'a client without a certificate signed by the CA is refused in the handshake',
    async (t) => {
      const attempt = (options: https.RequestOptions) =>
        new Promise<string>((resolve) => {
          https
            .get(
              {
                host: '127.0.0.1',
                port: e2e.skep.port,
                path: '/_ping',
                ca: readFileSync(ca.ca),
                ...options,
              },
              () => resolve('answered'),
            )
            .on('error', (err) => resolve(err.message));
        });
      t.regex(await attempt({}), /certificate required|handshake|socket hang up|ECONNRESET|alert/i);
      const stranger = await TestCa.create(
        mkdtempSync(join(tmpdir(), 'skep-other-ca-')),
        'stranger-ca',
      );
      const foreign = await stranger.issue('foreign');
      t.regex(
        await attempt({ cert: readFileSync(foreign.cert), key: readFileSync(foreign.key) }),
        /unknown ca|certificate|handshake|alert|ECONNRESET|socket hang up/i,
      );
      const cli = await run(DOCKER_CLI, ['--tls', '--tlscacert', ca.ca, 'version'], {
        env: { ...process.env, DOCKER_HOST: e2e.skep.dockerHost },
        timeoutMs: 20_000,
      });
      t.not(cli.code, 0);
      t.notRegex(cli.stdout, /Server:/);
    },
  );

  test.serial(
    'swarm node over TLS: --tlsverify (or $DOCKER_TLS_VERIFY) with the certificates of $DOCKER_CERT_PATH, as the docker CLI finds them',
    async (t) => {
      const certs = mkdtempSync(join(tmpdir(), 'skep-docker-certs-'));
      copyFileSync(ca.ca, join(certs, 'ca.pem'));
      copyFileSync(client.cert, join(certs, 'cert.pem'));
      copyFileSync(client.key, join(certs, 'key.pem'));
      const env = { ...process.env, DOCKER_HOST: e2e.skep.dockerHost, DOCKER_CERT_PATH: certs };
      const ls = await run(process.execPath, [SWARM_BIN, 'node', 'ls', '--tlsverify'], { env });
      t.is(ls.code, 0, ls.stderr);
      t.regex(
        ls.stdout,
        new RegExp(
          `${e2e.cluster.engines[0]!.name} +${e2e.cluster.engines[0]!.addr.replace(/\./g, '\\.')} +Healthy +Active`,
        ),
      );
      const viaEnv = await run(
        process.execPath,
        [SWARM_BIN, 'node', 'inspect', e2e.cluster.engines[0]!.name],
        { env: { ...env, DOCKER_TLS_VERIFY: '1' } },
      );
      t.like(JSON.parse(viaEnv.stdout), {
        Name: e2e.cluster.engines[0]!.name,
        Availability: 'active',
      });
      const plain = await run(process.execPath, [SWARM_BIN, 'node', 'ls'], { env });
      t.is(plain.code, 1, 'without TLS the manager does not answer');
    },
  );

  test.serial(
    'SIGHUP: certificate files replaced on disk are used by new connections; the old ones keep theirs',
    async (t) => {
      const served = () =>
        new Promise<string>((resolve, reject) => {
          const socket = tls.connect(
            {
              host: '127.0.0.1',
              port: e2e.skep.port,
              ca: readFileSync(ca.ca),
              cert: readFileSync(client.cert),
              key: readFileSync(client.key),
            },
            () => {
              resolve(socket.getPeerX509Certificate()!.fingerprint256);
              socket.end();
            },
          );
          socket.on('error', reject);
        });
      const before = await served();
      t.is(before, new X509Certificate(readFileSync(manager.cert)).fingerprint256);
      const renewed = await ca.issue('manager-renewed', { ips: ['127.0.0.1'] });
      copyFileSync(renewed.cert, manager.cert);
      copyFileSync(renewed.key, manager.key);
      e2e.skep.child.kill('SIGHUP');
      await waitFor(
        'the reload',
        async () =>
          e2e.skep.logs.join('').includes('SIGHUP: configuration reloaded') ? true : undefined,
        10_000,
      );
      const after = await served();
      t.not(after, before);
      t.is(after, new X509Certificate(readFileSync(renewed.cert)).fingerprint256);
      // the same files serve towards the engines: new connections to them present the renewed
      // certificate, which they accept
      t.is(
        (await e2e.skep.docker(['run', '--rm', 'busybox', 'echo', 'renewed'])).stdout,
        'renewed\n',
      );
    },
  );

  test.serial(
    "engine TLS of its own, per node in swarm.config.ts; one node's certificate problem shows in docker info",
    async (t) => {
      const dir = mkdtempSync(join(tmpdir(), 'skep-tls-config-'));
      const [node1, node2] = [e2e.cluster.engines[0]!, e2e.cluster.engines[1]!];
      writeFileSync(
        join(dir, 'swarm.config.json'),
        JSON.stringify({
          engineTls: {
            ca: ca.ca,
            cert: manager.cert,
            key: manager.key,
            nodes: { [node2.addr]: { serverName: 'not-this-engine.example' } },
          },
        }),
      );
      // clients in plain HTTP on loopback; engines over TLS with the config's files
      const plain = await SkepProcess.start(
        ['--config', join(dir, 'swarm.config.json'), e2e.cluster.discovery],
        { nodes: 1 },
      );
      try {
        const info = (await plain.docker(['info'])).stdout;
        t.regex(info, new RegExp(`${node1.addr}\\n.*\\n {3}└ Status: Healthy`));
        t.regex(info, new RegExp(`${node2.addr}\\n.*\\n {3}└ Status: Pending`));
        t.regex(info, /└ Error: .*(not-this-engine\.example|Hostname\/IP does not match|altnames)/);
      } finally {
        await plain.stop();
      }
    },
  );

  test.serial(
    'listening on a non-loopback address without TLS prints a warning at start',
    async (t) => {
      const port = await freePort();
      const child = spawn(
        process.execPath,
        [SWARM_BIN, 'manage', '-H', `${e2e.cluster.hostIp}:${port}`, e2e.cluster.discovery],
        { cwd: REPO_ROOT },
      );
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.stdout.on('data', (d: Buffer) => (stderr += d.toString()));
      try {
        await waitFor(
          'the warning',
          async () =>
            /without TLS: anyone who reaches it controls every node/.test(stderr)
              ? true
              : undefined,
          10_000,
        );
        t.pass();
      } finally {
        child.kill();
      }
      const loopback = spawn(
        process.execPath,
        [SWARM_BIN, 'manage', '-H', `127.0.0.1:${await freePort()}`, e2e.cluster.discovery],
        { cwd: REPO_ROOT },
      );
      let quiet = '';
      loopback.stderr.on('data', (d: Buffer) => (quiet += d.toString()));
      loopback.stdout.on('data', (d: Buffer) => (quiet += d.toString()));
      await waitFor(
        'it to listen',
        async () => (/listening on/.test(quiet) ? true : undefined),
        10_000,
      );
      loopback.kill();
      t.notRegex(quiet, /without TLS/);
    },
  );
});
