import test from 'ava';
import { CLUSTER_OPTS } from '../../config/cluster-opts.js';
import { ConfigError } from '../../config/errors.js';
import { resolveConfig } from '../../config/resolve.js';
import { parseArgs, type ParsedManage } from '../../core/cli/args.js';
import { HELP_COMMAND, SWARM } from '../../core/cli/commands.js';
import type { CommandData, FlagData } from '../../core/cli/flag.js';
import { helpFor } from '../../core/cli/help.js';
import { JOIN } from '../../core/cli/join-flags.js';
import { LIST } from '../../core/cli/list-flags.js';
import { MANAGE } from '../../core/cli/manage-flags.js';
import { NODE } from '../../core/cli/node-flags.js';
import { parseNodeCommand } from '../../core/cli/node-command.js';

test('accepts the exact form existing scripts use', (t) => {
  const parsed = parseArgs([
    '-l',
    'debug',
    '-experimental',
    'manage',
    '-H',
    '127.0.0.1:4000',
    '--heartbeat=1s',
    '10.0.0.1:2375,10.0.0.2:2375',
  ]);
  t.deepEqual(parsed, {
    command: 'manage',
    flags: {
      logLevel: 'debug',
      experimental: true,
      hosts: ['127.0.0.1:4000'],
      heartbeat: '1000ms',
      nodes: '10.0.0.1:2375,10.0.0.2:2375',
    },
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
    [
      ['manage', '--engine-refresh-min-interval', '0s'],
      /^min refresh interval should be a positive number$/,
    ],
    [
      ['manage', '--engine-refresh-min-interval', '-5s'],
      /^min refresh interval should be a positive number$/,
    ],
    [
      ['manage', '--engine-refresh-min-interval', '10s', '--engine-refresh-max-interval', '5s'],
      /^max refresh interval cannot be less than min refresh interval$/,
    ],
    [
      ['manage', '--engine-refresh-retry', '5'],
      /^--engine-refresh-retry is deprecated. Use --engine-failure-retry$/,
    ],
    [['manage', '--cluster-opt', 'nokey'], /expected key=value/],
    [
      ['manage', '--cluster-opt', 'swarm.overcommit=-2'],
      /^swarm\.overcommit should be larger than -1, -2\.000000 is invalid$/,
    ],
    [
      ['manage', '--cluster-opt', 'swarm.createretry=-1'],
      /^swarm\.createretry can not be negative, -1 is invalid$/,
    ],
    [['manage', '--cluster-opt', 'mesos.user=x'], /unsupported cluster option "mesos.user"/],
    [['manage', '--cluster-driver', 'kube'], /^unsupported cluster "kube"$/],
    [['manage', '--discovery-opt', 'novalue'], /^--discovery-opt must contain key=value strings$/],
    [
      ['manage', '--replication', 'etcd://h:2379/p'],
      /^--advertise address must be provided when using --leader-election$/,
    ],
    [
      ['manage', '--replication', '--advertise', '127.0.0.1ab:1bcde', 'etcd://h:2379/p'],
      /^--advertise should be of the form ip:port or hostname:port$/,
    ],
    [
      [
        'manage',
        '--replication',
        '--advertise',
        '10.0.0.5:2375',
        '--replication-ttl',
        '0s',
        'etcd://h:2379/p',
      ],
      /^--replication-ttl should be a positive number$/,
    ],
    [['manage', 'a:1', 'b:2'], /expected one discovery argument, got 2/],
    [['join', 'etcd://h:2379/p'], /^missing mandatory --advertise flag$/],
    [
      ['join', '--advertise', '127.0.0.1:0', 'etcd://h:2379/p'],
      /^--advertise should be of the form ip:port or hostname:port$/,
    ],
    [
      ['join', '--advertise', '127.0.0.1:65536', 'etcd://h:2379/p'],
      /^--advertise should be of the form ip:port or hostname:port$/,
    ],
    [
      ['join', '--advertise', '127.0.0.1:2376', '--delay', 'asdf', 'etcd://h:2379/p'],
      /^invalid --delay: time: invalid duration asdf$/,
    ],
    [
      ['join', '--advertise', '127.0.0.1:2376', '--delay=-30s', 'etcd://h:2379/p'],
      /^--delay should not be a negative number$/,
    ],
    [
      [
        'join',
        '--advertise',
        '127.0.0.1:2376',
        '--heartbeat',
        '10s',
        '--ttl',
        '5s',
        'etcd://h:2379/p',
      ],
      /^--ttl must be strictly superior to the heartbeat value$/,
    ],
    [
      ['join', '--advertise', '127.0.0.1:2376'],
      /^discovery required to join a cluster\. See 'swarm join --help'\.$/,
    ],
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
      flags: {
        replication: true,
        advertise: '10.0.0.5:2375',
        replicationTtl: '15000ms',
        discoveryOpts: { 'kv.path': 'x' },
        refreshOnNodeFilter: true,
        containerNameRefreshFilter: 'refreshme',
      },
    },
  );
  t.like(
    parseArgs([
      'join',
      '--addr',
      '10.0.0.1:2375',
      '--delay',
      '2s',
      '--discovery-opt',
      'kv.cacertfile=/ca',
      'etcd://h:2379/p',
    ]),
    {
      command: 'join',
      advertise: '10.0.0.1:2375',
      delayMs: 2000,
      discoveryOpts: { 'kv.cacertfile': '/ca' },
      discovery: 'etcd://h:2379/p',
    },
  );
  t.like(parseArgs(['list', '--timeout', '3s', 'file:///x']), {
    command: 'list',
    timeoutMs: 3000,
    discovery: 'file:///x',
  });
  t.like(parseArgs(['join', 'etcd://h:2379/p'], { SWARM_ADVERTISE: '10.0.0.2:2375' }), {
    advertise: '10.0.0.2:2375',
  });
});

test('help, version, and the environment variables classic swarm read', (t) => {
  t.deepEqual(parseArgs(['--help']), { command: 'help' });
  t.deepEqual(parseArgs(['manage', '--help']), { command: 'help', topic: 'manage' });
  t.deepEqual(parseArgs(['-v']), { command: 'version' });
  t.like(parseArgs(['manage'], { SWARM_DISCOVERY: 'a:1', SWARM_HOST: 'tcp://127.0.0.1:9' }), {
    flags: { nodes: 'a:1', hosts: ['tcp://127.0.0.1:9'] },
  });
  t.like(parseArgs(['manage', '-H', ':1', 'b:2'], { SWARM_DISCOVERY: 'a:1', SWARM_HOST: 'x:2' }), {
    flags: { nodes: 'b:2', hosts: [':1'] },
  });
});

test('the operability flags: --log-format (global or after manage), --status-addr, --shutdown-timeout, --state-file; bad values refused', (t) => {
  const parsed = parseArgs([
    '--log-format',
    'json',
    'manage',
    '--status-addr',
    '127.0.0.1:9323',
    '--shutdown-timeout=30s',
    '--state-file',
    '/var/lib/skep/nodes.json',
    '10.0.0.1:2375',
  ]);
  t.like(parsed, {
    command: 'manage',
    flags: {
      logFormat: 'json',
      status: { address: '127.0.0.1:9323' },
      shutdownTimeout: '30000ms',
      stateFile: '/var/lib/skep/nodes.json',
    },
  });
  t.like(parseArgs(['manage', '--log-format=text', '--status-addr', '[::1]:9323', 'a:1']), {
    flags: { logFormat: 'text', status: { address: '[::1]:9323' } },
  });
  t.throws(() => parseArgs(['--log-format', 'xml', 'manage', 'a:1']), {
    instanceOf: ConfigError,
    message: 'invalid value "xml" for flag --log-format (one of text, json)',
  });
  t.throws(() => parseArgs(['manage', '--status-addr', '9323', 'a:1']), {
    message:
      'invalid value "9323" for flag --status-addr (expected host:port, e.g. 127.0.0.1:9323)',
  });
  t.throws(() => parseArgs(['manage', '--shutdown-timeout', '10', 'a:1']), {
    message: 'invalid --shutdown-timeout: time: missing unit in duration 10',
  });
  t.deepEqual(parseArgs(['node', 'ls', '-H', 'tcp://127.0.0.1:4000']), {
    command: 'node',
    args: ['ls', '-H', 'tcp://127.0.0.1:4000'],
  });
});

/** The program and each command, as `swarm [command] --help` shows them (`swarm help help` is the program's). */
const COMMANDS = SWARM.commands.filter((c) => c !== HELP_COMMAND);
type Helped = readonly [topic: string | undefined, command: CommandData];
const HELPED: Helped[] = [[undefined, SWARM], ...COMMANDS.map((c): Helped => [c.names[0], c])];

/** The lines of a help that show a flag. */
const flagLinesOf = (help: string) => help.split('\n').filter((line) => /^ +-/.test(line));

/** The help's lines for a flag: its names, then a space or a tab (`--tls` is not `--tlsverify`). */
function linesOf(help: string, flag: FlagData): string[] {
  const names = flag.names.map((n) => (n.length === 1 ? `-${n}` : `--${n}`)).join(', ');
  return flagLinesOf(help).filter((line) =>
    [' ', '\t'].some((after) => line.trimStart().startsWith(names + after)),
  );
}

/** Tabs expanded to stops of 8, as a terminal shows them. */
function expand(line: string): string {
  const toNextStop = (shown: string) => shown.padEnd((Math.floor(shown.length / 8) + 1) * 8);
  return line.split('\t').reduce((shown, cell) => toNextStop(shown) + cell);
}

test('the help lists every flag of the table, with its default, values and variable', (t) => {
  for (const [topic, command] of HELPED) {
    const help = helpFor(topic);
    for (const flag of command.flags) {
      const lines = linesOf(help, flag);
      t.is(lines.length, 1, `${topic ?? 'swarm'} ${flag.names[0]}`);
      const line = lines[0] ?? '';
      t.true(line.includes(flag.usage), line);
      if (typeof flag.default === 'string') t.true(line.includes(`"${flag.default}"`), line);
      for (const item of Array.isArray(flag.default) ? flag.default : [])
        t.true(line.includes(item), line);
      if (flag.values) t.true(line.includes(`[${flag.values.join(', ')}]`), line);
      if (flag.env) t.true(line.endsWith(`[$${flag.env}]`), line);
    }
    // and nothing else: every flag line of the help is one of the table's
    t.is(flagLinesOf(help).length, command.flags.length, topic ?? 'swarm');
    const { argument, subcommands = [] } = command;
    if (argument)
      t.true(help.includes(`${argument.name}    discovery service to use [$${argument.env}]`));
    for (const form of argument?.forms ?? []) t.true(help.includes(`* ${form}`), form);
    for (const sub of subcommands) t.true(help.includes(`  ${sub.names.join(', ')}`), sub.names[0]);
  }
  const commandLines = helpFor().split('\n');
  for (const { names, usage } of SWARM.commands) {
    const listed = (line: string) =>
      line.startsWith(`  ${names.join(', ')}\t`) && line.endsWith(`\t${usage}`);
    t.true(commandLines.some(listed), names[0]);
  }
});

test('what had drifted: seven filters, --log-format, the strategies, $SWARM_DISCOVERY', (t) => {
  const help = helpFor('manage');
  const filters = 'health, port, containerslots, dependency, affinity, constraint, whitelist';
  t.regex(
    help,
    new RegExp(
      `\\n {3}--filter, -f \\[--filter option --filter option\\]\\t+filter to use \\[${filters}\\]`,
    ),
  );
  t.regex(help, /\n {3}--log-format "text"\t+log format \[text, json\]\n/);
  t.regex(
    help,
    /\n {3}--strategy "spread"\t+placement strategy to use \[spread, binpack, random\]\n/,
  );
  t.regex(
    help,
    /\t+ip\/socket to listen on \(default: tcp:\/\/127\.0\.0\.1:2375\) \[\$SWARM_HOST\]\n/,
  );
  t.regex(help, /<discovery> {4}discovery service to use \[\$SWARM_DISCOVERY\]/);
  for (const key of Object.keys(CLUSTER_OPTS))
    t.regex(help, new RegExp(`\\* ${key.replace('.', '\\.')}=`), key);
  t.regex(helpFor(), /\n {2}--debug\t+debug mode \[\$DEBUG\]\n/);
  t.regex(helpFor('join'), /\[\$SWARM_ADVERTISE\]\n/);
  t.regex(
    helpFor('node'),
    /--host, -H "unix:\/\/\/var\/run\/docker\.sock"\t+the manager: .* \[\$DOCKER_HOST\]\n/,
  );
  t.is(helpFor('m'), help);
  t.is(helpFor('help'), helpFor());
  t.is(helpFor('bogus'), "No help topic for 'bogus'\n");
});

test("laid out as classic's urfave/cli: tab-aligned, byte for byte where classic printed the same", (t) => {
  // classic's own `swarm list --help` (docs/reference/help.md)
  const timeout = '   --timeout "10s"\t\t\t\t\t\t\ttimeout period\n';
  const discoveryOpt =
    '   --discovery-opt [--discovery-opt option --discovery-opt option]\tdiscovery options\n';
  t.true(helpFor('list').includes(timeout + discoveryOpt));
  for (const [topic] of HELPED) {
    // where each usage begins on a terminal: after the line's last tab
    const start = (line: string) =>
      expand(line).lastIndexOf(line.slice(line.lastIndexOf('\t') + 1));
    const columns = new Set(flagLinesOf(helpFor(topic)).map(start));
    t.is(columns.size, 1, `${topic ?? 'swarm'}: one column for the usages`);
    t.is([...columns][0]! % 8, 0, 'at a tab stop');
  }
});

test('the defaults the help shows are those that apply: given explicitly, they change nothing', (t) => {
  const asGiven = (flag: FlagData) =>
    [flag.default ?? []].flat().flatMap((value) => [`--${flag.names[0]}`, value]);
  const withDefaults = (command: CommandData) =>
    command.flags.filter((f) => f.default !== undefined);
  const resolved = (args: string[]) => {
    const parsed = parseArgs(args);
    return parsed.command === 'manage' ? resolveConfig({}, parsed.flags) : parsed;
  };
  for (const flag of withDefaults(MANAGE)) {
    t.deepEqual(resolved(['manage', ...asGiven(flag)]), resolved(['manage']), flag.names[0]);
  }
  for (const flag of withDefaults(SWARM)) {
    t.deepEqual(resolved([...asGiven(flag), 'manage']), resolved(['manage']), flag.names[0]);
  }
  const join = ['--advertise', '10.0.0.1:2375', 'etcd://h:2379/p'];
  for (const flag of withDefaults(JOIN)) {
    t.deepEqual(
      parseArgs(['join', ...asGiven(flag), ...join]),
      parseArgs(['join', ...join]),
      flag.names[0],
    );
  }
  for (const flag of withDefaults(LIST)) {
    t.deepEqual(
      parseArgs(['list', ...asGiven(flag), 'file:///x']),
      parseArgs(['list', 'file:///x']),
      flag.names[0],
    );
  }
  for (const flag of withDefaults(NODE)) {
    t.deepEqual(
      parseNodeCommand(['ls', ...asGiven(flag)], {}),
      parseNodeCommand(['ls'], {}),
      flag.names[0],
    );
  }
  t.like(parseArgs(['join', ...join]), { heartbeatMs: 60_000, ttlMs: 180_000, delayMs: 0 });
  t.like(parseArgs(['list', 'file:///x']), { timeoutMs: 10_000 });
});

test('the variables the table names, read as classic and the docker CLI read them', (t) => {
  function logLevel(args: string[], env: Record<string, string> = {}) {
    return (parseArgs(args, env) as ParsedManage).flags.logLevel;
  }
  t.is(logLevel(['manage', 'a:1'], { DEBUG: '1' }), 'debug');
  t.is(logLevel(['manage', 'a:1'], { DEBUG: 'true' }), 'debug');
  // urfave/cli ignored a variable that was not a boolean; --log-level wins over debug mode, as in classic
  t.is(logLevel(['manage', 'a:1'], { DEBUG: 'express:*' }), undefined);
  t.is(logLevel(['-l', 'warn', 'manage', 'a:1'], { DEBUG: '1' }), 'warn');
  t.is(logLevel(['-l', 'warn', '--debug', 'manage', 'a:1']), 'warn');
  t.is(logLevel(['--debug', 'manage', 'a:1']), 'debug');
  const advertise = { SWARM_ADVERTISE: '10.0.0.5:2375' };
  t.like(parseArgs(['manage', 'a:1'], advertise), { flags: { advertise: '10.0.0.5:2375' } });
  const given = parseArgs(['manage', '--advertise', '10.0.0.6:2375', 'a:1'], advertise);
  t.like(given, { flags: { advertise: '10.0.0.6:2375' } });
  t.like(parseArgs(['list'], { SWARM_DISCOVERY: 'file:///x' }), { discovery: 'file:///x' });
  // the docker CLI's: any DOCKER_TLS_VERIFY turns TLS on; -H over DOCKER_HOST
  t.true(parseNodeCommand(['ls'], { DOCKER_TLS_VERIFY: '0' }).tls);
  t.false(parseNodeCommand(['ls'], { DOCKER_TLS_VERIFY: '' }).tls);
  t.false(parseNodeCommand(['ls', '--tlsverify=false'], { DOCKER_TLS_VERIFY: '1' }).tls);
  t.is(parseNodeCommand(['ls', '-H', 'tcp://b:1'], { DOCKER_HOST: 'tcp://a:1' }).host, 'tcp://b:1');
});

test('one parser for swarm node and swarm manage: Go-style flags anywhere, in each command its words', (t) => {
  t.like(
    parseNodeCommand(['-H=tcp://m:4000', 'update', 'node1', '-availability', 'pause', '--tls'], {}),
    {
      action: 'update',
      node: 'node1',
      host: 'tcp://m:4000',
      tls: true,
      change: { Availability: 'pause' },
    },
  );
  t.is(parseNodeCommand(['list'], {}).action, 'ls');
  t.is(parseNodeCommand(['update', 'node1', '--help'], {}).action, 'help');
  const NOT_A_NUMBER = '--engine-failure-retry: parse error';
  const UNKNOWN_UNIT = '--engine-refresh-min-interval: time: unknown unit y in duration 5y';
  const refused: [() => unknown, string][] = [
    [
      () => parseNodeCommand(['update', 'node1', '--availability'], {}),
      'flag needs an argument: --availability',
    ],
    [
      () => parseNodeCommand(['ls', '--tls=maybe'], {}),
      'invalid boolean value "maybe" for flag --tls',
    ],
    [() => parseArgs(['manage', '--tls=maybe']), 'invalid boolean value "maybe" for flag --tls'],
    [
      () => parseArgs(['join', '--bogus']),
      "join: flag provided but not defined: --bogus (see 'swarm join --help')",
    ],
    [
      () => parseArgs(['--nope']),
      "swarm: flag provided but not defined: --nope (see 'swarm --help')",
    ],
    [
      () => parseArgs(['manage', '-engine-failure-retry=x']),
      `invalid value "x" for flag ${NOT_A_NUMBER}`,
    ],
    [
      () => parseArgs(['manage', '--engine-refresh-min-interval=5y']),
      `invalid value "5y" for flag ${UNKNOWN_UNIT}`,
    ],
    [() => parseArgs(['--', 'manage']), `swarm: unknown command "--"; see 'swarm --help'`],
  ];
  for (const [parse, message] of refused) t.throws(parse, { instanceOf: ConfigError, message });
  const tls = parseArgs(['manage', '--tls=T', '--tlsverify=1', '--cors=false', 'a:1']);
  t.like(tls, { flags: { tls: { enabled: true, verify: true }, cors: false } });
});
