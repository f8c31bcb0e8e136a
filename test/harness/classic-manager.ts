import { type ChildProcess, spawn } from 'node:child_process';
import { waitFor } from './exec.js';
import { freePort, healthyNodes } from './skep.js';
import { CLASSIC_SWARM } from './support.js';

/** Classic swarm 1.2.9's own manager (`swarm manage nodes://...`), beside Skep over the same engines. */
export class ClassicManager {
  private readonly logs: string[] = [];

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {}

  /** Starts it on a free loopback port over `ip:port,...` and waits until `nodes` nodes are healthy. */
  static async start(discovery: string, options: { nodes: number }): Promise<ClassicManager> {
    const port = await freePort();
    const child = spawn(
      CLASSIC_SWARM,
      ['manage', '-H', `tcp://127.0.0.1:${port}`, `nodes://${discovery}`],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const classic = new ClassicManager(child, port);
    for (const stream of [child.stdout!, child.stderr!])
      stream.on('data', (d: Buffer) => classic.logs.push(d.toString()));
    try {
      await waitFor(
        `${options.nodes} healthy nodes behind classic swarm`,
        async () => {
          if (child.exitCode !== null)
            throw new Error(`classic swarm exited ${child.exitCode}: ${classic.logs.join('')}`);
          const info = (await fetch(`http://127.0.0.1:${port}/info`)
            .then((r) => r.json())
            .catch(() => ({ SystemStatus: null }))) as Parameters<typeof healthyNodes>[0];
          return healthyNodes(info) === options.nodes ? true : undefined;
        },
        60_000,
      );
    } catch (err) {
      child.kill('SIGKILL');
      throw new Error(
        `${(err as Error).message}\nclassic's log:\n${classic.logs.join('').split('\n').slice(-30).join('\n')}`,
      );
    }
    return classic;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}
