import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Etcd3 } from 'etcd3';
import { FORWARDED_CLIENT, signClient } from '../../core/api/forwarded-client.js';
import { type CertFiles, TestCa } from '../harness/certs.js';
import { withRealEngines } from '../harness/e2e.js';
import { TestEtcd } from '../harness/etcd.js';
import { run } from '../harness/exec.js';
import { type ManagerSlot, registerNodes, ReplicatedManagers } from '../harness/replicated.js';
import { REPO_ROOT } from '../harness/skep.js';
import { DOCKER_CLI } from '../harness/support.js';
import { useCluster } from '../harness/use-cluster.js';

const NAME = 'skep-e2e-ha-authz';
const SOCKET = `/run/docker/plugins/${NAME}.sock`;
const PLUGIN_BIN = fileURLToPath(new URL('../harness/authz-plugin.js', import.meta.url));
const PATH = 'ha-authz';

interface Logged {
  phase: string;
  request: {
    User?: string;
    RequestUri: string;
    RequestMethod: string;
    RequestHeaders?: Record<string, string>;
  };
}

/**
 * Authorization plugins under replication, over real processes: 3 managers with --replication on a
 * real etcd, mutual TLS, a real plugin process (test/harness/authz-plugin.ts), real engines, the
 * docker CLI pointed at the primary and at each replica.
 */
withRealEngines((test) => {
  let plugin: ChildProcess;
  let ca: TestCa;
  let alice: CertFiles;
  let admin: CertFiles;
  let etcd: TestEtcd;
  let managers: ReplicatedManagers;

  const e2e = useCluster(test, 'replicated-authorization', async () => {
    mkdirSync('/run/docker/plugins', { recursive: true });
    rmSync(`${SOCKET}.log`, { force: true });
    plugin = spawn(process.execPath, [PLUGIN_BIN, SOCKET], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve) => plugin.stdout!.once('data', () => resolve()));
    return { size: 2 };
  });
  e2e.teardown(() => {
    plugin?.kill('SIGKILL');
    rmSync(SOCKET, { force: true });
    rmSync(`${SOCKET}.log`, { force: true });
  });
  e2e.teardown(() => etcd?.stop());
  e2e.teardown(() => managers?.stop());

  const logged = () =>
    readFileSync(`${SOCKET}.log`, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Logged);

  /** The docker CLI at `slot` as the holder of `cert`, with a docker config of its own. */
  const docker = (
    slot: ManagerSlot,
    cert: CertFiles,
    args: string[],
    options: { input?: string; httpHeaders?: Record<string, string> } = {},
  ) => {
    const config = mkdtempSync(join(tmpdir(), 'skep-ha-authz-config-'));
    writeFileSync(
      join(config, 'config.json'),
      JSON.stringify(options.httpHeaders ? { HttpHeaders: options.httpHeaders } : {}),
    );
    return run(
      DOCKER_CLI,
      ['--tlsverify', '--tlscacert', ca.ca, '--tlscert', cert.cert, '--tlskey', cert.key, ...args],
      {
        input: options.input,
        env: {
          ...process.env,
          DOCKER_HOST: slot.process.dockerHost,
          DOCKER_CONFIG: config,
          DOCKER_CLI_HINTS: 'false',
        },
        timeoutMs: 60_000,
      },
    );
  };
  /** The primary first, then the replicas. */
  const everyManager = async () => {
    const primary = await managers.primary();
    return [primary, ...managers.slots.filter((s) => s !== primary)];
  };

  test.serial.before(async () => {
    ca = await TestCa.create(mkdtempSync(join(tmpdir(), 'skep-ha-authz-ca-')));
    const manager = await ca.issue('manager', { ips: ['127.0.0.1'] });
    alice = await ca.issue('alice');
    admin = await ca.issue('admin');
    const dir = mkdtempSync(join(tmpdir(), 'skep-ha-authz-'));
    // the engines speak plain tcp: the client-side TLS files are not for them
    writeFileSync(join(dir, 'swarm.config.json'), JSON.stringify({ engineTls: false }));
    // what the policy forbids alice and allows admin, present on every engine
    for (const engine of e2e.cluster.engines)
      await e2e.cluster.docker(engine, ['tag', 'busybox', 'busybox:forbidden']);
    etcd = await TestEtcd.start(join(e2e.cluster.stateDir, 'etcd'));
    await registerNodes(
      etcd,
      PATH,
      e2e.cluster.engines.map((e) => e.addr),
    );
    managers = await ReplicatedManagers.start({
      etcd,
      path: PATH,
      count: 3,
      nodes: 2,
      args: [
        '--config',
        join(dir, 'swarm.config.json'),
        '--tlsverify',
        '--tlscacert',
        ca.ca,
        '--tlscert',
        manager.cert,
        '--tlskey',
        manager.key,
        '--authorization-plugin',
        NAME,
      ],
      clientTls: { ca: ca.ca, ...alice },
    });
  });

  test.serial(
    'the same allowed and denied requests give the same answers through the primary and through each replica, judged as the client',
    async (t) => {
      const slots = await everyManager();
      const held = await docker(slots[0]!, alice, [
        'run',
        '-d',
        '--name',
        'ha-authz-held',
        'busybox',
        'sleep',
        '300',
      ]);
      t.is(held.code, 0, held.stderr);
      const commands: { args: string[]; input?: string }[] = [
        { args: ['run', '--rm', 'busybox', 'echo', 'allowed'] },
        { args: ['run', '--rm', 'busybox:forbidden', 'true'] },
        { args: ['exec', 'ha-authz-held', 'true'] },
        { args: ['ps', '--filter', 'name=ha-authz-held', '--format', '{{.Image}} {{.State}}'] },
        // a hijacked session (attach), through the replica's upgrade path
        { args: ['run', '-i', '--rm', 'busybox', 'cat'], input: 'attached\n' },
        // denied in the response phase
        { args: ['version', '--format', '{{.Server.Version}}'] },
      ];
      const answers = [];
      for (const slot of slots) {
        const results = [];
        for (const c of commands) {
          const r = await docker(slot, alice, c.args, { input: c.input });
          results.push({
            command: c.args.join(' '),
            code: r.code,
            stdout: r.stdout,
            stderr: r.stderr,
          });
        }
        answers.push(results);
      }
      const [onPrimary, ...onReplicas] = answers;
      for (const onReplica of onReplicas) t.deepEqual(onReplica, onPrimary);
      // what the answers are, so that "the same" is not the same failure
      t.is(onPrimary![0]!.stdout, 'allowed\n');
      t.regex(
        onPrimary![1]!.stderr,
        /authorization denied by plugin skep-e2e-ha-authz: alice may not run busybox:forbidden/,
      );
      t.regex(
        onPrimary![2]!.stderr,
        /authorization denied by plugin skep-e2e-ha-authz: alice may not exec/,
      );
      t.is(onPrimary![3]!.stdout, 'busybox running\n');
      t.is(onPrimary![4]!.stdout, 'attached\n');
      t.regex(
        onPrimary![5]!.stderr,
        /authorization denied by plugin skep-e2e-ha-authz: the version is secret/,
      );

      // the plugin was asked about forwarded requests too, always as alice: never as a manager
      const calls = logged();
      const forwarded = calls.filter((c) => c.request.RequestHeaders?.['X-Skep-Forwarded-By']);
      const forwardedCreates = forwarded.filter(
        (c) => c.phase === 'AuthZReq' && /\/containers\/create/.test(c.request.RequestUri),
      );
      t.true(forwardedCreates.length >= 2 * 3, `${forwardedCreates.length} forwarded creates`);
      t.true(
        forwarded.some((c) => /\/attach\?/.test(c.request.RequestUri)),
        'an attach forwarded',
      );
      t.deepEqual([...new Set(calls.map((c) => c.request.User))], ['alice']);
      t.false(
        calls.some((c) => c.request.RequestHeaders?.[FORWARDED_CLIENT] !== undefined),
        'the signed header never reaches the plugin',
      );
      t.is((await docker(slots[0]!, alice, ['rm', '-f', 'ha-authz-held'])).code, 0);
    },
  );

  test.serial(
    "another client's certificate is another user through a replica too: admin runs what alice may not",
    async (t) => {
      for (const slot of await everyManager()) {
        const ran = await docker(slot, admin, [
          'run',
          '--rm',
          'busybox:forbidden',
          'echo',
          'admin',
        ]);
        t.is(ran.stdout, 'admin\n', `${slot.advertise}: ${ran.stderr}`);
      }
    },
  );

  test.serial(
    'a client that sends the identity header itself is judged as itself, through the primary and through a replica',
    async (t) => {
      // admin's identity, as a replica would describe it, signed with a key that is not the managers'
      const forged = signClient(
        randomBytes(32),
        {
          address: '127.0.0.1',
          tls: true,
          certificate: {
            subject: { CN: 'admin' },
            commonName: 'admin',
            chain: [
              {
                subject: { CN: 'admin' },
                issuer: { CN: 'skep-test-ca' },
                pem: readFileSync(admin.cert, 'utf8'),
              },
            ],
          },
        },
        'POST',
        '/containers/create',
      );
      const before = logged().length;
      for (const slot of await everyManager()) {
        const denied = await docker(slot, alice, ['run', '--rm', 'busybox:forbidden', 'true'], {
          httpHeaders: { [FORWARDED_CLIENT]: forged },
        });
        t.not(denied.code, 0);
        t.regex(
          denied.stderr,
          /authorization denied by plugin skep-e2e-ha-authz: alice may not run busybox:forbidden/,
          slot.advertise,
        );
      }
      t.deepEqual(
        [
          ...new Set(
            logged()
              .slice(before)
              .map((c) => c.request.User),
          ),
        ],
        ['alice'],
      );
    },
  );

  test.serial(
    "the managers' key is in etcd once, under the discovery path, made by the first manager to start",
    async (t) => {
      const client = new Etcd3({ hosts: `http://${etcd.endpoint}` });
      try {
        const keys = await client
          .getAll()
          .prefix(`${PATH}/docker/swarm/skep/forwarding-key`)
          .strings();
        t.deepEqual(Object.keys(keys), [`${PATH}/docker/swarm/skep/forwarding-key`]);
        t.is(Buffer.from(Object.values(keys)[0]!, 'base64').length, 32);
      } finally {
        client.close();
      }
    },
  );
});
