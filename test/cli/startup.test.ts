import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { run, waitFor } from '../harness/exec.js';
import { freePort, REPO_ROOT, SWARM_BIN } from '../harness/skep.js';
import { HELP_COMMAND, SWARM } from '../../core/cli/commands.js';
import type { CommandData } from '../../core/cli/flag.js';
import { helpFor } from '../../core/cli/help.js';
import { spawn } from 'node:child_process';
import http from 'node:http';

const swarm = (args: string[]) =>
  run(process.execPath, [SWARM_BIN, ...args], { cwd: REPO_ROOT, timeoutMs: 20_000 });

test('bad command lines: one line on stderr, exit code 1, no stack trace', async (t) => {
  const cases: [string[], RegExp][] = [
    [['manage', '--bogus'], /^swarm: manage: flag provided but not defined: --bogus/],
    [
      ['manage', 'token://abcdef'],
      /^swarm: "token:\/\/abcdef": the hosted token:\/\/ discovery service was shut down in 2019/,
    ],
    [
      ['manage', '-H', '127.0.0.1:0', '--filter', 'nosuch', '127.0.0.1:1'],
      /^swarm: filter not supported: "nosuch" \(known: health, port, containerslots, dependency, affinity, constraint, whitelist\)/,
    ],
    [
      ['manage', '-H', '127.0.0.1:0', '--strategy=fastest', '127.0.0.1:1'],
      /^swarm: strategy not supported: "fastest"/,
    ],
    [
      ['manage', '--cluster-opt', 'swarm.overcommit=-2', '127.0.0.1:1'],
      /^swarm: swarm\.overcommit should be larger than -1, -2\.000000 is invalid$/m,
    ],
    [
      ['manage', '--replication', '127.0.0.1:1'],
      /^swarm: --advertise address must be provided when using --leader-election$/m,
    ],
    [
      ['manage', '--tls', '127.0.0.1:1'],
      /^swarm: --tlscert and --tlskey must be provided when using --tls$/m,
    ],
    [
      ['manage', '--tlsverify', '--tlscert', '/x', '--tlskey', '/y', '127.0.0.1:1'],
      /^swarm: --tlscacert must be provided when using --tlsverify/m,
    ],
    [['manage', '-H', 'nonsense', '127.0.0.1:1'], /^swarm: bad listen address "nonsense"/],
    [['manage', '-H', '127.0.0.1:0', '999.1:2:3'], /^swarm: bad engine address "999.1:2:3"/],
    [['join', 'etcd://127.0.0.1:2379/x'], /^swarm: missing mandatory --advertise flag$/m],
    [
      [
        'join',
        '--advertise',
        '10.0.0.1:2375',
        '--heartbeat',
        '10s',
        '--ttl',
        '5s',
        'etcd://127.0.0.1:2379/x',
      ],
      /^swarm: --ttl must be strictly superior to the heartbeat value$/m,
    ],
    [['list', '--timeout', '0s', 'file:///x'], /^swarm: --timeout should be a positive number$/m],
    [
      ['join', '--advertise', '10.0.0.1:2375', '10.0.0.1:2375'],
      /^swarm: join: 10.0.0.1:2375 is not a registry/,
    ],
    [['list', 'file:///no/such/file'], /^swarm: discovery file \/no\/such\/file: no such file/],
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
  t.is(
    res.stderr.trim(),
    `swarm: ${file}: "engine.failureRetry" must be a whole number of at least 1 (got "lots")`,
  );
});

test('help and version', async (t) => {
  const help = await swarm(['--help']);
  t.is(help.code, 0);
  t.regex(help.stdout, /Commands:\n {2}manage, m/);
  const manageHelp = await swarm(['manage', '--help']);
  t.regex(manageHelp.stdout, /--engine-failure-retry/);
  const version = await swarm(['--version']);
  t.regex(version.stdout, /^swarm version 1\.2\.9 \(skep \d+\.\d+\.\d+\)\n$/);
  t.regex(
    version.stdout.split('\n')[0]!,
    /version [0-9]+\.[0-9]+\.[0-9]+/,
    'what scripts written for classic match',
  );
  t.is((await swarm(['-v'])).stdout, version.stdout);
});

/** What to type for a help, and whose help it is (a topic for helpFor, and the command). */
type Asked = [args: string[], topic: string | undefined, command: CommandData];

test('every `swarm ... --help` and `swarm help ...` prints the help written from the command table', async (t) => {
  const commands = SWARM.commands.filter((command) => command !== HELP_COMMAND);
  const asked: Asked[] = [
    [['--help'], undefined, SWARM],
    [['-h'], undefined, SWARM],
    [['help'], undefined, SWARM],
    ...commands.map((command): Asked => [[command.names[0]!, '--help'], command.names[0], command]),
    ...commands.map((command): Asked => [
      ['help', command.names.at(-1)!],
      command.names[0],
      command,
    ]),
  ];
  const answers = await Promise.all(asked.map(([args]) => swarm(args)));
  for (const [i, [args, topic, command]] of asked.entries()) {
    const { code, stdout, stderr } = answers[i]!;
    const typed = args.join(' ');
    t.deepEqual({ code, stderr }, { code: 0, stderr: '' }, typed);
    t.is(stdout, helpFor(topic), typed);
    // every flag of the table, by its names, with its variable
    for (const flag of command.flags) {
      const names = flag.names.map((n) => (n.length === 1 ? `-${n}` : `--${n}`)).join(', ');
      const line = stdout
        .split('\n')
        .find((l) => [' ', '\t'].some((after) => l.trimStart().startsWith(names + after)));
      t.truthy(line, `${typed}: ${names}`);
      if (flag.env) t.true(line?.endsWith(`[$${flag.env}]`), line);
    }
  }
  const manage = answers[asked.findIndex(([args]) => args.join(' ') === 'manage --help')]!.stdout;
  t.regex(manage, /^Usage: swarm manage \[OPTIONS\] <discovery>\n\nManage a docker cluster\n/);
  t.regex(
    manage,
    /filter to use \[health, port, containerslots, dependency, affinity, constraint, whitelist\]/,
  );
  t.regex(manage, /--log-format "text"\t+log format \[text, json\]/);
  t.regex(manage, /<discovery> {4}discovery service to use \[\$SWARM_DISCOVERY\]/);
  t.is((await swarm(['help', 'bogus'])).stdout, "No help topic for 'bogus'\n");
});

test('the classic command form starts, serves, and shows an unreachable node as Pending with its error', async (t) => {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      SWARM_BIN,
      '-l',
      'debug',
      '-experimental',
      'manage',
      '-H',
      `127.0.0.1:${port}`,
      '--heartbeat=1s',
      '127.0.0.1:1,127.0.0.1:2',
    ],
    {
      cwd: REPO_ROOT,
      stdio: 'ignore',
    },
  );
  try {
    const info = await waitFor('the manager', async () => {
      const res = await fetch(`http://127.0.0.1:${port}/info`);
      const body = (await res.json()) as { SystemStatus: [string, string][] };
      return body.SystemStatus.some(([k, v]) => k === '  └ Error' && /ECONNREFUSED/.test(v))
        ? body
        : undefined;
    });
    const rows = Object.fromEntries(info.SystemStatus.slice(0, 4));
    t.deepEqual(rows, {
      Role: 'primary',
      Strategy: 'spread',
      Filters: 'health, port, containerslots, dependency, affinity, constraint, whitelist',
      Nodes: '2',
    });
    t.deepEqual(
      info.SystemStatus.filter(([k]) => k === '  └ Status').map(([, v]) => v),
      ['Pending', 'Pending'],
    );
    const created = await fetch(`http://127.0.0.1:${port}/containers/create`, {
      method: 'POST',
      body: '{"Image":"busybox"}',
    });
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

/** Starts `swarm manage` with the given arguments in `cwd` and waits for `/_ping` on `ping`. */
async function startManager(args: string[], cwd: string, ping: () => Promise<boolean>) {
  const child = spawn(process.execPath, [SWARM_BIN, 'manage', ...args], { cwd, stdio: 'ignore' });
  await waitFor('the manager', async () => ((await ping()) ? true : undefined));
  return child;
}

test('listens on a unix socket, and answers CORS preflights when asked to', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skep-unix-'));
  const socketPath = join(dir, 'skep.sock');
  const port = await freePort();
  const viaSocket = (path: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request({ socketPath, path }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      });
      req.on('error', reject);
      req.end();
    });
  const child = await startManager(
    ['-H', `unix://${socketPath}`, '-H', `127.0.0.1:${port}`, '--api-enable-cors', '127.0.0.1:1'],
    REPO_ROOT,
    async () => (await viaSocket('/_ping')).body === 'OK',
  );
  try {
    t.is((await viaSocket('/v1.41/_ping')).body, 'OK');
    const preflight = await fetch(`http://127.0.0.1:${port}/containers/json`, {
      method: 'OPTIONS',
    });
    t.is(preflight.status, 200);
    t.is(preflight.headers.get('access-control-allow-origin'), '*');
  } finally {
    child.kill('SIGTERM');
  }
});

test('a third-party plugin named in the config file taps the pipeline', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skep-plugin-'));
  // What an operator writes: a plugin object with a name and apply(hooks), listed in the config.
  writeFileSync(
    join(dir, 'swarm.config.mjs'),
    `import { DockerError } from ${JSON.stringify(join(REPO_ROOT, 'build/config/index.js'))};
     const stamp = { name: 'stamp', apply(hooks) { hooks.rewriteResponse.for('system.version').tap('stamp', (body) => ({ ...body, Stamped: true })); } };
     const refuse = { name: 'refuse-privileged', apply(hooks) {
       hooks.beforeSchedule.tap('refuse-privileged', (request) => {
         if (request.config.HostConfig?.Privileged) throw new DockerError(403, 'privileged containers are not allowed here');
         return request;
       });
     } };
     const buggy = { name: 'buggy', apply(hooks) {
       hooks.beforeSchedule.tapPromise('buggy', async (request) => { if (request.name === 'boom') throw new TypeError('oops'); return request; });
     } };
     export default { nodes: ['127.0.0.1:1'], plugins: [stamp, false, [refuse, buggy]] };`,
  );
  const port = await freePort();
  const child = await startManager(
    ['-H', `127.0.0.1:${port}`],
    dir,
    async () => (await fetch(`http://127.0.0.1:${port}/_ping`)).ok,
  );
  try {
    const version = (await (await fetch(`http://127.0.0.1:${port}/version`)).json()) as {
      Stamped?: boolean;
    };
    t.true(version.Stamped);
    const refused = await fetch(`http://127.0.0.1:${port}/containers/create`, {
      method: 'POST',
      body: JSON.stringify({ Image: 'busybox', HostConfig: { Privileged: true } }),
    });
    t.is(refused.status, 403);
    t.deepEqual(await refused.json(), { message: 'privileged containers are not allowed here' });
    const broken = await fetch(`http://127.0.0.1:${port}/containers/create?name=boom`, {
      method: 'POST',
      body: JSON.stringify({ Image: 'busybox' }),
    });
    t.is(broken.status, 500);
    t.deepEqual(await broken.json(), { message: 'plugin "buggy" failed in beforeSchedule: oops' });
  } finally {
    child.kill('SIGTERM');
  }
});
