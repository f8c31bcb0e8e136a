import { spawn } from 'node:child_process';
import { mkdirSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { must, waitFor } from './exec.js';

/**
 * A real registry (Debian's docker-registry, github.com/docker/distribution) that requires a password
 * (htpasswd, bcrypt). Its folder sits in the cluster's state folder, so the cluster's cleanup stops it too.
 */
export class TestRegistry {
  private constructor(
    /** `host:port`, as image references name it. */
    readonly address: string,
    readonly user: string,
    readonly password: string,
  ) {}

  static async start(options: {
    dir: string;
    host: string;
    port: number;
    user: string;
    password: string;
  }): Promise<TestRegistry> {
    const { dir, host, port, user, password } = options;
    mkdirSync(join(dir, 'data'), { recursive: true });
    writeFileSync(join(dir, 'htpasswd'), await must('htpasswd', ['-Bbn', user, password]));
    const config = join(dir, 'config.yml');
    writeFileSync(
      config,
      [
        'version: 0.1',
        'log:',
        '  level: warn',
        'storage:',
        '  filesystem:',
        `    rootdirectory: ${join(dir, 'data')}`,
        'http:',
        `  addr: ${host}:${port}`,
        'auth:',
        '  htpasswd:',
        '    realm: skep-test',
        `    path: ${join(dir, 'htpasswd')}`,
        '',
      ].join('\n'),
    );
    const log = openSync(join(dir, 'registry.log'), 'a');
    spawn('docker-registry', ['serve', config], {
      detached: true,
      stdio: ['ignore', log, log],
    }).unref();
    const address = `${host}:${port}`;
    // 401 without credentials: the registry is up and requires them
    await waitFor(
      `registry at ${address}`,
      async () =>
        (await fetch(`http://${address}/v2/`).catch(() => undefined))?.status === 401
          ? true
          : undefined,
      30_000,
    );
    return new TestRegistry(address, user, password);
  }
}
