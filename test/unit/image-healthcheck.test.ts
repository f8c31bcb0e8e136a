import test from 'ava';
import http from 'node:http';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findSwarmProcess, probeHealthz, statusAddressOf } from '../../core/cli/health-probe.js';
import { freePort } from '../harness/skep.js';

const SWARM_JS = '/opt/skep/build/core/cli/swarm.js';
const folder = () => mkdtempSync(join(tmpdir(), 'skep-health-'));

/** A /proc of these processes: pid → command line, working folder, environment. */
function fakeProc(processes: Record<number, { argv: string[]; cwd: string; env?: string[] }>) {
  const proc = folder();
  for (const [pid, { argv, cwd, env = [] }] of Object.entries(processes)) {
    mkdirSync(join(proc, pid));
    writeFileSync(join(proc, pid, 'cmdline'), argv.join('\0') + '\0');
    writeFileSync(join(proc, pid, 'environ'), env.map((e) => e + '\0').join(''));
    symlinkSync(cwd, join(proc, pid, 'cwd'));
  }
  mkdirSync(join(proc, 'self')); // not a process: passed over
  return proc;
}

test('the manager is found as PID 1, or behind an init (docker run --init), by its script', (t) => {
  const manage = ['node', SWARM_JS, 'manage', '--status-addr', ':9323', '10.0.0.1:2375'];
  const alone = fakeProc({ 1: { argv: manage, cwd: '/etc/skep', env: ['HOME=/', 'A=b=c'] } });
  t.deepEqual(findSwarmProcess(SWARM_JS, alone), {
    args: manage.slice(2),
    cwd: '/etc/skep',
    env: { HOME: '/', A: 'b=c' },
  });
  const behindInit = fakeProc({
    1: { argv: ['/sbin/docker-init', '--', 'node', SWARM_JS, 'manage'], cwd: '/' },
    7: { argv: ['node', 'build/core/cli/swarm.js', 'manage', 'x:2375'], cwd: '/opt/skep' },
    12: { argv: ['node', '/opt/skep/build/core/cli/healthcheck.js'], cwd: '/etc/skep' },
  });
  t.deepEqual(findSwarmProcess(SWARM_JS, behindInit)?.args, ['manage', 'x:2375']);
  t.is(findSwarmProcess('/elsewhere/swarm.js', behindInit), undefined);
});

test('the listener address is the flag, in any of its forms, else the config file’s; none for join', async (t) => {
  const cwd = folder();
  const of = (args: string[], env: Record<string, string> = {}) =>
    statusAddressOf({ args, cwd, env });
  t.is(await of(['manage', '--status-addr', '0.0.0.0:9323', 'a:2375']), '0.0.0.0:9323');
  t.is(await of(['-l', 'debug', 'manage', '-status-addr=127.0.0.1:1', 'a:2375']), '127.0.0.1:1');
  t.is(await of(['manage', 'a:2375']), undefined, 'off: no flag, no config file');
  t.is(await of(['join', '--advertise', '10.0.0.1:2375', 'etcd://e:2379/x']), undefined);
  writeFileSync(
    join(cwd, '.swarmrc.json'),
    JSON.stringify({ status: { address: '0.0.0.0:9400' } }),
  );
  t.is(await of(['manage', 'a:2375']), '0.0.0.0:9400', 'found from the working folder');
  t.is(
    await of(['manage', '--status-addr', '127.0.0.1:9500', 'a:2375']),
    '127.0.0.1:9500',
    'the flag wins',
  );
  mkdirSync(join(cwd, 'conf'));
  writeFileSync(
    join(cwd, 'conf', 'skep.json'),
    JSON.stringify({ status: { address: '10.0.0.9:9600' } }),
  );
  t.is(
    await of(['manage', '--config', 'conf/skep.json', 'a:2375']),
    '10.0.0.9:9600',
    'relative to its cwd',
  );
});

test('/healthz is asked on loopback for a wildcard address; anything but 200 is a problem', async (t) => {
  let status = 200;
  const server = http.createServer((req, res) => {
    res.writeHead(req.url === '/healthz' ? status : 404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const { port } = server.address() as { port: number };
  t.is(await probeHealthz(`0.0.0.0:${port}`, 2000), undefined);
  t.is(await probeHealthz(`127.0.0.1:${port}`, 2000), undefined);
  status = 503;
  t.is(await probeHealthz(`0.0.0.0:${port}`, 2000), '/healthz answered 503');
  const closed = await freePort();
  t.regex((await probeHealthz(`127.0.0.1:${closed}`, 2000)) ?? '', /ECONNREFUSED/);
});
