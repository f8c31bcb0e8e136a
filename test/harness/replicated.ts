import type { ExecutionContext } from 'ava';
import { Etcd3 } from 'etcd3';
import { sleep, waitFor } from './exec.js';
import type { TestEtcd } from './etcd.js';
import { type ClientTls, freePort, SkepProcess } from './skep.js';

/** What `docker info` says of a manager's role: classic's `Role:` and `Primary:` lines. */
export interface RoleLines {
  role?: string;
  primary?: string;
}

export function roleLines(info: string): RoleLines {
  return { role: /^ Role: (.+)$/m.exec(info)?.[1], primary: /^ Primary: (.+)$/m.exec(info)?.[1] };
}

/** Puts the engines under `<path>/docker/swarm/nodes/` without a lease, as `swarm join` would have (it stays). */
export async function registerNodes(etcd: TestEtcd, path: string, addrs: string[]): Promise<void> {
  const client = new Etcd3({ hosts: etcd.members.map((m) => `http://${m.endpoint}`) });
  try {
    for (const addr of addrs) await client.put(`${path}/docker/swarm/nodes/${addr}`).value(addr);
  } finally {
    client.close();
  }
}

/** The managers standing for election under `<path>`: each candidate key's value, its advertised address. */
export async function candidates(etcd: TestEtcd, path: string): Promise<string[]> {
  const client = new Etcd3({
    hosts: etcd.members.filter((m) => m.running).map((m) => `http://${m.endpoint}`),
  });
  try {
    return Object.values(await client.getAll().prefix(`${path}/docker/swarm/leader/`).strings());
  } finally {
    client.close();
  }
}

/** One replicated manager: its port stays when it is restarted, so it comes back at the same advertised address. */
export interface ManagerSlot {
  port: number;
  advertise: string;
  process: SkepProcess;
}

/** Several managers started with `--replication` on one etcd, each advertising its loopback address. */
export class ReplicatedManagers {
  private constructor(
    readonly slots: ManagerSlot[],
    private readonly args: string[],
    private readonly nodes: number,
    private readonly clientTls?: ClientTls,
  ) {}

  static async start(options: {
    /** The store: an etcd (`etcd://<its members>/<path>`), or another discovery given whole. */
    etcd?: TestEtcd;
    discovery?: string;
    path: string;
    count: number;
    nodes: number;
    args?: string[];
    clientTls?: ClientTls;
  }): Promise<ReplicatedManagers> {
    const discovery =
      options.discovery ?? `etcd://${options.etcd?.endpoints ?? 'no-store-given'}/${options.path}`;
    const args = [...(options.args ?? []), discovery];
    const ports = await Promise.all(Array.from({ length: options.count }, () => freePort()));
    const set = new ReplicatedManagers([], args, options.nodes, options.clientTls);
    const started = await Promise.allSettled(ports.map((port) => set.spawn(port)));
    const failed = started.find((s) => s.status === 'rejected');
    for (const s of started) if (s.status === 'fulfilled') set.slots.push(s.value);
    if (failed) {
      await set.stop();
      throw (failed as PromiseRejectedResult).reason;
    }
    set.slots.sort((a, b) => a.port - b.port);
    return set;
  }

  private async spawn(port: number, nodes = this.nodes): Promise<ManagerSlot> {
    const advertise = `127.0.0.1:${port}`;
    const process = await SkepProcess.start(
      ['--replication', '--advertise', advertise, ...this.args],
      { nodes, port, clientTls: this.clientTls },
    );
    return { port, advertise, process };
  }

  /** Managers whose process runs (not killed; a frozen one counts). */
  get alive(): ManagerSlot[] {
    return this.slots.filter(
      (s) => s.process.child.exitCode === null && s.process.child.signalCode === null,
    );
  }

  async role(slot: ManagerSlot): Promise<RoleLines> {
    return roleLines((await slot.process.docker(['info'], { timeoutMs: 20_000 })).stdout);
  }

  /**
   * The primary once every manager in `among` agrees: one says `Role: primary`, the others name it. A frozen
   * manager is left out (it answers nothing).
   */
  async primary(among: ManagerSlot[] = this.alive, timeoutMs = 20_000): Promise<ManagerSlot> {
    return waitFor(
      'one primary that every manager names',
      async () => {
        const roles = await Promise.all(among.map((s) => this.role(s)));
        const primaries = among.filter((_, i) => roles[i]!.role === 'primary');
        if (primaries.length !== 1) return undefined;
        const [primary] = primaries as [ManagerSlot];
        return roles.every(
          (r, i) =>
            among[i] === primary || (r.role === 'replica' && r.primary === primary.advertise),
        )
          ? primary
          : undefined;
      },
      timeoutMs,
      100,
    );
  }

  kill(slot: ManagerSlot, signal: 'SIGKILL' | 'SIGSTOP' | 'SIGCONT' = 'SIGKILL'): void {
    slot.process.child.kill(signal);
  }

  /**
   * Starts a killed manager again, at the same address; it is ready once `nodes` nodes are healthy
   * (fewer than the cluster's while an engine is down).
   */
  async restart(slot: ManagerSlot, nodes = this.nodes): Promise<void> {
    if (slot.process.child.exitCode === null && slot.process.child.signalCode === null)
      throw new Error(`${slot.advertise} still runs`);
    slot.process = (await this.spawn(slot.port, nodes)).process;
  }

  async stop(): Promise<void> {
    for (const s of this.slots) s.process.child.kill('SIGCONT');
    await Promise.all(this.slots.map((s) => s.process.stop()));
  }
}

/**
 * The primary frozen (SIGSTOP) past its lease, a create sent to it, then resumed: the create must
 * be placed once, by the new primary, and the frozen one must never act as primary after it
 * resumes (it lost leadership before it placed anything). `copies` counts a name on the engines.
 */
export async function checkFrozenPrimary(
  t: ExecutionContext,
  managers: ReplicatedManagers,
  name: string,
  copies: (name: string) => Promise<number>,
): Promise<void> {
  const frozen = await managers.primary();
  managers.kill(frozen, 'SIGSTOP');
  const next = await managers.primary(managers.alive.filter((s) => s !== frozen));
  // sent to the frozen manager: it waits in the kernel until the process resumes
  const create = frozen.process.docker(['run', '-d', '--name', name, 'busybox', 'sleep', '600']);
  await sleep(500);
  managers.kill(frozen, 'SIGCONT');
  const result = await create;
  // what the resumed manager said, for whoever looks into a failure
  if (result.code !== 0)
    for (const [who, slot] of [
      ['the resumed manager', frozen],
      ['the new primary', next],
    ] as const)
      t.log(`${who}:\n${slot.process.logs.join('').split('\n').slice(-25).join('\n')}`);
  t.is(result.code, 0, result.stderr);
  t.is(await copies(name), 1);
  t.is((await managers.primary()).advertise, next.advertise);
  const logs = frozen.process.logs.join('');
  t.regex(logs, /Leader Election: Cluster leadership lost/);
  t.notRegex(
    logs.slice(logs.lastIndexOf('Cluster leadership lost')),
    /Cluster leadership acquired/,
  );
}
