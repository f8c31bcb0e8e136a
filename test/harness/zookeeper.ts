import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { sleep, waitFor } from './exec.js';
import { freePort } from './skep.js';

/** Debian's `zookeeperd` (3.8): its start script runs the server in the foreground. */
const ZK_SERVER = '/usr/share/zookeeper/bin/zkServer.sh';

/** ZooKeeper's `srvr` four-letter word: its answer names the mode once the server serves. */
function srvr(port: number): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const socket = connect({ host: '127.0.0.1', port }, () => socket.end('srvr'));
    socket.setTimeout(2000, () => socket.destroy());
    socket.on('data', (d: Buffer) => (text += d.toString()));
    socket.on('close', () => resolve(text));
    socket.on('error', () => resolve(''));
  });
}

/** Processes whose command line names `marker` (a server an earlier run left behind). */
function processesNaming(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(marker)) pids.push(Number(entry));
    } catch {
      /* exited meanwhile */
    }
  }
  return pids;
}

/**
 * A real ZooKeeper on loopback, standalone, its data in `dir` (kept across a restart, as a real
 * server's disk is). A short tick lets sessions be as short as a test's TTL (2 ticks at least).
 * Its config file is in `dir`, so a cluster's cleanup that names the folder stops it too.
 */
export class TestZookeeper {
  private child?: ChildProcess;

  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  get endpoint(): string {
    return `127.0.0.1:${this.port}`;
  }

  private get config(): string {
    return join(this.dir, 'zoo.cfg');
  }

  get running(): boolean {
    return (
      this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null
    );
  }

  /** Starts a server in `dir` (on `port`, else a free one) and waits until it serves. */
  static async start(dir: string, port?: number): Promise<TestZookeeper> {
    const zk = new TestZookeeper(dir, port ?? (await freePort()));
    await zk.restart();
    return zk;
  }

  /** Starts it again on its data (after `kill`), and waits until it serves. */
  async restart(timeoutMs = 60_000): Promise<void> {
    for (const pid of processesNaming(this.config)) process.kill(pid, 'SIGKILL');
    mkdirSync(join(this.dir, 'data'), { recursive: true });
    writeFileSync(
      this.config,
      [
        `dataDir=${join(this.dir, 'data')}`,
        `clientPort=${this.port}`,
        'clientPortAddress=127.0.0.1',
        'admin.enableServer=false',
        'tickTime=500',
        'maxClientCnxns=0',
        '4lw.commands.whitelist=srvr,ruok,cons,dump',
        '',
      ].join('\n'),
    );
    const log = openSync(join(this.dir, 'zookeeper.log'), 'a');
    this.child = spawn(ZK_SERVER, ['start-foreground', this.config], {
      env: { ...process.env, JMXDISABLE: 'true' },
      detached: true,
      stdio: ['ignore', log, log],
    });
    this.child.unref();
    await waitFor(
      `ZooKeeper at ${this.endpoint}`,
      async () => {
        if (!this.running) throw new Error(`it exited; see ${join(this.dir, 'zookeeper.log')}`);
        return /^Mode: /m.test(await srvr(this.port)) ? true : undefined;
      },
      timeoutMs,
    );
  }

  /** Its data gone (once killed): it restarts as a new server that knows no session. */
  wipe(): void {
    if (this.running) throw new Error('wipe a stopped ZooKeeper');
    rmSync(join(this.dir, 'data'), { recursive: true, force: true });
  }

  /** kill -9: gone at once, its sessions' connections dropped, as when its machine dies. */
  async kill(): Promise<void> {
    if (!this.running) return;
    const exited = new Promise((resolve) => this.child!.once('exit', resolve));
    this.child!.kill('SIGKILL');
    await Promise.race([exited, sleep(5000)]);
  }
}
