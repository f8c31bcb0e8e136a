import test from 'ava';
import { DockerError } from '../../core/errors.js';
import {
  createFor,
  readAt,
  stopQuery,
  volumePruneQuery,
} from '../../core/cluster/version-shims.js';

const engine2010 = { ApiVersion: '1.41', MinAPIVersion: '1.12' };
const engine29 = { ApiVersion: '1.52', MinAPIVersion: '1.44' };

test('a request is read at the client’s version, or the cluster’s when it named none, and sent at what the engine takes', (t) => {
  t.deepEqual(readAt('1.41', '1.51', engine29), { client: '1.41', sent: '1.44' });
  t.deepEqual(readAt(undefined, '1.41', engine2010), { client: '1.41', sent: '1.41' });
  t.deepEqual(readAt('1.51', '1.51', engine2010), { client: '1.51', sent: '1.41' });
});

test('stop --signal: dropped for a client before 1.42 (it was ignored), refused for an engine before it', (t) => {
  t.is(stopQuery('t=3&signal=SIGINT', '1.41', '1.44', 'node3'), 't=3');
  t.is(stopQuery('t=3&signal=SIGINT', '1.51', '1.51', 'node3'), 't=3&signal=SIGINT');
  t.throws(() => stopQuery('signal=SIGINT', '1.51', '1.41', 'node1'), {
    message: "signal needs API v1.42 or newer (node node1's engine speaks API 1.41)",
  });
  t.is(stopQuery('t=3', '1.51', '1.41', 'node1'), 't=3');
});

test('volume prune keeps its meaning: all=true for an old client on a new engine; anonymous only emulated on an old engine', (t) => {
  const raised = volumePruneQuery('', '1.41', '1.44');
  t.deepEqual(JSON.parse(new URLSearchParams(raised.search).get('filters')!), { all: ['true'] });
  t.false(raised.anonymousOnly);
  t.true(volumePruneQuery('', '1.51', '1.41').anonymousOnly);
  const asked = volumePruneQuery(
    `filters=${encodeURIComponent('{"all":["true"],"label":["a"]}')}`,
    '1.51',
    '1.41',
  );
  t.false(asked.anonymousOnly, 'all=true is what the old engine does');
  t.deepEqual(
    JSON.parse(new URLSearchParams(asked.search).get('filters')!),
    { label: ['a'] },
    'and it does not know the filter',
  );
  t.deepEqual(volumePruneQuery('x=1', '1.51', '1.51'), { search: 'x=1', anonymousOnly: false });
});

test('create: fields an old client could not mean are dropped when raised; several networks are connected after on an old engine', (t) => {
  const body = {
    Image: 'busybox',
    Healthcheck: { Test: ['CMD', 'true'], StartInterval: 5 },
    HostConfig: {
      Annotations: { a: 'b' },
      ConsoleSize: [1, 2],
      Mounts: [
        {
          Type: 'bind',
          Source: '/x',
          Target: '/y',
          BindOptions: { CreateMountpoint: true },
          VolumeOptions: {},
        },
      ],
    },
  };
  const raised = createFor(body, '1.41', '1.44').body as typeof body;
  t.false('StartInterval' in raised.Healthcheck);
  t.false('Annotations' in raised.HostConfig);
  t.false('ConsoleSize' in raised.HostConfig);
  t.deepEqual(raised.HostConfig.Mounts[0], {
    Type: 'bind',
    Source: '/x',
    Target: '/y',
    BindOptions: {},
  });
  t.deepEqual(createFor(body, '1.51', '1.51').body, body, 'read at its own version: unchanged');
  const networks = {
    Image: 'busybox',
    HostConfig: { NetworkMode: 'back' },
    NetworkingConfig: { EndpointsConfig: { front: { Aliases: ['f'] }, back: {} } },
  };
  const lowered = createFor(networks, '1.51', '1.41');
  t.deepEqual(lowered.body.NetworkingConfig, { EndpointsConfig: { back: {} } });
  t.deepEqual(lowered.connect, [['front', { Aliases: ['f'] }]]);
  const image = {
    Image: 'busybox',
    HostConfig: { Mounts: [{ Type: 'image', Source: 'busybox', Target: '/img' }] },
  };
  t.throws(() => createFor(image, '1.51', '1.41'), {
    message: 'Mount type "Image" needs API v1.48 or newer',
  });
  t.throws(
    () => createFor(image, '1.47', '1.51'),
    { message: 'Mount type "Image" needs API v1.48 or newer' },
    'nor at a client version before it',
  );
  t.notThrows(() => createFor(image, '1.51', '1.51'));
});

test('volume prune: filters that are not a JSON object are the client’s 400, not the manager’s 500 (found by the fuzz run)', (t) => {
  for (const filters of ['abc', 'null', '[1]']) {
    const err = t.throws(() => volumePruneQuery(`filters=${filters}&until=1`, '1.41', '1.51'), {
      instanceOf: DockerError,
      message: /^invalid filter: /,
    });
    t.is(err?.status, 400);
  }
});
