import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import test from 'ava';
import { TestCa } from '../harness/certs.js';
import { sleep, waitFor } from '../harness/exec.js';
import { FakeDocker } from '../harness/fake-docker.js';
import { freePort, SWARM_BIN } from '../harness/skep.js';
import { PYTHON } from '../harness/support.js';

/**
 * The manager as systemd runs it, without systemd: Debian's systemd-socket-activate makes the
 * listening sockets and starts the real `swarm manage` on the first connection with them
 * (LISTEN_FDS...), and a unix datagram socket bound by python (Node has none) stands in for
 * systemd's NOTIFY_SOCKET, reading what the manager tells systemd.
 */
const ACTIVATE = '/usr/bin/systemd-socket-activate';
const missing = [ACTIVATE, PYTHON, '/usr/bin/systemd-notify'].filter((f) => !existsSync(f));
const needsSystemdTools = missing.length === 0 || process.env.CI ? test : test.skip;
if (missing.length > 0)
  console.log(`systemd tests: ${missing.join(', ')} missing (Debian's systemd)`);

/** One datagram as received: its fields, and python's CLOCK_MONOTONIC then (µs). */
interface Notice {
  fields: Record<string, string>;
  monoUsec: number;
}

const RECEIVER = `
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
a = sys.argv[1]
s.bind('\\0' + a[1:] if a.startswith('@') else a)
print(json.dumps({'bound': True}), flush=True)
while True:
    text = s.recv(65536).decode()
    # systemd-notify's own wait for the message to be read, not the manager's message
    if text == 'BARRIER=1':
        continue
    print(json.dumps({'mono': time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000, 'text': text}), flush=True)
`;

/** A NOTIFY_SOCKET stand-in (a path, or `@name` in the abstract namespace) and what it received. */
class NotifyReceiver {
  readonly notices: Notice[] = [];
  private read = 0;
  private wake?: () => void;

  private constructor(
    readonly address: string,
    private readonly child: ChildProcess,
  ) {}

  static async start(address: string): Promise<NotifyReceiver> {
    const child = spawn(PYTHON, ['-c', RECEIVER, address], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const receiver = new NotifyReceiver(address, child);
    const lines = createInterface({ input: child.stdout! });
    await new Promise<void>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`the notify receiver exited ${code}`)));
      lines.on('line', (line) => {
        const got = JSON.parse(line) as { bound?: true; mono: number; text: string };
        if (got.bound) return resolve();
        const fields = Object.fromEntries(
          got.text
            .split('\n')
            .map((field) => [field.split('=')[0]!, field.slice(field.indexOf('=') + 1)]),
        );
        receiver.notices.push({ fields, monoUsec: got.mono });
        receiver.wake?.();
      });
    });
    return receiver;
  }

  /** The next notice not read yet, waited for up to `ms`. */
  async next(ms = 15_000): Promise<Notice> {
    const deadline = Date.now() + ms;
    while (this.read >= this.notices.length) {
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`no notice within ${ms} ms (had: ${JSON.stringify(this.notices)})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return this.notices[this.read++]!;
  }

  /** The next notice that is not a watchdog ping. */
  async nextNews(ms = 15_000): Promise<Notice> {
    for (;;) {
      const notice = await this.next(ms);
      if (notice.fields.WATCHDOG === undefined) return notice;
    }
  }

  /** What arrived so far counts as read. */
  skipAll(): void {
    this.read = this.notices.length;
  }

  stop(): void {
    this.child.kill();
  }
}

/** `swarm manage` started by systemd-socket-activate on `listen`, with `env` passed on (-E). */
function activate(options: {
  listen: string[];
  fdnames?: string;
  env?: Record<string, string>;
  args: string[];
  cwd: string;
}) {
  const env = options.env ?? {};
  const child = spawn(
    ACTIVATE,
    [
      ...options.listen.flatMap((l) => ['-l', l]),
      ...(options.fdnames ? [`--fdname=${options.fdnames}`] : []),
      ...Object.keys(env).flatMap((name) => ['-E', name]),
      process.execPath,
      SWARM_BIN,
      'manage',
      ...options.args,
    ],
    { cwd: options.cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return { child, exited, output: () => output };
}

/** GET `path` over TCP or a unix socket, with TLS options when given; the status and body. */
function get(
  where: { port: number } | { socketPath: string },
  path: string,
  tls?: https.RequestOptions,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const target = 'port' in where ? { host: '127.0.0.1', port: where.port } : where;
    const req = (tls ? https : http).get(
      { ...target, ...tls, path, agent: false, timeout: 10_000 },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}

/**
 * A loopback proxy to an engine that holds its container lists until `open`: the manager's first
 * inventory read of the node cannot end before then.
 */
async function inventoryGate(target: string) {
  const [host, port] = target.split(':');
  const held: (() => void)[] = [];
  let opened = false;
  const server = http.createServer((req, res) => {
    const forward = () => {
      const upstream = http.request(
        { host, port: Number(port), method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    };
    if (!opened && req.url?.includes('/containers/json')) held.push(forward);
    else forward();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: gatePort } = server.address() as { port: number };
  return {
    addr: `127.0.0.1:${gatePort}`,
    open: () => {
      opened = true;
      for (const forward of held.splice(0)) forward();
    },
    stop: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

needsSystemdTools(
  '-H fd://NAME serves the socket systemd passed; READY=1 only once it serves and the node is read, watchdog pings, RELOADING=1 and READY=1 on SIGHUP, STOPPING=1 on SIGTERM',
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'skep-systemd-'));
    const engine = await FakeDocker.start({ name: 'sd-node' });
    const gate = await inventoryGate(engine.addr);
    const receiver = await NotifyReceiver.start(join(dir, 'notify.sock'));
    const port = await freePort();
    const manager = activate({
      listen: [`127.0.0.1:${port}`],
      fdnames: 'api',
      env: { NOTIFY_SOCKET: receiver.address, WATCHDOG_USEC: '400000' },
      args: ['-H', 'fd://api', gate.addr],
      cwd: dir,
    });
    try {
      // the first connection is what makes systemd-socket-activate start the manager
      const ping = await waitFor('the activated manager', async () => {
        const answer = await get({ port }, '/_ping');
        return answer.status === 200 ? answer : undefined;
      });
      t.is(ping.body, 'OK');
      const version = JSON.parse((await get({ port }, '/version')).body) as { Version: string };
      t.regex(version.Version, /^swarm\/1\.2\.9\+skep/);
      t.regex(manager.output(), /listening on fd:\/\/api \(fd 3\), 127\.0\.0\.1:\d+/);
      // serving, but the node's containers are not read yet: systemd is not told ready
      await sleep(1500);
      t.deepEqual(receiver.notices, [], 'nothing before the first inventory is read');

      gate.open();
      const ready = await receiver.next();
      t.deepEqual(ready.fields, { READY: '1', STATUS: 'Serving 1 node' });

      // WATCHDOG_USEC=400000: a ping every 200 ms
      const pingsFrom = receiver.notices.length;
      await sleep(1500);
      const pings = receiver.notices.slice(pingsFrom);
      t.true(pings.length >= 4 && pings.length <= 9, `${pings.length} pings in 1.5 s`);
      t.true(
        pings.every((n) => JSON.stringify(n.fields) === '{"WATCHDOG":"1"}'),
        JSON.stringify(pings),
      );

      receiver.skipAll();
      manager.child.kill('SIGHUP');
      const reloading = await receiver.nextNews();
      t.is(reloading.fields.RELOADING, '1');
      t.is(reloading.fields.STATUS, 'Reloading the configuration');
      // systemd (≥ 253) compares it with its own CLOCK_MONOTONIC
      const told = Number(reloading.fields.MONOTONIC_USEC);
      t.true(Math.abs(reloading.monoUsec - told) < 5_000_000, `${told} vs ${reloading.monoUsec}`);
      const reloaded = await receiver.nextNews();
      t.deepEqual(reloaded.fields, {
        READY: '1',
        STATUS: 'Serving 1 node; configuration reloaded',
      });

      manager.child.kill('SIGTERM');
      const stopping = await receiver.nextNews();
      t.deepEqual(stopping.fields, { STOPPING: '1', STATUS: 'Stopping (SIGTERM)' });
      t.is(await manager.exited, 0, manager.output());
    } finally {
      manager.child.kill('SIGKILL');
      receiver.stop();
      gate.stop();
      await engine.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

needsSystemdTools(
  '-H fd:// serves every passed socket, a TCP and a unix one, with --tlsverify; an abstract NOTIFY_SOCKET; no pings for another WATCHDOG_PID',
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'skep-systemd-'));
    const ca = await TestCa.create(join(dir, 'ca'));
    const server = await ca.issue('manager', { ips: ['127.0.0.1'], dns: ['localhost'] });
    const client = await ca.issue('client');
    const receiver = await NotifyReceiver.start(`@skep-test-notify-${process.pid}`);
    const port = await freePort();
    const socketPath = join(dir, 'skep.sock');
    const tlsArgs = [
      '--tlsverify',
      '--tlscacert',
      ca.ca,
      '--tlscert',
      server.cert,
      '--tlskey',
      server.key,
    ];
    const manager = activate({
      listen: [`127.0.0.1:${port}`, socketPath],
      fdnames: 'tcp:local',
      env: { NOTIFY_SOCKET: receiver.address, WATCHDOG_USEC: '200000', WATCHDOG_PID: '1' },
      // a node that is down does not hold readiness
      args: ['-H', 'fd://', ...tlsArgs, '127.0.0.1:1'],
      cwd: dir,
    });
    const tls = {
      ca: readFileSync(ca.ca),
      cert: readFileSync(client.cert),
      key: readFileSync(client.key),
      servername: 'localhost',
    };
    try {
      const viaTcp = await waitFor('the activated manager', async () => {
        const answer = await get({ port }, '/_ping', tls);
        return answer.status === 200 ? answer : undefined;
      });
      t.is(viaTcp.body, 'OK');
      const viaUnix = await get({ socketPath }, '/_ping', tls);
      t.deepEqual(viaUnix, { status: 200, body: 'OK' });
      // without a client certificate, refused in the handshake as on a tcp:// listener
      await t.throwsAsync(get({ port }, '/_ping', { ca: tls.ca, servername: 'localhost' }));
      const ready = await receiver.next();
      t.deepEqual(ready.fields, { READY: '1', STATUS: 'Serving 1 node, 0 healthy' });
      await sleep(800);
      t.is(receiver.notices.length, 1, 'WATCHDOG_PID names another process: no pings');
      t.regex(manager.output(), /listening on fd:\/\/tcp \(fd 3\), 127\.0\.0\.1:\d+/);
      t.regex(manager.output(), /listening on fd:\/\/local \(fd 4\), a unix socket/);
      manager.child.kill('SIGTERM');
      t.deepEqual((await receiver.nextNews()).fields, {
        STOPPING: '1',
        STATUS: 'Stopping (SIGTERM)',
      });
      t.is(await manager.exited, 0, manager.output());
    } finally {
      manager.child.kill('SIGKILL');
      receiver.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

needsSystemdTools(
  'a socket name systemd did not pass, or no socket activation at all, stops the start with one line',
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'skep-systemd-'));
    const port = await freePort();
    const manager = activate({
      listen: [`127.0.0.1:${port}`],
      fdnames: 'api',
      args: ['-H', 'fd://missing', '127.0.0.1:1'],
      cwd: dir,
    });
    try {
      // the connection that starts it (once systemd-socket-activate listens) is closed unanswered
      await waitFor('systemd-socket-activate', () =>
        get({ port }, '/_ping').then(
          () => true,
          (err: NodeJS.ErrnoException) => (err.code === 'ECONNREFUSED' ? undefined : true),
        ),
      );
      t.is(await manager.exited, 1);
      const complaint = manager
        .output()
        .split('\n')
        .filter((l) => l.startsWith('swarm:'));
      t.deepEqual(complaint, [
        'swarm: no socket named "missing" found via socket activation (systemd passed api (fd 3)): check FileDescriptorName= in the .socket unit',
      ]);

      const alone = spawn(process.execPath, [SWARM_BIN, 'manage', '-H', 'fd://', '127.0.0.1:1'], {
        cwd: dir,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      alone.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      t.is(await new Promise((resolve) => alone.once('exit', resolve)), 1);
      t.is(
        stderr,
        'swarm: no sockets found via socket activation: make sure the service was started by systemd\n',
      );
    } finally {
      manager.child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
