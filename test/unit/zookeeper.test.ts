import test from 'ava';
import { ConfigError } from '../../config/errors.js';
import { helpFor } from '../../core/cli/help.js';
import { createDiscovery } from '../../core/discovery/index.js';
import { parseZkSpec, ZookeeperDiscovery } from '../../core/discovery/zookeeper.js';

test("zk:// specs: the hosts as the C client takes them (2181 by default) and classic's key layout", (t) => {
  t.deepEqual(parseZkSpec('zk://10.0.0.1:2181,10.0.0.2/prod/swarm/'), {
    hosts: '10.0.0.1:2181,10.0.0.2:2181',
    root: '/prod/swarm/docker/swarm',
    nodes: '/prod/swarm/docker/swarm/nodes',
  });
  t.deepEqual(parseZkSpec('zk://127.0.0.1:2182'), {
    hosts: '127.0.0.1:2182',
    root: '/docker/swarm',
    nodes: '/docker/swarm/nodes',
  });
  // classic's kv.path moves the nodes
  t.is(parseZkSpec('zk://127.0.0.1:2182/prod', '/elsewhere/nodes/').nodes, '/prod/elsewhere/nodes');
  t.throws(() => parseZkSpec('zk:///nohost'), {
    instanceOf: ConfigError,
    message: /expected zk:\/\/host:port\[,host:port\]\/path/,
  });
});

test('zk:// is a registered discovery that registers (swarm join takes it); the others are named with it', (t) => {
  const zk = createDiscovery(['zk://127.0.0.1:2181/swarm'], { heartbeatMs: 1000 });
  t.true(zk instanceof ZookeeperDiscovery);
  t.is(typeof zk.register, 'function');
  t.is(createDiscovery(['file:///x'], { heartbeatMs: 1000 }).register, undefined);
  t.throws(() => createDiscovery(['consul://127.0.0.1:8500/swarm'], { heartbeatMs: 1000 }), {
    message:
      /consul:\/\/ discovery is not supported \(use nodes:\/\/, file:\/\/, etcd:\/\/ or zk:\/\/\)/,
  });
});

test("etcd's TLS and user options are refused on zk://, as classic's ZooKeeper client had neither", (t) => {
  t.throws(
    () =>
      createDiscovery(['zk://127.0.0.1:2181/swarm'], {
        heartbeatMs: 1000,
        discoveryOpts: { 'kv.certfile': '/c.pem', 'kv.username': 'root', 'kv.path': 'x' },
      }),
    {
      instanceOf: ConfigError,
      message: /^--discovery-opt kv\.certfile, kv\.username: zk:\/\/ is reached in plain text/,
    },
  );
});

test("the help lists zk:// where classic's did: manage, join and list", (t) => {
  for (const command of ['manage', 'join', 'list'])
    t.regex(helpFor(command), /^ {19}\* zk:\/\/<ip1>,<ip2>\/<path>$/m, command);
  // classic's order: file, zk, nodes
  t.regex(
    helpFor('manage'),
    /\* file:\/\/path\/to\/file\n {19}\* zk:\/\/<ip1>,<ip2>\/<path>\n {19}\* \[nodes:\/\/\]/,
  );
});
