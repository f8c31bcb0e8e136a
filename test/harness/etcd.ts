import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, openSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { sleep, waitFor } from './exec.js';
import { freePort } from './skep.js';

/** How a test etcd serves its clients. */
export interface EtcdServing {
  /** etcd's v2 API beside v3 (`--enable-v2`), where classic's agents and manager keep their keys. */
  enableV2?: boolean;
  /** TLS with client certificates (`--client-cert-auth`): the CA that signs both sides, etcd's pair. */
  tls?: { ca: string; cert: string; key: string };
}

/** GET /health, over TLS with etcd's own pair as the client's (the test CA signs both). */
function healthyTls(endpoint: string, tls: NonNullable<EtcdServing['tls']>): Promise<boolean> {
  const [host, port] = endpoint.split(':');
  return new Promise((resolve) => {
    const req = request(
      {
        host,
        port,
        path: '/health',
        ca: readFileSync(tls.ca),
        cert: readFileSync(tls.cert),
        key: readFileSync(tls.key),
        timeout: 2000,
      },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve(res.statusCode === 200 && body.includes('"true"')));
      },
    );
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

const healthy = async (endpoint: string, serving: EtcdServing) => {
  if (serving.tls) return healthyTls(endpoint, serving.tls);
  const res = await fetch(`http://${endpoint}/health`, { signal: AbortSignal.timeout(2000) }).catch(
    () => undefined,
  );
  return res?.ok ? ((await res.json()) as { health: string }).health === 'true' : false;
};

/** One member of a test etcd (Debian's etcd-server, v3 API) on loopback. Its folder names it, so its cluster's cleanup stops it. */
export class EtcdMember {
  private child?: ChildProcess;

  constructor(
    readonly name: string,
    readonly dir: string,
    readonly clientPort: number,
    readonly peerPort: number,
    private readonly initialCluster: string,
    private readonly token: string,
    readonly serving: EtcdServing = {},
  ) {}

  get endpoint(): string {
    return `127.0.0.1:${this.clientPort}`;
  }

  get peerUrl(): string {
    return `http://127.0.0.1:${this.peerPort}`;
  }

  get running(): boolean {
    return (
      this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null
    );
  }

  /** Starts (or restarts, on its data) the member; it is not waited for (a member alone has no quorum). */
  start(): void {
    mkdirSync(this.dir, { recursive: true });
    const log = openSync(join(this.dir, 'etcd.log'), 'a');
    const { tls, enableV2 } = this.serving;
    const scheme = tls ? 'https' : 'http';
    // prettier-ignore
    this.child = spawn('etcd', [
      '--name', this.name, '--data-dir', join(this.dir, 'data'),
      '--listen-client-urls', `${scheme}://${this.endpoint}`,
      '--advertise-client-urls', `${scheme}://${this.endpoint}`,
      '--listen-peer-urls', this.peerUrl, '--initial-advertise-peer-urls', this.peerUrl,
      '--initial-cluster', this.initialCluster, '--initial-cluster-token', this.token,
      ...(enableV2 ? ['--enable-v2'] : []),
      ...(tls ? ['--cert-file', tls.cert, '--key-file', tls.key, '--trusted-ca-file', tls.ca,
        '--client-cert-auth'] : []),
    ], { detached: true, stdio: ['ignore', log, log] });
    this.child.unref();
  }

  /** kill -9: the member is gone at once, as when its machine dies. */
  async kill(): Promise<void> {
    if (!this.running) return;
    const exited = new Promise((resolve) => this.child!.once('exit', resolve));
    this.child!.kill('SIGKILL');
    await Promise.race([exited, sleep(5000)]);
  }
}

/** A real etcd on loopback: one member, or several for a quorum (`size` 3: one may fail, two may not). */
export class TestEtcd {
  private constructor(readonly members: EtcdMember[]) {}

  /** The first member's client address (`127.0.0.1:port`). */
  get endpoint(): string {
    return this.members[0]!.endpoint;
  }

  /** Every member's client address, comma-separated, as `etcd://` discovery takes them. */
  get endpoints(): string {
    return this.members.map((m) => m.endpoint).join(',');
  }

  /** Starts etcd in `dir`; `client` picks the first member's client port (a manager may be pointed at it before it runs). */
  static async start(
    dir: string,
    client?: number,
    size = 1,
    serving: EtcdServing = {},
  ): Promise<TestEtcd> {
    const ports: [number, number][] = [];
    for (let i = 0; i < size; i++)
      ports.push([i === 0 && client ? client : await freePort(), await freePort()]);
    const names = ports.map((_, i) => `skep-test-${i + 1}`);
    const initial = ports.map(([, peer], i) => `${names[i]}=http://127.0.0.1:${peer}`).join(',');
    const members = ports.map(
      ([c, p], i) => new EtcdMember(names[i]!, join(dir, names[i]!), c, p, initial, dir, serving),
    );
    for (const m of members) m.start();
    const etcd = new TestEtcd(members);
    await etcd.waitHealthy();
    return etcd;
  }

  /** Until every running member says it is healthy (it has a leader and serves). */
  async waitHealthy(timeoutMs = 30_000): Promise<void> {
    await waitFor(
      `etcd at ${this.endpoints}`,
      async () => {
        const running = this.members.filter((m) => m.running);
        return (await Promise.all(running.map((m) => healthy(m.endpoint, m.serving)))).every(
          Boolean,
        )
          ? true
          : undefined;
      },
      timeoutMs,
    );
  }

  async stop(): Promise<void> {
    for (const m of this.members) await m.kill();
  }
}
