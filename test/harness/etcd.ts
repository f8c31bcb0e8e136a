import { spawn } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from './exec.js';
import { freePort } from './skep.js';

/** A real etcd (Debian's etcd-server, v3 API) on loopback. Its folder sits in a cluster's state folder, so that cluster's cleanup stops it. */
export class TestEtcd {
  private constructor(readonly endpoint: string) {}

  /** Starts etcd; `client` picks its client port (a manager may be pointed at it before it runs). */
  static async start(dir: string, client?: number): Promise<TestEtcd> {
    mkdirSync(dir, { recursive: true });
    client ??= await freePort();
    const peer = await freePort();
    const endpoint = `127.0.0.1:${client}`;
    const log = openSync(join(dir, 'etcd.log'), 'a');
    spawn(
      'etcd',
      [
        '--name',
        'skep-test',
        '--data-dir',
        join(dir, 'data'),
        '--listen-client-urls',
        `http://${endpoint}`,
        '--advertise-client-urls',
        `http://${endpoint}`,
        '--listen-peer-urls',
        `http://127.0.0.1:${peer}`,
        '--initial-advertise-peer-urls',
        `http://127.0.0.1:${peer}`,
        '--initial-cluster',
        `skep-test=http://127.0.0.1:${peer}`,
      ],
      { detached: true, stdio: ['ignore', log, log] },
    ).unref();
    await waitFor(`etcd at ${endpoint}`, async () => ((await fetch(`http://${endpoint}/health`).catch(() => undefined))?.ok ? true : undefined), 30_000);
    return new TestEtcd(endpoint);
  }
}
