import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { run, waitFor } from '../harness/exec.js';
import { freePort, REPO_ROOT, SWARM_BIN } from '../harness/skep.js';
import { spawn } from 'node:child_process';

const swarm = (args: string[]) => run(process.execPath, [SWARM_BIN, ...args], { cwd: REPO_ROOT, timeoutMs: 20_000 });

test('bad command lines: one line on stderr, exit code 1, no stack trace', async (t) => {
  const cases: [string[], RegExp][] = [
    [['manage', '--bogus'], /^swarm: manage: flag provided but not defined: --bogus/],
    [['manage', 'token://abcdef'], /^swarm: "token:\/\/abcdef": the hosted token:\/\/ discovery service was shut down in 2019/],
    [['manage', '-H', '127.0.0.1:0', '--filter', 'nosuch', '127.0.0.1:1'], /^swarm: unknown filter "nosuch" \(known: health\)/],
    [['manage', '-H', '127.0.0.1:0', '--strategy=fastest', '127.0.0.1:1'], /^swarm: unknown strategy "fastest"/],
    [['manage', '-H', 'nonsense', '127.0.0.1:1'], /^swarm: bad listen address "nonsense"/],
    [['manage', '-H', '127.0.0.1:0', '999.1:2:3'], /^swarm: bad engine address "999.1:2:3"/],
  ];
  for (const [args, message] of cases) {
    const res = await swarm(args);
    t.is(res.code, 1, args.join(' '));
    t.regex(res.stderr, message, args.join(' '));
    t.is(res.stderr.trim().split('\n').length, 1, res.stderr);
  }
});

test('a bad config file is named with the bad key', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skep-cli-'));
  const file = join(dir, 'swarm.config.json');
  writeFileSync(file, JSON.stringify({ engine: { failureRetry: 'lots' } }));
  const res = await swarm(['manage', '-H', '127.0.0.1:0', '--config', file]);
  t.is(res.code, 1);
  t.is(res.stderr.trim(), `swarm: ${file}: "engine.failureRetry" must be a whole number of at least 1 (got "lots")`);
});

test('help and version', async (t) => {
  const help = await swarm(['--help']);
  t.is(help.code, 0);
  t.regex(help.stdout, /Commands:\n {2}manage, m/);
  const manageHelp = await swarm(['manage', '--help']);
  t.regex(manageHelp.stdout, /--engine-failure-retry/);
  t.regex((await swarm(['--version'])).stdout, /^swarm version swarm\/1\.2\.9\+skep\./);
});

test('the classic command form starts, serves, and shows an unreachable node as Pending with its error', async (t) => {
  const port = await freePort();
  const child = spawn(process.execPath, [SWARM_BIN, '-l', 'debug', '-experimental', 'manage', '-H', `127.0.0.1:${port}`, '--heartbeat=1s', '127.0.0.1:1,127.0.0.1:2'], {
    cwd: REPO_ROOT,
    stdio: 'ignore',
  });
  try {
    const info = await waitFor('the manager', async () => {
      const res = await fetch(`http://127.0.0.1:${port}/info`);
      const body = (await res.json()) as { SystemStatus: [string, string][] };
      return body.SystemStatus.some(([k, v]) => k === '  └ Error' && /ECONNREFUSED/.test(v)) ? body : undefined;
    });
    const rows = Object.fromEntries(info.SystemStatus.slice(0, 4));
    t.deepEqual(rows, { Role: 'primary', Strategy: 'spread', Filters: 'health', Nodes: '2' });
    t.deepEqual(info.SystemStatus.filter(([k]) => k === '  └ Status').map(([, v]) => v), ['Pending', 'Pending']);
    const created = await fetch(`http://127.0.0.1:${port}/containers/create`, { method: 'POST', body: '{"Image":"busybox"}' });
    t.is(created.status, 500);
    t.deepEqual(await created.json(), { message: 'No healthy node available in the cluster' });
    const ping = await fetch(`http://127.0.0.1:${port}/_ping`);
    t.is(await ping.text(), 'OK');
  } finally {
    child.kill('SIGTERM');
  }
  const code = await new Promise((resolve) => child.once('exit', resolve));
  t.is(code, 0);
});
