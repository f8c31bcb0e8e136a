import { readFileSync } from 'node:fs';
import { sleep, waitFor } from '../harness/exec.js';
import type { TestEtcd } from '../harness/etcd.js';
import { type ManagerSlot, registerNodes, ReplicatedManagers } from '../harness/replicated.js';
import { healthyNodes, SkepProcess } from '../harness/skep.js';

type Info = { SystemStatus: [string, string][] | null };

/** A manager's memory: at its (latest) start once warmed up, and now. */
export interface ManagerMemory {
  advertise: string;
  baseline: number;
  now: number;
}

/**
 * The managers a chaos run works through: one, or three with `--replication` on one etcd. It
 * knows which exits the run caused (a stop, a kill), so any other exit counts as the manager's own,
 * and it keeps the log of every process that ran, killed ones too.
 */
export class ChaosManagers {
  /** Every manager process of the run, in start order, for the log. */
  private readonly started: SkepProcess[] = [];
  /** Processes the run itself stopped or killed. */
  private readonly ended = new Set<SkepProcess>();
  private readonly baselines = new Map<SkepProcess, number>();
  exitedByItself = 0;

  private constructor(
    readonly slots: ManagerSlot[],
    private readonly replicated?: ReplicatedManagers,
    private readonly args: string[] = [],
  ) {
    for (const slot of slots) this.adopt(slot.process);
  }

  /** One manager, on the engines given in `discovery`. */
  static async single(args: string[], nodes: number): Promise<ChaosManagers> {
    const process = await SkepProcess.start(args, { nodes });
    const set = new ChaosManagers(
      [{ port: process.port, advertise: `127.0.0.1:${process.port}`, process }],
      undefined,
      args,
    );
    await set.measure(process);
    return set;
  }

  /** Three managers with `--replication` on `etcd`, the nodes registered there under `path`. */
  static async replicated(
    etcd: TestEtcd,
    path: string,
    addrs: string[],
    args: string[],
    nodes: number,
  ): Promise<ChaosManagers> {
    await registerNodes(etcd, path, addrs);
    const managers = await ReplicatedManagers.start({ etcd, path, count: 3, nodes, args });
    const set = new ChaosManagers(managers.slots, managers);
    await Promise.all(managers.slots.map((s) => set.measure(s.process)));
    return set;
  }

  get replication(): boolean {
    return this.replicated !== undefined;
  }

  private adopt(process: SkepProcess): void {
    this.started.push(process);
    process.child.once('exit', () => void (this.ended.has(process) || this.exitedByItself++));
  }

  /** Its memory once it has read the cluster and warmed up. */
  private async measure(process: SkepProcess): Promise<void> {
    await sleep(3000);
    this.baselines.set(process, rssMiB(process));
  }

  private running(slot: ManagerSlot): boolean {
    const child = slot.process.child;
    return child.exitCode === null && child.signalCode === null;
  }

  /** The manager that acts: the only one, or the primary every running manager names. */
  async primary(): Promise<ManagerSlot> {
    if (!this.replicated) return this.slots[0]!;
    return this.replicated.primary(
      this.slots.filter((s) => this.running(s)),
      30_000,
    );
  }

  /** Stops a manager (SIGTERM, as an operator's restart) or kills it (SIGKILL, as a crash). */
  async stop(slot: ManagerSlot, how: 'SIGTERM' | 'SIGKILL'): Promise<void> {
    const process = slot.process;
    this.ended.add(process);
    if (how === 'SIGTERM') return process.stop();
    const exited = new Promise((resolve) => process.child.once('exit', resolve));
    process.child.kill('SIGKILL');
    await exited;
  }

  /** Starts a stopped manager again at its address; ready once `nodes` nodes are healthy. */
  async start(slot: ManagerSlot, nodes: number): Promise<void> {
    if (this.replicated) await this.replicated.restart(slot, nodes);
    else slot.process = await SkepProcess.start(this.args, { nodes, port: slot.port });
    this.adopt(slot.process);
    await this.measure(slot.process);
  }

  /** How a node (by address) stands in a running manager's `docker info`, if any answers. */
  async nodeStatus(addr: string): Promise<string | undefined> {
    for (const slot of this.slots.filter((s) => this.running(s))) {
      const info = (await slot.process.getJson('/info').catch(() => undefined)) as Info | undefined;
      const status = info?.SystemStatus ?? [];
      const at = status.findIndex(([, value]) => value === addr);
      if (at < 0) continue;
      return status.slice(at + 1).find(([key]) => key === '  └ Status')?.[1];
    }
    return undefined;
  }

  /** Until every running manager (and, under replication, the primary) sees `nodes` healthy. */
  async healthy(nodes: number, timeoutMs: number): Promise<void> {
    if (this.replicated) await this.primary();
    for (const slot of this.slots.filter((s) => this.running(s)))
      await waitFor(
        `${nodes} healthy nodes behind ${slot.advertise}`,
        async () =>
          healthyNodes((await slot.process.getJson('/info')) as Info) === nodes ? true : undefined,
        timeoutMs,
      );
  }

  /** Every manager's log, killed ones' too, in start order, each under a line naming it. */
  logs(): string {
    return this.started.map((p) => `=== the manager on :${p.port}\n${p.logs.join('')}`).join('');
  }

  /** What each running manager's memory was at its start, and is now. */
  memory(): ManagerMemory[] {
    return this.slots
      .filter((s) => this.running(s))
      .map((s) => ({
        advertise: s.advertise,
        baseline: this.baselines.get(s.process) ?? 0,
        now: rssMiB(s.process),
      }));
  }

  async close(): Promise<void> {
    for (const p of this.started) this.ended.add(p);
    if (this.replicated) await this.replicated.stop();
    else await Promise.all(this.slots.map((s) => s.process.stop()));
  }
}

function rssMiB(skep: SkepProcess): number {
  const line = readFileSync(`/proc/${skep.child.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
  return Math.round(Number(line?.[1] ?? 0) / 1024);
}
