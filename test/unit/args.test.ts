import test from 'ava';
import { ConfigError } from '../../config/errors.js';
import { parseArgs } from '../../core/cli/args.js';

test('accepts the exact form existing scripts use', (t) => {
  const parsed = parseArgs(['-l', 'debug', '-experimental', 'manage', '-H', '127.0.0.1:4000', '--heartbeat=1s', '10.0.0.1:2375,10.0.0.2:2375']);
  t.deepEqual(parsed, {
    command: 'manage',
    flags: { logLevel: 'debug', experimental: true, hosts: ['127.0.0.1:4000'], heartbeat: '1000ms', nodes: '10.0.0.1:2375,10.0.0.2:2375' },
  });
});

test('reads every manage flag, repeatable ones repeated', (t) => {
  const parsed = parseArgs([
    'manage',
    '--host',
    'tcp://0.0.0.0:2375',
    '-H=unix:///run/skep.sock',
    '--strategy',
    'spread',
    '-f',
    'health',
    '--filter=health',
    '--engine-refresh-min-interval',
    '5s',
    '--engine-refresh-max-interval=10s',
    '--engine-failure-retry',
    '2',
    '--cluster-opt',
    'swarm.overcommit=0.1',
    '--cluster-opt=swarm.createretry=2',
    '--api-enable-cors',
    'nodes://a:1,b:2',
  ]);
  t.like(parsed, {
    command: 'manage',
    flags: {
      hosts: ['tcp://0.0.0.0:2375', 'unix:///run/skep.sock'],
      strategy: 'spread',
      filters: ['health', 'health'],
      engine: { refreshMinInterval: '5000ms', refreshMaxInterval: '10000ms', failureRetry: 2 },
      clusterOpts: { 'swarm.overcommit': '0.1', 'swarm.createretry': '2' },
      cors: true,
      nodes: 'nodes://a:1,b:2',
    },
  });
});

test("unknown and malformed flags are one-line configuration errors, in classic swarm's words where it had them", (t) => {
  const cases: [string[], RegExp][] = [
    [['manage', '--bogus'], /flag provided but not defined: --bogus/],
    [['--nope', 'manage'], /flag provided but not defined: --nope/],
    [['manage', '-H'], /flag needs an argument: -H/],
    [['manage', '--heartbeat', 'soon'], /^invalid --heartbeat: time: invalid duration soon$/],
    [['manage', '--heartbeat', '30'], /^invalid --heartbeat: time: missing unit in duration 30$/],
    [['manage', '--heartbeat', '5y'], /^invalid --heartbeat: time: unknown unit y in duration 5y$/],
    [['manage', '--heartbeat', '500ms'], /^--heartbeat should be at least one second$/],
    [['manage', '--engine-failure-retry', '0'], /^invalid failure retry count$/],
    [['manage', '--engine-refresh-min-interval', '0s'], /^min refresh interval should be a positive number$/],
    [['manage', '--engine-refresh-min-interval', '-5s'], /^min refresh interval should be a positive number$/],
    [['manage', '--engine-refresh-min-interval', '10s', '--engine-refresh-max-interval', '5s'], /^max refresh interval cannot be less than min refresh interval$/],
    [['manage', '--engine-refresh-retry', '5'], /^--engine-refresh-retry is deprecated. Use --engine-failure-retry$/],
    [['manage', '--cluster-opt', 'nokey'], /expected key=value/],
    [['manage', '--cluster-opt', 'swarm.overcommit=-2'], /^swarm\.overcommit should be larger than -1, -2\.000000 is invalid$/],
    [['manage', '--cluster-opt', 'swarm.createretry=-1'], /^swarm\.createretry can not be negative, -1 is invalid$/],
    [['manage', '--cluster-opt', 'mesos.user=x'], /unsupported cluster option "mesos.user"/],
    [['manage', '--cluster-driver', 'kube'], /^unsupported cluster "kube"$/],
    [['manage', '--discovery-opt', 'novalue'], /^--discovery-opt must contain key=value strings$/],
    [['manage', '--replication', 'etcd://h:2379/p'], /^--advertise address must be provided when using --leader-election$/],
    [['manage', '--replication', '--advertise', '127.0.0.1ab:1bcde', 'etcd://h:2379/p'], /^--advertise should be of the form ip:port or hostname:port$/],
    [['manage', '--replication', '--advertise', '10.0.0.5:2375', '--replication-ttl', '0s', 'etcd://h:2379/p'], /^--replication-ttl should be a positive number$/],
    [['manage', 'a:1', 'b:2'], /expected one discovery argument, got 2/],
    [['join', 'etcd://h:2379/p'], /^missing mandatory --advertise flag$/],
    [['join', '--advertise', '127.0.0.1:0', 'etcd://h:2379/p'], /^--advertise should be of the form ip:port or hostname:port$/],
    [['join', '--advertise', '127.0.0.1:65536', 'etcd://h:2379/p'], /^--advertise should be of the form ip:port or hostname:port$/],
    [['join', '--advertise', '127.0.0.1:2376', '--delay', 'asdf', 'etcd://h:2379/p'], /^invalid --delay: time: invalid duration asdf$/],
    [['join', '--advertise', '127.0.0.1:2376', '--delay=-30s', 'etcd://h:2379/p'], /^--delay should not be a negative number$/],
    [['join', '--advertise', '127.0.0.1:2376', '--heartbeat', '10s', '--ttl', '5s', 'etcd://h:2379/p'], /^--ttl must be strictly superior to the heartbeat value$/],
    [['join', '--advertise', '127.0.0.1:2376'], /^discovery required to join a cluster\. See 'swarm join --help'\.$/],
    [['list', '--timeout', '-10s', 'etcd://h:2379/p'], /^--timeout should be a positive number$/],
    [['list', '--timeout', '0s', 'etcd://h:2379/p'], /^--timeout should be a positive number$/],
    [['list'], /^discovery required to list a cluster\. See 'swarm list --help'\.$/],
    [['launch'], /unknown command "launch"/],
  ];
  for (const [args, message] of cases) {
    const err = t.throws(() => parseArgs(args), { instanceOf: ConfigError }, args.join(' '));
    t.regex(err!.message, message, args.join(' '));
    t.false(err!.message.includes('\n'));
  }
});

test('every flag classic swarm took is accepted: manage, join and list', (t) => {
  t.like(
    parseArgs([
      'manage',
      '--replication',
      '--advertise',
      '10.0.0.5:2375',
      '--replication-ttl',
      '15s',
      '--discovery-opt',
      'kv.path=x',
      '--refresh-on-node-filter',
      '--container-name-refresh-filter',
      'refreshme',
      '-c',
      'swarm',
      '--engine-refresh-retry',
      '3',
      'etcd://10.0.0.9:2379/prod',
    ]),
    {
      command: 'manage',
      flags: { replication: true, advertise: '10.0.0.5:2375', replicationTtl: '15000ms', discoveryOpts: { 'kv.path': 'x' }, refreshOnNodeFilter: true, containerNameRefreshFilter: 'refreshme' },
    },
  );
  t.like(parseArgs(['join', '--addr', '10.0.0.1:2375', '--delay', '2s', '--discovery-opt', 'kv.cacertfile=/ca', 'etcd://h:2379/p']), {
    command: 'join',
    advertise: '10.0.0.1:2375',
    delayMs: 2000,
    discoveryOpts: { 'kv.cacertfile': '/ca' },
    discovery: 'etcd://h:2379/p',
  });
  t.like(parseArgs(['list', '--timeout', '3s', 'file:///x']), { command: 'list', timeoutMs: 3000, discovery: 'file:///x' });
  t.like(parseArgs(['join', 'etcd://h:2379/p'], { SWARM_ADVERTISE: '10.0.0.2:2375' }), { advertise: '10.0.0.2:2375' });
});

test('help, version, and the environment variables classic swarm read', (t) => {
  t.deepEqual(parseArgs(['--help']), { command: 'help' });
  t.deepEqual(parseArgs(['manage', '--help']), { command: 'help', topic: 'manage' });
  t.deepEqual(parseArgs(['-v']), { command: 'version' });
  t.like(parseArgs(['manage'], { SWARM_DISCOVERY: 'a:1', SWARM_HOST: 'tcp://127.0.0.1:9' }), { flags: { nodes: 'a:1', hosts: ['tcp://127.0.0.1:9'] } });
  t.like(parseArgs(['manage', '-H', ':1', 'b:2'], { SWARM_DISCOVERY: 'a:1', SWARM_HOST: 'x:2' }), { flags: { nodes: 'b:2', hosts: [':1'] } });
});

test('the operability flags: --log-format (global or after manage), --status-addr, --shutdown-timeout, --state-file; bad values refused', (t) => {
  const parsed = parseArgs(['--log-format', 'json', 'manage', '--status-addr', '127.0.0.1:9323', '--shutdown-timeout=30s', '--state-file', '/var/lib/skep/nodes.json', '10.0.0.1:2375']);
  t.like(parsed, { command: 'manage', flags: { logFormat: 'json', status: { address: '127.0.0.1:9323' }, shutdownTimeout: '30000ms', stateFile: '/var/lib/skep/nodes.json' } });
  t.like(parseArgs(['manage', '--log-format=text', '--status-addr', '[::1]:9323', 'a:1']), { flags: { logFormat: 'text', status: { address: '[::1]:9323' } } });
  t.throws(() => parseArgs(['--log-format', 'xml', 'manage', 'a:1']), { instanceOf: ConfigError, message: 'invalid value "xml" for flag --log-format (one of text, json)' });
  t.throws(() => parseArgs(['manage', '--status-addr', '9323', 'a:1']), { message: 'invalid value "9323" for flag --status-addr (expected host:port, e.g. 127.0.0.1:9323)' });
  t.throws(() => parseArgs(['manage', '--shutdown-timeout', '10', 'a:1']), { message: 'invalid --shutdown-timeout: time: missing unit in duration 10' });
  t.deepEqual(parseArgs(['node', 'ls', '-H', 'tcp://127.0.0.1:4000']), { command: 'node', args: ['ls', '-H', 'tcp://127.0.0.1:4000'] });
});
