import test from 'ava';
import { ConfigError } from '../../config/errors.js';
import { parseEngineAddress } from '../../core/cluster/address.js';
import { createDiscovery, registerDiscovery } from '../../core/discovery/index.js';
import { StaticDiscovery } from '../../core/discovery/static.js';
import { EtcdDiscovery, parseEtcdSpec } from '../../core/discovery/etcd.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

test('static lists: nodes://, bare lists, ranges, duplicates dropped', (t) => {
  t.deepEqual(new StaticDiscovery(['nodes://10.0.0.1:2375,10.0.0.2:2375']).entries, [
    '10.0.0.1:2375',
    '10.0.0.2:2375',
  ]);
  t.deepEqual(new StaticDiscovery(['10.0.0.[10:12]:2375', '10.0.0.11:2375']).entries, [
    '10.0.0.10:2375',
    '10.0.0.11:2375',
    '10.0.0.12:2375',
  ]);
  t.deepEqual(new StaticDiscovery(['unix:///var/run/docker.sock']).entries, [
    'unix:///var/run/docker.sock',
  ]);
  t.throws(() => new StaticDiscovery(['10.0.0.[5:1]:2375']), {
    instanceOf: ConfigError,
    message: /1 is below 5/,
  });
});

const options = { heartbeatMs: 1000 };

test('the dead hosted token service and unknown schemes say so; static lists report once', (t) => {
  t.throws(() => createDiscovery(['token://abc'], options), {
    instanceOf: ConfigError,
    message: /shut down in 2019/,
  });
  t.throws(() => createDiscovery(['consul://127.0.0.1:8500/swarm'], options), {
    instanceOf: ConfigError,
    message:
      /consul:\/\/ discovery is not supported \(use nodes:\/\/, file:\/\/, etcd:\/\/ or zk:\/\/\)/,
  });
  t.true(createDiscovery(['etcd://127.0.0.1:2379/swarm'], options) instanceof EtcdDiscovery);
  let seen: string[] = [];
  createDiscovery(['a:1,b:2'], options).watch((entries) => (seen = entries));
  t.deepEqual(seen, ['a:1', 'b:2']);
});

test('etcd specs: hosts and classic swarm key layout (the election and Skep state beside the nodes)', (t) => {
  t.deepEqual(parseEtcdSpec('etcd://10.0.0.1:2379,10.0.0.2:2379/swarm'), {
    endpoints: ['10.0.0.1:2379', '10.0.0.2:2379'],
    prefix: 'swarm/docker/swarm/nodes/',
    root: 'swarm/docker/swarm/',
  });
  t.deepEqual(parseEtcdSpec('etcd://127.0.0.1:2379'), {
    endpoints: ['127.0.0.1:2379'],
    prefix: 'docker/swarm/nodes/',
    root: 'docker/swarm/',
  });
  // classic's --discovery-opt kv.path: the nodes under <path>/<kv.path>
  t.is(parseEtcdSpec('etcd://127.0.0.1:2379/swarm', '/my/nodes/').prefix, 'swarm/my/nodes/');
  t.throws(() => parseEtcdSpec('etcd:///nohost'), { instanceOf: ConfigError });
});

test('file discovery: lines, ranges, comments; the file is followed as it changes; a bad edit keeps the last list', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skep-file-'));
  const file = join(dir, 'nodes');
  writeFileSync(file, '# the cluster\n10.0.0.1:2375\n10.0.0.[2:3]:2375\n\n');
  const discovery = createDiscovery([`file://${file}`], options);
  const lists: string[][] = [];
  const stop = discovery.watch((entries) => lists.push(entries));
  t.deepEqual(lists, [['10.0.0.1:2375', '10.0.0.2:2375', '10.0.0.3:2375']]);
  const pause = () => new Promise((r) => setTimeout(r, 1600));
  writeFileSync(file, 'not an address at all:99999\n');
  await pause();
  t.is(lists.length, 1, 'a wrong file keeps the last list');
  writeFileSync(file, '10.0.0.1:2375,10.0.0.9:2375\n');
  await pause();
  t.deepEqual(lists.at(-1), ['10.0.0.1:2375', '10.0.0.9:2375']);
  t.deepEqual(await discovery.list(), ['10.0.0.1:2375', '10.0.0.9:2375']);
  stop();
  // a file that does not exist yet: the manager waits for it (classic kept retrying), `swarm list` says why
  const later = createDiscovery([`file://${join(dir, 'later')}`], options);
  const seen: string[][] = [];
  const stopLater = later.watch((entries) => seen.push(entries));
  await t.throwsAsync(later.list(), { message: /no such file/ });
  t.deepEqual(seen, []);
  writeFileSync(join(dir, 'later'), '10.0.0.7:2375\n');
  for (let i = 0; i < 50 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
  t.deepEqual(seen, [['10.0.0.7:2375']]);
  stopLater();
});

test('engine addresses', (t) => {
  t.like(parseEngineAddress('10.0.0.1:2375'), {
    kind: 'tcp',
    host: '10.0.0.1',
    port: 2375,
    addr: '10.0.0.1:2375',
  });
  t.like(parseEngineAddress('tcp://host'), {
    kind: 'tcp',
    host: 'host',
    port: 2375,
    addr: 'host:2375',
  });
  t.like(parseEngineAddress('[::1]:2376'), {
    kind: 'tcp',
    host: '::1',
    port: 2376,
    addr: '[::1]:2376',
  });
  t.like(parseEngineAddress('unix:///var/run/docker.sock'), {
    kind: 'unix',
    socketPath: '/var/run/docker.sock',
  });
  for (const bad of ['10.0.0.1:99999', 'unix://relative', 'ftp://x:1', 'a b'])
    t.throws(() => parseEngineAddress(bad), { instanceOf: ConfigError }, bad);
});

test('a discovery backend registers for its scheme, as classic registered its own; a scheme is taken once', async (t) => {
  const seen: string[] = [];
  registerDiscovery('inventory-db', (spec) => ({
    watch: (onEntries) => (onEntries(['10.0.0.7:2375']), () => {}),
    list: async () => (seen.push(spec), ['10.0.0.7:2375']),
  }));
  t.deepEqual(await createDiscovery(['inventory-db://prod'], { heartbeatMs: 1000 }).list(), [
    '10.0.0.7:2375',
  ]);
  t.deepEqual(seen, ['inventory-db://prod']);
  t.throws(() => registerDiscovery('etcd', () => createDiscovery(['a:1'], { heartbeatMs: 1 })), {
    message: 'a discovery backend for etcd:// is registered already',
  });
  t.throws(() => createDiscovery(['consul://h:8500/p'], { heartbeatMs: 1000 }), {
    message:
      /consul:\/\/ discovery is not supported \(use nodes:\/\/, file:\/\/, etcd:\/\/, zk:\/\/ or inventory-db:\/\/\)/,
  });
});
