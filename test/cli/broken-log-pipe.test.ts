import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import test from 'ava';
import { waitFor } from '../harness/exec.js';
import { freePort, REPO_ROOT, SWARM_BIN } from '../harness/skep.js';

/** CPU seconds the process has used so far (user + system), from /proc. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

test('`swarm manage 2>&1 | head -2`: when the log reader goes away the manager keeps serving, idles, and stops on SIGTERM', async (t) => {
  const port = await freePort();
  const unreachable = `127.0.0.1:${await freePort()}`;
  // debug: a line per retry of the unreachable node, so logging goes on after the reader left
  const child = spawn(
    process.execPath,
    [
      SWARM_BIN,
      '--log-level',
      'debug',
      'manage',
      '-H',
      `tcp://127.0.0.1:${port}`,
      '--engine-refresh-min-interval',
      '1s',
      '--engine-refresh-max-interval',
      '2s',
      unreachable,
    ],
    {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  t.teardown(() => child.kill('SIGKILL'));
  // `head -2`: read two lines, then close the pipe
  await new Promise<void>((resolve) => {
    let seen = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.split('\n').length > 2) resolve();
    });
  });
  child.stderr!.destroy();

  const ping = async () =>
    (await fetch(`http://127.0.0.1:${port}/_ping`, { signal: AbortSignal.timeout(3000) })).text();
  t.is(
    await waitFor('the API', async () => (await ping().catch(() => undefined)) || undefined),
    'OK',
  );
  const before = cpuSeconds(child.pid!);
  await new Promise((resolve) => setTimeout(resolve, 4000)); // a few retries, each logged into the broken pipe
  for (let i = 0; i < 20; i++) t.is(await ping(), 'OK');
  const used = cpuSeconds(child.pid!) - before;
  t.true(used < 1, `the manager used ${used.toFixed(2)} CPU seconds in 4 s`);

  const sent = Date.now();
  child.kill('SIGTERM');
  const code = await Promise.race([
    exited,
    new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 10_000)),
  ]);
  t.is(code, 0, 'SIGTERM stops it');
  t.true(Date.now() - sent < 5000, `stopped ${Date.now() - sent} ms after SIGTERM`);
});
