import { type ChildProcess, fork } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { forkWithFiles } from './file-limit.js';

const FLEET_PROCESS = fileURLToPath(new URL('./fleet-process.js', import.meta.url));

/**
 * How many engines one fleet process serves at most: one process of 10,000 (listeners plus the manager's
 * connections) spent its whole core during the inventory and ran out of files; 2,500 stays well inside both.
 */
export const ENGINES_PER_PROCESS = 2500;

/** The fleet's processes for `engines`: one per 2,500 engines, at least one per core when there are many. */
export const fleetProcesses = (engines: number) =>
  Math.max(
    Math.ceil(engines / ENGINES_PER_PROCESS),
    engines >= ENGINES_PER_PROCESS ? cpus().length : 1,
  );

export interface FleetStats {
  requests: number;
  /** CPU used by all its processes together (ms). */
  cpuMs: number;
  /** Their resident memory together (bytes). */
  rssBytes: number;
}

/** One process of the fleet: its first engine's fleet-wide number, and its engines' addresses. */
class FleetPart {
  private constructor(
    private readonly child: ChildProcess,
    readonly first: number,
    readonly addresses: string[],
  ) {}

  static start(first: number, engines: number, perEngine: number): Promise<FleetPart> {
    const child = fork(FLEET_PROCESS, [String(first), String(engines), String(perEngine)], {
      ...forkWithFiles(),
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return new Promise((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`a fake fleet process exited ${code}`)));
      child.once('message', (m: { addresses: string[] }) =>
        resolve(new FleetPart(child, first, m.addresses)),
      );
    });
  }

  kill(index: number): void {
    this.child.send({ kill: index - this.first });
  }

  stats(): Promise<FleetStats> {
    return new Promise((resolve) => {
      this.child.once('message', (m: FleetStats) => resolve(m));
      this.child.send('stats');
    });
  }

  stop(): void {
    this.child.removeAllListeners('exit');
    this.child.kill('SIGKILL');
  }
}

/**
 * The fake fleet (test/harness/fake-fleet.ts) over several processes of its own (bench/fleet-process.ts), so
 * neither the fleet's CPU nor its open files are the manager's, and no one process is the limit at 10,000
 * engines. Engines are numbered fleet-wide (their names and addresses as one process would give them); the
 * counters are summed over the processes.
 */
export class Fleet {
  private constructor(private readonly parts: FleetPart[]) {}

  static async start(
    engines: number,
    perEngine: number,
    processes = fleetProcesses(engines),
  ): Promise<Fleet> {
    const count = Math.max(1, Math.min(processes, engines));
    const shares = Array.from(
      { length: count },
      (_, i) => Math.floor((engines * (i + 1)) / count) - Math.floor((engines * i) / count),
    );
    const firsts = shares.map((_, i) => shares.slice(0, i).reduce((a, b) => a + b, 0));
    const parts = await Promise.allSettled(
      shares.map((share, i) => FleetPart.start(firsts[i]!, share, perEngine)),
    );
    const started = parts.flatMap((p) => (p.status === 'fulfilled' ? [p.value] : []));
    const failed = parts.find((p) => p.status === 'rejected');
    if (failed) {
      for (const part of started) part.stop();
      throw failed.reason;
    }
    return new Fleet(started);
  }

  get processes(): number {
    return this.parts.length;
  }

  /** Every engine's address, in the order of their numbers. */
  get addresses(): string[] {
    return this.parts.flatMap((p) => p.addresses);
  }

  /** How many engines each process serves. */
  get shares(): number[] {
    return this.parts.map((p) => p.addresses.length);
  }

  /** Engine number `index` dies as a killed dockerd does. */
  kill(index: number): void {
    this.parts.findLast((p) => p.first <= index)!.kill(index);
  }

  async stats(): Promise<FleetStats> {
    const all = await Promise.all(this.parts.map((p) => p.stats()));
    return all.reduce((sum, s) => ({
      requests: sum.requests + s.requests,
      cpuMs: sum.cpuMs + s.cpuMs,
      rssBytes: sum.rssBytes + s.rssBytes,
    }));
  }

  stop(): void {
    for (const part of this.parts) part.stop();
  }
}
