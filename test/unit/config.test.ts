import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { ConfigError } from '../../config/errors.js';
import { privateCacheDir } from '../../config/import-module.js';
import { loadConfig, loadConfigFile } from '../../config/load.js';
import { resolveConfig } from '../../config/resolve.js';
import { validateConfig } from '../../config/validate.js';
import { loadPlugins } from '../../core/plugins.js';
import { REPO_ROOT } from '../harness/skep.js';

test('a bad key is named, with what was expected and what was given', (t) => {
  const cases: [unknown, RegExp][] = [
    [{ strategy: 3 }, /"strategy" must be a non-empty string \(got 3\)/],
    [{ nodes: [1] }, /"nodes" must be a list of addresses/],
    [{ engine: { failureRetry: 0 } }, /"engine.failureRetry" must be a whole number of at least 1/],
    [
      { engine: { refreshMinInterval: 'soon' } },
      /"engine.refreshMinInterval" must be a duration with a unit/,
    ],
    [
      { heartbeat: 30 },
      /^swarm.config.ts: "heartbeat" must be a duration with a unit, as Go writes it \("30s", "1m30s", "500ms"\); a bare number has no unit \(got 30\)$/,
    ],
    [
      { engine: { requestTimeout: '30' } },
      /"engine.requestTimeout" must be a duration with a unit.*\(got "30"\)$/,
    ],
    [{ logLevel: 'loud' }, /"logLevel" must be one of debug, info, warn, error/],
    [{ stratgey: 'spread' }, /unknown key "stratgey"/],
    [{ engine: { retries: 1 } }, /unknown key "engine.retries"/],
    [
      { clusterOpts: { 'swarm.overcomit': '0.1' } },
      /unknown key "clusterOpts.swarm.overcomit" \(known: clusterOpts.swarm.overcommit, clusterOpts.swarm.createretry\)/,
    ],
    [
      { clusterOpts: { 'swarm.createretry': '-1' } },
      /"clusterOpts.swarm.createretry" must be valid: swarm.createretry can not be negative, -1 is invalid/,
    ],
    [{ tls: { verfy: true } }, /unknown key "tls.verfy"/],
    [[], /default export must be an object/],
  ];
  for (const [raw, message] of cases) {
    const err = t.throws(() => validateConfig(raw, 'swarm.config.ts'), { instanceOf: ConfigError });
    t.regex(err!.message, message);
    t.true(err!.message.startsWith('swarm.config.ts'));
  }
});

test('defaults, then the file, then flags', (t) => {
  const resolved = resolveConfig(
    {
      nodes: ['a:1', 'b:2'],
      strategy: 'spread',
      heartbeat: '5s',
      engine: { failureRetry: 5, refreshMinInterval: '1s', refreshMaxInterval: '2s' },
    },
    { nodes: 'c:3', engine: { failureRetry: 2 } },
  );
  t.deepEqual(resolved.nodes, ['c:3']);
  t.is(resolved.heartbeatMs, 5000);
  t.is(resolved.engine.failureRetry, 2);
  t.is(resolved.engine.refreshMinMs, 1000);
  t.deepEqual(resolved.hosts, ['tcp://127.0.0.1:2375']);
  t.deepEqual(resolveConfig({}, {}).nodes, ['unix:///var/run/docker.sock']);
  t.throws(
    () => resolveConfig({ engine: { refreshMinInterval: '10s', refreshMaxInterval: '1s' } }, {}),
    { message: /^max refresh interval cannot be less than min refresh interval/ },
  );
});

test("replication needs an advertised address and etcd discovery, in classic's words first; authorization plugins are allowed with it", (t) => {
  const etcd = { nodes: 'etcd://10.0.0.9:2379/prod', replication: true };
  t.throws(() => resolveConfig(etcd, {}), {
    message: '--advertise address must be provided when using --leader-election',
  });
  t.throws(
    () => resolveConfig({ ...etcd, nodes: '10.0.0.1:2375', advertise: '10.0.0.5:2375' }, {}),
    {
      message:
        /^Leader election is only supported with consul, etcd and zookeeper discovery\. Skep elects on etcd/,
    },
  );
  t.throws(
    () => resolveConfig({ ...etcd, advertise: '10.0.0.5:2375', replicationTtl: '500ms' }, {}),
    { message: /^--replication-ttl should be at least one second/ },
  );
  // replicas vouch for the clients they forward (core/api/forwarded-client.ts)
  t.like(
    resolveConfig({ ...etcd, advertise: '10.0.0.5:2375', authorizationPlugins: ['authz'] }, {}),
    { replication: true, authorizationPlugins: ['authz'] },
  );
  const resolved = resolveConfig({ ...etcd, advertise: '10.0.0.5:2375' }, {});
  t.like(resolved, { replication: true, advertise: '10.0.0.5:2375', replicationTtlMs: 2000 });
});

test('finds a config file by cosmiconfig search and validates it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skep-config-'));
  writeFileSync(
    join(dir, '.swarmrc.json'),
    JSON.stringify({ nodes: ['10.0.0.1:2375'], strategy: 'spread' }),
  );
  const config = await loadConfig({ hosts: ['127.0.0.1:9'] }, { cwd: dir });
  t.deepEqual(config.nodes, ['10.0.0.1:2375']);
  t.deepEqual(config.hosts, ['127.0.0.1:9']);
  t.is(config.configFile, join(dir, '.swarmrc.json'));

  const bad = mkdtempSync(join(tmpdir(), 'skep-config-'));
  writeFileSync(join(bad, '.swarmrc.json'), JSON.stringify({ filters: 'health' }));
  await t.throwsAsync(loadConfig({}, { cwd: bad }), {
    instanceOf: ConfigError,
    message: /\.swarmrc\.json: "filters" must be a list/,
  });
});

test('a swarm key in package.json is a config too', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skep-config-'));
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({
      name: 'ops',
      swarm: { nodes: 'nodes://10.0.0.[1:2]:2375', strategy: 'spread' },
    }),
  );
  const config = await loadConfig({}, { cwd: dir });
  t.deepEqual(config.nodes, ['nodes://10.0.0.[1:2]:2375']);
  t.is(config.configFile, join(dir, 'package.json'));
});

test("the project's own swarm.config.ts loads through defineConfig from the package", async (t) => {
  const { config, filepath } = await loadConfigFile({ cwd: REPO_ROOT });
  t.is(filepath, join(REPO_ROOT, 'swarm.config.ts'));
  t.is(config.strategy, 'spread');
});

test('a config outside the checkout, found from a folder below it, imports skep and lists a .ts plugin; nothing is written', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'skep-outside-'));
  const below = join(root, 'deploy', 'today');
  mkdirSync(below, { recursive: true });
  writeFileSync(
    join(root, 'swarm.config.ts'),
    `
    import { defineConfig, DockerError } from 'skep';
    const refusal: DockerError = new DockerError(403, 'checked at load');
    export default defineConfig({ nodes: ['10.0.0.1:2375'], strategy: 'binpack', heartbeat: '20s', plugins: [['./audit.ts', { status: refusal.status }]] });
  `,
  );
  writeFileSync(
    join(root, 'audit.ts'),
    `
    import { DockerError, type SkepPlugin } from 'skep';
    export default (options: { status: number }): SkepPlugin => ({ name: 'audit-' + new DockerError(options.status, 'x').status, apply() {} });
  `,
  );
  const before = readdirSync(root, { recursive: true }).sort();
  const tempBefore = readdirSync(tmpdir()).filter((f) => /jiti|skep-ts-cache/.test(f));
  chmodSync(root, 0o555); // read-only (for a user other than root, which CI's unit tier may be)
  t.teardown(() => chmodSync(root, 0o755));
  const config = await loadConfig({}, { cwd: below });
  t.is(config.configFile, join(root, 'swarm.config.ts'));
  t.is(config.strategy, 'binpack');
  t.is(config.heartbeatMs, 20_000);
  const plugins = await loadPlugins(config.plugins, root);
  t.deepEqual(
    plugins.map((p) => p.name),
    ['audit-403'],
  );
  t.deepEqual(
    readdirSync(root, { recursive: true }).sort(),
    before,
    'nothing written next to the config',
  );
  t.deepEqual(
    readdirSync(tmpdir()).filter((f) => /jiti|skep-ts-cache/.test(f)),
    tempBefore,
    'and no transpile cache in the shared temp folder',
  );
});

test('a config file that fails to load is named in the error, never a temporary file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skep-broken-'));
  writeFileSync(
    join(dir, 'swarm.config.ts'),
    "const token: string = process.env.NOPE ?? '';\nif (!token) throw new Error('NOPE is not set');\nexport default {};\n",
  );
  await t.throwsAsync(loadConfig({}, { cwd: dir }), {
    instanceOf: ConfigError,
    message: `${join(dir, 'swarm.config.ts')}: NOPE is not set`,
  });
  writeFileSync(join(dir, 'swarm.config.ts'), 'export default { nodes: [1,\n');
  await t.throwsAsync(loadConfig({}, { cwd: dir }), {
    message: new RegExp(`^${join(dir, 'swarm.config.ts')}: `),
  });
});

test("transpiled TypeScript is cached only in a folder of the user's own that nobody else can write", (t) => {
  const saved = process.env.XDG_CACHE_HOME;
  t.teardown(() =>
    saved === undefined ? delete process.env.XDG_CACHE_HOME : (process.env.XDG_CACHE_HOME = saved),
  );
  const home = mkdtempSync(join(tmpdir(), 'skep-cache-'));
  process.env.XDG_CACHE_HOME = home;
  t.is(privateCacheDir(), join(home, 'skep'), 'made, mode 0700');
  t.is(statSync(join(home, 'skep')).mode & 0o777, 0o700);
  chmodSync(join(home, 'skep'), 0o777);
  t.is(privateCacheDir(), undefined, 'a folder others can write is not used');
  const planted = mkdtempSync(join(tmpdir(), 'skep-planted-'));
  rmSync(join(home, 'skep'), { recursive: true });
  symlinkSync(planted, join(home, 'skep'));
  t.is(privateCacheDir(), undefined, 'nor a link to somewhere else');
});

test('the operator listener, log format, shutdown timeout and state file from the file; the state file beside it', (t) => {
  const resolved = resolveConfig(
    {
      status: { address: '127.0.0.1:9323' },
      logFormat: 'json',
      shutdownTimeout: '5s',
      stateFile: 'state/nodes.json',
    },
    {},
    '/etc/skep/swarm.config.ts',
  );
  t.like(resolved, {
    statusAddress: '127.0.0.1:9323',
    logFormat: 'json',
    shutdownTimeoutMs: 5000,
    stateFile: '/etc/skep/state/nodes.json',
  });
  t.is(resolveConfig({}, {}, '/etc/skep/swarm.config.ts').stateFile, '/etc/skep/skep-nodes.json');
  t.is(resolveConfig({}, {}).shutdownTimeoutMs, 10_000);
  t.throws(() => resolveConfig({ status: { address: 'localhost' } }, {}), {
    message:
      'invalid operator listener address "localhost" ("status.address", --status-addr): expected host:port, e.g. 127.0.0.1:9323',
  });
  t.throws(() => validateConfig({ status: { port: 1 } }, 'swarm.config.ts'), {
    message: /unknown key "status.port" \(known: status.address\)/,
  });
  t.throws(() => validateConfig({ logFormat: 'xml' }, 'swarm.config.ts'), {
    message: 'swarm.config.ts: "logFormat" must be one of text, json (got "xml")',
  });
});
