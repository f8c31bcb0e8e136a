import { FakeDocker } from './fake-docker.js';

/**
 * NOT Docker engines: a fleet of the fake engine (test/harness/fake-docker.ts) for the scale bench and the status
 * page at 1,000 nodes, because 1,000 real dockerd do not fit on one machine. Each engine listens on its own
 * loopback address (127.77.x.y:2375), answers from dockerd 20.10's documents as templates (shared, each
 * container's text made when first asked), and keeps `/events` streams open that report its creates, starts and
 * removals.
 */
export interface FleetOptions {
  engines: number;
  containersPerEngine: number;
  /**
   * The fleet-wide number of its first engine (default 0): a bench splits one fleet over several processes,
   * each starting its share, and an engine's name and address follow from its number alone.
   */
  first?: number;
}

const PORT = 2375;
const PER_BLOCK = 250;
/** 127.77.0.1 to 127.77.255.250: every engine its own address, as Skep names nodes by address. */
export const MAX_ENGINES = 256 * PER_BLOCK;

/** Engine number `i`'s address. */
export const engineHost = (i: number) =>
  `127.77.${Math.floor(i / PER_BLOCK)}.${(i % PER_BLOCK) + 1}`;

export class FakeFleet {
  private constructor(readonly engines: FakeDocker[]) {}

  static async start(options: FleetOptions): Promise<FakeFleet> {
    const first = options.first ?? 0;
    if (first + options.engines > MAX_ENGINES)
      throw new Error(`a fake fleet has at most ${MAX_ENGINES} engines (loopback addresses)`);
    const engines = await Promise.all(
      Array.from({ length: options.engines }, (_, n) =>
        FakeDocker.start({
          name: `fake-${first + n}`,
          id: `FAKE:${first + n}`,
          documents: 'templates',
          host: engineHost(first + n),
          port: PORT,
          ncpu: 4,
          memTotal: 8 * 2 ** 30,
          labels: [`zone=z${(first + n) % 2}`],
          recordCalls: false,
        }),
      ),
    );
    // running for an hour, made a second apart
    const since = Math.floor(Date.now() / 1000) - 3600;
    for (const engine of engines)
      for (let n = 0; n < options.containersPerEngine; n++)
        engine.add(`${engine.name}-c${n}`, undefined, true, since + n);
    return new FakeFleet(engines);
  }

  get addresses(): string[] {
    return this.engines.map((e) => e.addr);
  }

  /** How many requests the fleet was sent (open event streams aside). */
  get requests(): number {
    let requests = 0;
    for (const e of this.engines) requests += e.requests;
    return requests;
  }

  /**
   * One engine (by its place in this fleet) dies as a killed dockerd does: its listener closes, its
   * connections drop.
   */
  kill(index: number): void {
    void this.engines[index]!.down();
  }

  async stop(): Promise<void> {
    await Promise.all(this.engines.map((e) => e.stop()));
  }
}
