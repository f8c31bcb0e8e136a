import test from 'ava';
import { ConfigError } from '../../config/errors.js';
import { parseArgs } from '../../core/cli/args.js';

test('accepts the exact form existing scripts use', (t) => {
  const parsed = parseArgs(['-l', 'debug', '-experimental', 'manage', '-H', '127.0.0.1:4000', '--heartbeat=1s', '10.0.0.1:2375,10.0.0.2:2375']);
  t.deepEqual(parsed, {
    command: 'manage',
    flags: { logLevel: 'debug', experimental: true, hosts: ['127.0.0.1:4000'], heartbeat: 1000, nodes: '10.0.0.1:2375,10.0.0.2:2375' },
  });
});

test('reads every manage flag, repeatable ones repeated', (t) => {
  const parsed = parseArgs([
    'manage', '--host', 'tcp://0.0.0.0:2375', '-H=unix:///run/skep.sock', '--strategy', 'spread', '-f', 'health', '--filter=health',
    '--engine-refresh-min-interval', '5s', '--engine-refresh-max-interval=10s', '--engine-failure-retry', '2',
    '--cluster-opt', 'swarm.overcommit=0.1', '--cluster-opt=swarm.createretry=2', '--api-enable-cors', 'nodes://a:1,b:2',
  ]);
  t.like(parsed, {
    command: 'manage',
    flags: {
      hosts: ['tcp://0.0.0.0:2375', 'unix:///run/skep.sock'],
      strategy: 'spread',
      filters: ['health', 'health'],
      engine: { refreshMinInterval: 5000, refreshMaxInterval: 10000, failureRetry: 2 },
      clusterOpts: { 'swarm.overcommit': '0.1', 'swarm.createretry': '2' },
      cors: true,
      nodes: 'nodes://a:1,b:2',
    },
  });
});

test('unknown and malformed flags are one-line configuration errors', (t) => {
  const cases: [string[], RegExp][] = [
    [['manage', '--bogus'], /flag provided but not defined: --bogus/],
    [['--nope', 'manage'], /flag provided but not defined: --nope/],
    [['manage', '-H'], /flag needs an argument: -H/],
    [['manage', '--heartbeat', 'soon'], /invalid duration "soon" for flag --heartbeat/],
    [['manage', '--engine-failure-retry', '0'], /invalid value "0" for flag --engine-failure-retry/],
    [['manage', '--cluster-opt', 'nokey'], /expected key=value/],
    [['manage', '--cluster-opt', 'swarm.overcommit=-3'], /invalid value "-3" for cluster option swarm.overcommit/],
    [['manage', '--cluster-opt', 'mesos.user=x'], /unsupported cluster option "mesos.user"/],
    [['manage', 'a:1', 'b:2'], /expected one discovery argument, got 2/],
    [['launch'], /unknown command "launch"/],
  ];
  for (const [args, message] of cases) {
    const err = t.throws(() => parseArgs(args), { instanceOf: ConfigError }, args.join(' '));
    t.regex(err!.message, message);
    t.false(err!.message.includes('\n'));
  }
});

test('help, version, and the environment variables classic swarm read', (t) => {
  t.deepEqual(parseArgs(['--help']), { command: 'help' });
  t.deepEqual(parseArgs(['manage', '--help']), { command: 'help', topic: 'manage' });
  t.deepEqual(parseArgs(['-v']), { command: 'version' });
  t.like(parseArgs(['manage'], { SWARM_DISCOVERY: 'a:1', SWARM_HOST: 'tcp://127.0.0.1:9' }), { flags: { nodes: 'a:1', hosts: ['tcp://127.0.0.1:9'] } });
  t.like(parseArgs(['manage', '-H', ':1', 'b:2'], { SWARM_DISCOVERY: 'a:1', SWARM_HOST: 'x:2' }), { flags: { nodes: 'b:2', hosts: [':1'] } });
});
