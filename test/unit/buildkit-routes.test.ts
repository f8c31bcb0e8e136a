import test from 'ava';
import net from 'node:net';
import type { SkepPlugin } from '../../core/plugin-api.js';
import { FakeDocker } from '../harness/fake-docker.js';
import { inProcessManager } from '../harness/in-process.js';

/** An upgrade request as buildx writes it (empty Host), and the head of what comes back. */
function upgrade(port: number, path: string, extra = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () =>
      socket.write(
        `POST ${path} HTTP/1.1\r\nHost: \r\nContent-Length: 0\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n${extra}\r\n`,
      ),
    );
    let read = '';
    socket.on('data', (d: Buffer) => {
      read += d.toString('latin1');
      if (read.includes('\r\n\r\n')) {
        socket.destroy();
        resolve(read.split('\r\n\r\n')[0]!);
      }
    });
    socket.on('error', reject);
  });
}

test.serial(
  'plugins see BuildKit’s /grpc and /session by their route IDs, before anything is placed, and may refuse them',
  async (t) => {
    const seen: string[] = [];
    const gate: SkepPlugin = {
      name: 'gate',
      apply(hooks) {
        hooks.request.tap(
          'gate',
          (context) => void seen.push(`${context.route} ${context.method} ${context.path}`),
        );
        hooks.routeRequest
          .for('image.build-session')
          .tap('gate', () => ({ status: 403, body: { message: 'no builds here' } }));
      },
    };
    const fake = await FakeDocker.start({ name: 'fake1', images: ['busybox'] });
    const skep = await inProcessManager([fake], { plugins: [gate] });
    t.teardown(async () => {
      await skep.stop();
      await fake.stop();
    });
    const port = Number(new URL(skep.manager.config.hosts[0]!).port);
    t.regex(
      await upgrade(port, '/grpc'),
      /^HTTP\/1\.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c$/,
    );
    t.regex(
      await upgrade(port, '/session', 'X-Docker-Expose-Session-Uuid: abc\r\n'),
      /^HTTP\/1\.1 403 /,
    );
    t.deepEqual(seen, ['image.build-grpc POST /grpc', 'image.build-session POST /session']);
    t.regex(await upgrade(port, '/grpc').catch(String), /101/, 'the manager goes on serving');
  },
);
