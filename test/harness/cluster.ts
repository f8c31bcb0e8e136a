import { spawn } from 'node:child_process';
import http from 'node:http';
import {
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { isPrivateDir } from '../../config/private-dir.js';
import { BUSYBOX, DOCKER_CLI, MODERN } from './support.js';
import { must, run, sleep, waitFor } from './exec.js';

/**
 * Real Docker engines for tests: each a dockerd in its own network namespace, with its own address,
 * hostname and /etc/docker (so its own engine ID), on a bridge on the host. Names and addresses come from
 * one prefix and subnet, so a cluster cleans up whatever an earlier run with the same prefix left behind.
 */
export interface TestEngine {
  name: string;
  netns: string;
  ip: string;
  /** `ip:2375`, what the manager is given. */
  addr: string;
  dir: string;
  socket: string;
  kind: EngineKind;
}

export interface ClusterOptions {
  /** Names netns, links and the state folder; at most 6 characters (link names are limited to 15). */
  prefix: string;
  /** Third octet of 10.213.X.0/24. */
  subnet: number;
  size: number;
  /** Engine labels per node, e.g. [['zone=z0'], ['zone=z1']]. */
  labels?: string[][];
  /** More dockerd flags per node, e.g. [[], [], ['--authorization-plugin', 'x']]. */
  daemonArgs?: string[][];
  /** Registries every engine may reach over plain HTTP (`--insecure-registry`), e.g. a test registry. */
  insecureRegistries?: string[];
  /** Engines require TLS on port 2376 (`--tlsverify`): clients need a certificate signed by `ca`. */
  tls?: { ca: string; cert: string; key: string };
  /** Which dockerd each node runs: Debian's 20.10 (the default) or today's 28.5 (see support.ts, MODERN). */
  engines?: EngineKind[];
  /** Environment for each node's dockerd, e.g. [{ DOCKER_MIN_API_VERSION: '1.44' }]. */
  daemonEnv?: Record<string, string>[];
}

export type EngineKind = '20.10' | '28.5';

const ENGINE_PORT = 2375;
const TLS_ENGINE_PORT = 2376;
const STATE_ROOT = '/tmp/skep-harness';
/** The busybox root filesystem every test engine imports (made when the first cluster starts). */
export const BUSYBOX_TAR = join(STATE_ROOT, 'busybox.tar');

/**
 * The state folder sits in /tmp, where any local user could have made it first (with links to plant files as
 * root): it is used only when it is a real folder of this user that no one else can write.
 */
function checkStateRoot(): void {
  if (!isPrivateDir(STATE_ROOT))
    throw new Error(
      `refusing to use ${STATE_ROOT}: not a folder of this user that only it can write (remove it)`,
    );
}

export class TestCluster {
  private constructor(
    readonly options: ClusterOptions,
    readonly engines: TestEngine[],
  ) {}

  /** The prefix's state folder: processes that name it in their command line are stopped by cleanup. */
  get stateDir(): string {
    return join(STATE_ROOT, this.options.prefix);
  }

  /** The host's address on the cluster's bridge, reachable from every engine. */
  get hostIp(): string {
    return `10.213.${this.options.subnet}.1`;
  }

  get bridge(): string {
    return `${this.options.prefix}-br`;
  }

  /** One engine by its node name (`node1`, ...). */
  engine(name: string): TestEngine {
    const found = this.engines.find((e) => e.name === name);
    if (!found) throw new Error(`no engine ${name} in this cluster`);
    return found;
  }

  /** `ip:port,ip:port,...` for `swarm manage`. */
  get discovery(): string {
    return this.engines.map((e) => e.addr).join(',');
  }

  static async start(options: ClusterOptions): Promise<TestCluster> {
    checkStateRoot();
    await cleanup(options.prefix);
    const bridge = `${options.prefix}-br`;
    await must('ip', ['link', 'add', bridge, 'type', 'bridge']);
    await must('ip', ['addr', 'add', `10.213.${options.subnet}.1/24`, 'dev', bridge]);
    await must('ip', ['link', 'set', bridge, 'up']);
    const engines: TestEngine[] = [];
    for (let i = 1; i <= options.size; i++)
      engines.push(
        await startEngine(
          options,
          i,
          options.labels?.[i - 1] ?? [],
          options.daemonArgs?.[i - 1] ?? [],
        ),
      );
    await Promise.all(engines.map((e) => pingable(e)));
    const rootfs = await busyboxTar();
    await Promise.all(engines.map((e) => importBusybox(e, rootfs)));
    return new TestCluster(options, engines);
  }

  /** Runs the docker CLI against one engine directly (for checks behind the manager's back). */
  /** Every container of that name on the engines themselves, behind any manager's back. */
  async containersNamed(name: string): Promise<string[]> {
    const filter = ['ps', '-a', '--filter', `name=^/${name}$`, '--format', '{{.Names}}'];
    const lists = await Promise.all(this.engines.map((e) => this.docker(e, filter)));
    return lists.flatMap((l) => l.stdout.trim().split('\n').filter(Boolean));
  }

  docker(engine: TestEngine, args: string[]) {
    return run(DOCKER_CLI, ['-H', `unix://${engine.socket}`, ...args], { timeoutMs: 60_000 });
  }

  /** SIGKILLs an engine's dockerd, as a crash would. Its containers' processes stay behind, as they would. */
  async kill(engine: TestEngine): Promise<void> {
    const pid = Number(readFileSync(join(engine.dir, 'exec', 'docker.pid'), 'utf8').trim());
    process.kill(pid, 'SIGKILL');
    await waitFor(`dockerd ${pid} to die`, async () =>
      existsSync(`/proc/${pid}`) ? undefined : true,
    );
  }

  /** Stops (SIGSTOP) or resumes (SIGCONT) an engine's dockerd: it still accepts connections but answers nothing. */
  signal(engine: TestEngine, signal: 'SIGSTOP' | 'SIGCONT'): void {
    process.kill(
      Number(readFileSync(join(engine.dir, 'exec', 'docker.pid'), 'utf8').trim()),
      signal,
    );
  }

  /** Cuts (down) or restores (up) the network link of an engine's namespace, as a pulled cable would. */
  async link(engine: TestEngine, state: 'up' | 'down'): Promise<void> {
    await must('ip', ['-n', engine.netns, 'link', 'set', 'eth0', state]);
  }

  /**
   * Starts a killed engine again with the same state, address and ID. The killed dockerd's containerd outlives it
   * and can keep the new one from starting, so it goes first, as after a machine crash (container shims stay).
   */
  async restart(engine: TestEngine): Promise<void> {
    // Under load the new containerd sometimes misses dockerd's start deadline; then the whole start is tried again.
    for (let attempt = 1; ; attempt++) {
      await killDaemons(engine);
      spawnDockerd(engine);
      try {
        await pingable(engine, 30_000);
        return;
      } catch (err) {
        if (attempt === 3) throw err;
      }
    }
  }

  async stop(): Promise<void> {
    await cleanup(this.options.prefix);
  }
}

async function startEngine(
  options: ClusterOptions,
  index: number,
  labels: string[],
  daemonArgs: string[],
): Promise<TestEngine> {
  const { prefix, subnet } = options;
  const name = `node${index}`;
  const netns = `${prefix}-n${index}`;
  const ip = `10.213.${subnet}.${10 + index}`;
  const dir = join(STATE_ROOT, prefix, name);
  for (const sub of ['etc', 'data', 'exec']) mkdirSync(join(dir, sub), { recursive: true });
  mkdirSync('/etc/docker', { recursive: true }); // the bind-mount target
  const port = options.tls ? TLS_ENGINE_PORT : ENGINE_PORT;
  const tls = options.tls
    ? [
        '--tlsverify',
        '--tlscacert',
        options.tls.ca,
        '--tlscert',
        options.tls.cert,
        '--tlskey',
        options.tls.key,
      ]
    : ['--tls=false'];
  const args = [
    ...tls,
    '-H',
    `tcp://${ip}:${port}`,
    ...labels.flatMap((l) => ['--label', l]),
    ...(options.insecureRegistries ?? []).flatMap((r) => ['--insecure-registry', r]),
    ...daemonArgs,
  ];
  const kind = options.engines?.[index - 1] ?? '20.10';
  const launch: Launch = { args, kind, env: options.daemonEnv?.[index - 1] ?? {} };
  writeFileSync(join(dir, 'dockerd-args.json'), JSON.stringify(launch));

  await must('ip', ['netns', 'add', netns]);
  await must('ip', [
    'link',
    'add',
    `${netns}h`,
    'type',
    'veth',
    'peer',
    'name',
    'eth0',
    'netns',
    netns,
  ]);
  await must('ip', ['link', 'set', `${netns}h`, 'master', `${prefix}-br`, 'up']);
  await must('ip', ['-n', netns, 'addr', 'add', `${ip}/24`, 'dev', 'eth0']);
  await must('ip', ['-n', netns, 'link', 'set', 'eth0', 'up']);
  await must('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
  const engine = {
    name,
    netns,
    ip,
    addr: `${ip}:${port}`,
    dir,
    socket: join(dir, 'exec', 'docker.sock'),
    kind,
  };
  spawnDockerd(engine);
  return engine;
}

/** How a node's dockerd is started, kept beside its state so a restart starts the same one. */
interface Launch {
  args: string[];
  kind: EngineKind;
  env: Record<string, string>;
}

/** Starts (or restarts) an engine's dockerd inside its namespace. */
function spawnDockerd(engine: TestEngine): void {
  const launch = JSON.parse(readFileSync(join(engine.dir, 'dockerd-args.json'), 'utf8')) as Launch;
  const modern = launch.kind === '28.5';
  const dockerd = [
    modern ? MODERN.dockerd : 'dockerd',
    '-H',
    `unix://${engine.socket}`,
    '--data-root',
    join(engine.dir, 'data'),
    '--exec-root',
    join(engine.dir, 'exec'),
    '--pidfile',
    join(engine.dir, 'exec', 'docker.pid'),
    ...launch.args,
  ]
    .map((a) => `'${a}'`)
    .join(' ');
  // nsenter (not `ip netns exec`, which remounts /sys and hides cgroups); a private mount and UTS namespace
  // give the engine its own hostname and /etc/docker, so its own engine ID.
  const script = `hostname ${engine.name} && mount --bind '${join(engine.dir, 'etc')}' /etc/docker && exec ${dockerd}`;
  const log = openSync(join(engine.dir, 'dockerd.log'), 'a');
  // dockerd 28.5 finds its own containerd first on its PATH
  const path = modern ? `${MODERN.path}:${process.env.PATH ?? ''}` : process.env.PATH;
  const child = spawn(
    'nsenter',
    [`--net=/var/run/netns/${engine.netns}`, 'unshare', '--uts', '--mount', 'sh', '-c', script],
    {
      detached: true,
      stdio: ['ignore', log, log],
      env: { ...process.env, PATH: path, ...launch.env },
    },
  );
  child.unref();
}

/** Kills an engine's dockerd and containerd (not the shims, which hold the containers) and waits until they are gone. */
async function killDaemons(engine: TestEngine): Promise<void> {
  const markers = [
    join(engine.dir, 'exec', 'containerd', 'containerd.toml'),
    `--pidfile ${join(engine.dir, 'exec', 'docker.pid')}`,
  ];
  const daemons = () => markers.flatMap((m) => processesNaming(m));
  for (const pid of daemons()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  await waitFor(
    `the old daemons of ${engine.name} to go`,
    async () => (daemons().length === 0 ? true : undefined),
    10_000,
  );
}

/** Answers `_ping` on its unix socket (so TLS engines too): the engine is up. */
const pingable = (engine: TestEngine, timeoutMs = 60_000) =>
  waitFor(
    `engine ${engine.name} at ${engine.addr}`,
    () =>
      new Promise<true | undefined>((resolve) => {
        const req = http.get(
          { socketPath: engine.socket, path: '/_ping', timeout: 2000 },
          (res) => {
            res.resume();
            resolve(res.statusCode === 200 ? true : undefined);
          },
        );
        req.on('error', () => resolve(undefined));
        req.on('timeout', () => req.destroy());
      }),
    timeoutMs,
  );

/** A busybox root filesystem as a tar, built once from the machine's static busybox. */
async function busyboxTar(): Promise<string> {
  const tar = BUSYBOX_TAR;
  if (existsSync(tar)) return tar;
  const root = join(STATE_ROOT, 'busybox');
  rmSync(root, { recursive: true, force: true });
  for (const sub of ['bin', 'etc', 'tmp', 'root']) mkdirSync(join(root, sub), { recursive: true });
  writeFileSync(join(root, 'bin', 'busybox'), readFileSync(BUSYBOX), { mode: 0o755 });
  const applets = (await must(BUSYBOX, ['--list'])).split('\n').filter((a) => a && a !== 'busybox');
  for (const applet of applets) symlinkSync('busybox', join(root, 'bin', applet));
  writeFileSync(join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  writeFileSync(join(root, 'etc', 'group'), 'root:x:0:\n');
  await must('tar', ['-C', root, '-cf', `${tar}.tmp`, '.']);
  await must('mv', [`${tar}.tmp`, tar]);
  return tar;
}

async function importBusybox(engine: TestEngine, tar: string): Promise<void> {
  await must(
    DOCKER_CLI,
    ['-H', `unix://${engine.socket}`, 'import', '--change', 'CMD ["sh"]', tar, 'busybox:latest'],
    { timeoutMs: 60_000 },
  );
}

/** Processes whose command line names the prefix's state folder: dockerd, its containerd, shims. */
function harnessProcesses(prefix: string): number[] {
  return processesNaming(join(STATE_ROOT, prefix) + '/');
}

/** Processes whose command line contains `marker`. */
function processesNaming(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmdline.includes(marker) && Number(entry) !== process.pid) pids.push(Number(entry));
    } catch {
      /* exited meanwhile */
    }
  }
  return pids;
}

/** Stops engines of a prefix (politely, then by force) and removes their namespaces, links and state. */
export async function cleanup(prefix: string): Promise<void> {
  const pidFiles = existsSync(join(STATE_ROOT, prefix))
    ? readdirSync(join(STATE_ROOT, prefix))
        .map((n) => join(STATE_ROOT, prefix, n, 'exec', 'docker.pid'))
        .filter(existsSync)
    : [];
  for (const file of pidFiles) {
    try {
      process.kill(Number(readFileSync(file, 'utf8').trim()), 'SIGTERM');
    } catch {
      /* already gone */
    }
  }
  for (let i = 0; i < 50 && harnessProcesses(prefix).length > 0; i++) await sleep(200);
  for (const pid of harnessProcesses(prefix)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  for (let i = 0; i < 25 && harnessProcesses(prefix).length > 0; i++) await sleep(200);
  const namespaces = (await run('ip', ['netns', 'list'])).stdout
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter((n) => n.startsWith(`${prefix}-n`));
  for (const ns of namespaces) await run('ip', ['netns', 'delete', ns]);
  const links = (await run('ip', ['-o', 'link', 'show'])).stdout
    .split('\n')
    .map((l) => l.split(': ')[1]?.split('@')[0] ?? '');
  for (const link of links.filter((l) => l.startsWith(`${prefix}-`)))
    await run('ip', ['link', 'delete', link]);
  rmSync(join(STATE_ROOT, prefix), { recursive: true, force: true });
}
