import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { ConfigError } from '../../config/errors.js';
import { loadConfig, loadConfigFile } from '../../config/load.js';
import { resolveConfig } from '../../config/resolve.js';
import { validateConfig } from '../../config/validate.js';
import { REPO_ROOT } from '../harness/skep.js';

test('a bad key is named, with what was expected and what was given', (t) => {
  const cases: [unknown, RegExp][] = [
    [{ strategy: 3 }, /"strategy" must be a non-empty string \(got 3\)/],
    [{ nodes: [1] }, /"nodes" must be a list of addresses/],
    [{ engine: { failureRetry: 0 } }, /"engine.failureRetry" must be a whole number of at least 1/],
    [{ engine: { refreshMinInterval: 'soon' } }, /"engine.refreshMinInterval" must be a duration/],
    [{ logLevel: 'loud' }, /"logLevel" must be one of debug, info, warn, error/],
    [{ stratgey: 'spread' }, /unknown key "stratgey"/],
    [{ engine: { retries: 1 } }, /unknown key "engine.retries"/],
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
    { nodes: ['a:1', 'b:2'], strategy: 'spread', heartbeat: '5s', engine: { failureRetry: 5, refreshMinInterval: '1s', refreshMaxInterval: '2s' } },
    { nodes: 'c:3', engine: { failureRetry: 2 } },
  );
  t.deepEqual(resolved.nodes, ['c:3']);
  t.is(resolved.heartbeatMs, 5000);
  t.is(resolved.engine.failureRetry, 2);
  t.is(resolved.engine.refreshMinMs, 1000);
  t.deepEqual(resolved.hosts, ['tcp://127.0.0.1:2375']);
  t.deepEqual(resolveConfig({}, {}).nodes, ['unix:///var/run/docker.sock']);
  t.throws(() => resolveConfig({ engine: { refreshMinInterval: '10s', refreshMaxInterval: '1s' } }, {}), { message: /^max refresh interval cannot be less than min refresh interval/ });
});

test('finds a config file by cosmiconfig search and validates it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skep-config-'));
  writeFileSync(join(dir, '.swarmrc.json'), JSON.stringify({ nodes: ['10.0.0.1:2375'], strategy: 'spread' }));
  const config = await loadConfig({ hosts: ['127.0.0.1:9'] }, { cwd: dir });
  t.deepEqual(config.nodes, ['10.0.0.1:2375']);
  t.deepEqual(config.hosts, ['127.0.0.1:9']);
  t.is(config.configFile, join(dir, '.swarmrc.json'));

  const bad = mkdtempSync(join(tmpdir(), 'skep-config-'));
  writeFileSync(join(bad, '.swarmrc.json'), JSON.stringify({ filters: 'health' }));
  await t.throwsAsync(loadConfig({}, { cwd: bad }), { instanceOf: ConfigError, message: /\.swarmrc\.json: "filters" must be a list/ });
});

test('a swarm key in package.json is a config too', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skep-config-'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'ops', swarm: { nodes: 'nodes://10.0.0.[1:2]:2375', strategy: 'spread' } }));
  const config = await loadConfig({}, { cwd: dir });
  t.deepEqual(config.nodes, ['nodes://10.0.0.[1:2]:2375']);
  t.is(config.configFile, join(dir, 'package.json'));
});

test("the project's own swarm.config.ts loads through defineConfig from the package", async (t) => {
  const { config, filepath } = await loadConfigFile({ cwd: REPO_ROOT });
  t.is(filepath, join(REPO_ROOT, 'swarm.config.ts'));
  t.is(config.strategy, 'spread');
});
