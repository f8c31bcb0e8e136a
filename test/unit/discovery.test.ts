import test from 'ava';
import { ConfigError } from '../../config/errors.js';
import { parseEngineAddress } from '../../core/cluster/address.js';
import { createDiscovery } from '../../core/discovery/index.js';
import { StaticDiscovery } from '../../core/discovery/static.js';

test('static lists: nodes://, bare lists, ranges, duplicates dropped', (t) => {
  t.deepEqual(new StaticDiscovery(['nodes://10.0.0.1:2375,10.0.0.2:2375']).entries, ['10.0.0.1:2375', '10.0.0.2:2375']);
  t.deepEqual(new StaticDiscovery(['10.0.0.[10:12]:2375', '10.0.0.11:2375']).entries, ['10.0.0.10:2375', '10.0.0.11:2375', '10.0.0.12:2375']);
  t.deepEqual(new StaticDiscovery(['unix:///var/run/docker.sock']).entries, ['unix:///var/run/docker.sock']);
  t.throws(() => new StaticDiscovery(['10.0.0.[5:1]:2375']), { instanceOf: ConfigError, message: /1 is below 5/ });
});

test('backends not served yet, and the dead hosted token service, say so', (t) => {
  t.throws(() => createDiscovery(['token://abc']), { instanceOf: ConfigError, message: /shut down in 2019/ });
  t.throws(() => createDiscovery(['etcd://127.0.0.1:2379/swarm']), { instanceOf: ConfigError, message: /etcd:\/\/ discovery is not supported yet/ });
  let seen: string[] = [];
  createDiscovery(['a:1,b:2']).watch((entries) => (seen = entries));
  t.deepEqual(seen, ['a:1', 'b:2']);
});

test('engine addresses', (t) => {
  t.like(parseEngineAddress('10.0.0.1:2375'), { kind: 'tcp', host: '10.0.0.1', port: 2375, addr: '10.0.0.1:2375' });
  t.like(parseEngineAddress('tcp://host'), { kind: 'tcp', host: 'host', port: 2375, addr: 'host:2375' });
  t.like(parseEngineAddress('[::1]:2376'), { kind: 'tcp', host: '::1', port: 2376, addr: '[::1]:2376' });
  t.like(parseEngineAddress('unix:///var/run/docker.sock'), { kind: 'unix', socketPath: '/var/run/docker.sock' });
  for (const bad of ['10.0.0.1:99999', 'unix://relative', 'ftp://x:1', 'a b']) t.throws(() => parseEngineAddress(bad), { instanceOf: ConfigError }, bad);
});
