import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import https from 'node:https';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { DOCKER_CLI } from './support.js';
import { run, waitFor } from './exec.js';

export interface ClientTls {
  ca: string;
  cert: string;
  key: string;
}

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const SWARM_BIN = fileURLToPath(new URL('../../core/cli/swarm.js', import.meta.url));

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

type ManagerInfo = { SystemStatus: [string, string][] | null };

/** The healthy nodes in a manager's `/info` (classic swarm's `  └ Status: Healthy` lines). */
export function healthyNodes(info: ManagerInfo): number {
  return (info.SystemStatus ?? []).filter(([k, v]) => k === '  └ Status' && v === 'Healthy').length;
}

/** A Skep manager started through its CLI, as an operator starts it. */
export class SkepProcess {
  readonly logs: string[] = [];

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
    /** The client certificate the docker CLI presents, for a manager started with --tlsverify. */
    readonly clientTls?: ClientTls,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get dockerHost(): string {
    return `tcp://127.0.0.1:${this.port}`;
  }

  /** Starts `swarm [global] manage -H 127.0.0.1:PORT [args]` (a free port unless given) and waits until `nodes` nodes are healthy. */
  static async start(
    args: string[],
    options: { nodes: number; global?: string[]; clientTls?: ClientTls; port?: number },
  ): Promise<SkepProcess> {
    const port = options.port ?? (await freePort());
    // node maintenance goes to a file of the test's own, never to the checkout (the working folder)
    const state = args.includes('--state-file')
      ? []
      : ['--state-file', join(mkdtempSync(join(tmpdir(), 'skep-state-')), 'skep-nodes.json')];
    const child = spawn(
      process.execPath,
      [
        SWARM_BIN,
        ...(options.global ?? []),
        'manage',
        '-H',
        `127.0.0.1:${port}`,
        ...state,
        ...args,
      ],
      {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const skep = new SkepProcess(child, port, options.clientTls);
    for (const stream of [child.stdout!, child.stderr!])
      stream.on('data', (d: Buffer) => skep.logs.push(d.toString()));
    try {
      await waitFor(
        `${options.nodes} healthy nodes behind Skep`,
        async () => {
          if (child.exitCode !== null)
            throw new Error(`swarm exited ${child.exitCode}: ${skep.logs.join('')}`);
          return healthyNodes((await skep.getJson('/info')) as ManagerInfo) === options.nodes
            ? true
            : undefined;
        },
        60_000,
      );
    } catch (err) {
      child.kill('SIGKILL'); // a manager that never got ready must not outlive its test
      throw new Error(
        `${(err as Error).message}\nthe manager's log:\n${skep.logs.join('').split('\n').slice(-30).join('\n')}`,
      );
    }
    return skep;
  }

  /** A GET answered with JSON, over TLS with the client certificate when the manager requires one. */
  getJson(path: string): Promise<unknown> {
    if (!this.clientTls) return fetch(`${this.url}${path}`).then((r) => r.json());
    const { ca, cert, key } = this.clientTls;
    return new Promise((resolve, reject) => {
      https
        .get(
          {
            host: '127.0.0.1',
            port: this.port,
            path,
            ca: readFileSync(ca),
            cert: readFileSync(cert),
            key: readFileSync(key),
          },
          (res) => {
            let body = '';
            res.on('data', (d: Buffer) => (body += d.toString()));
            res.on('end', () => {
              try {
                resolve(JSON.parse(body));
              } catch (err) {
                reject(err);
              }
            });
          },
        )
        .on('error', reject);
    });
  }

  /** The docker CLI pointed at this manager (with --tlsverify and the client certificate when it needs one). */
  docker(
    args: string[],
    options: {
      input?: string | Buffer;
      cli?: string;
      timeoutMs?: number;
      env?: Record<string, string>;
    } = {},
  ) {
    const tls = this.clientTls
      ? [
          '--tlsverify',
          '--tlscacert',
          this.clientTls.ca,
          '--tlscert',
          this.clientTls.cert,
          '--tlskey',
          this.clientTls.key,
        ]
      : [];
    return run(options.cli ?? DOCKER_CLI, [...tls, ...args], {
      input: options.input,
      env: {
        ...process.env,
        DOCKER_HOST: this.dockerHost,
        DOCKER_CLI_HINTS: 'false',
        ...options.env,
      },
      timeoutMs: options.timeoutMs ?? 60_000,
    });
  }

  /** SIGTERM, then SIGKILL after 5 s; resolves once the process is gone (its port free again). */
  async stop(): Promise<void> {
    const running = () => this.child.exitCode === null && this.child.signalCode === null;
    if (!running()) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (!running()) return;
    this.child.kill('SIGKILL');
    await exited;
  }
}
