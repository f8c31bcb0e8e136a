import { chmodSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { prepareSocketPath } from '../../core/api/unix-socket.js';
import { run } from '../harness/exec.js';
import { FakeDocker } from '../harness/fake-docker.js';
import { inProcessManager } from '../harness/in-process.js';

const folder = (t: import('ava').ExecutionContext, mode: number) => {
  const dir = mkdtempSync(join(tmpdir(), 'skep-sock-'));
  chmodSync(dir, mode);
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};

test('a socket in a folder others can write is refused; a sticky one (as /tmp) is fine', (t) => {
  const open = folder(t, 0o777);
  t.throws(() => prepareSocketPath(join(open, 'skep.sock')), {
    message: new RegExp(
      `^refusing to listen on unix://${open}/skep.sock: ${open} can be written by other users \\(mode 777`,
    ),
  });
  t.notThrows(() => prepareSocketPath(join(folder(t, 0o1777), 'skep.sock')));
});

test('what is at the path already is removed only when it is a socket of this user', async (t) => {
  const dir = folder(t, 0o700);
  const file = join(dir, 'skep.sock');
  writeFileSync(file, 'not a socket');
  t.throws(() => prepareSocketPath(file), { message: /something else is there \(not a socket\)/ });
  t.true(existsSync(file), 'nothing is deleted that is not ours');
  rmSync(file);
  // a stale socket a stopped manager left: its listener gone, the file still there
  await run(process.execPath, [
    '-e',
    `require('net').createServer().listen(${JSON.stringify(file)}, () => process.kill(process.pid, 'SIGKILL'))`,
  ]);
  t.true(existsSync(file), 'a killed listener leaves its socket');
  prepareSocketPath(file);
  t.false(existsSync(file));
});

test.serial(
  'the manager listening on a unix socket makes it owner and group only, whatever the umask',
  async (t) => {
    const dir = folder(t, 0o755);
    const path = join(dir, 'skep.sock');
    const fake = await FakeDocker.start({ name: 'n1' });
    const old = process.umask(0);
    const skep = await inProcessManager([fake], { hosts: [`unix://${path}`] }).finally(() =>
      process.umask(old),
    );
    t.teardown(async () => {
      await skep.stop();
      await fake.stop();
    });
    t.is(statSync(path).mode & 0o777, 0o660);
  },
);
