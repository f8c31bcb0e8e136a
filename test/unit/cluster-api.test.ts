import test from 'ava';
import { splitBuildArgs } from '../../core/api/routes/build.js';
import type { ContainerInspect } from '../../core/cluster/docker-types.js';
import { decorateEvent } from '../../core/cluster/event-decorate.js';
import {
  normalizeReschedulePolicy,
  recreateBody,
  wantsReschedule,
} from '../../core/scheduler/reschedule-policy.js';
import { truthy } from '../../core/query-flag.js';
import type { ContainerConfig } from '../../core/pipeline-types.js';

test('build args: constraint: and affinity: back as expressions for placement, the rest for the engine', (t) => {
  t.deepEqual(
    splitBuildArgs('{"constraint:node":"=node1","affinity:image":"=~redis","VERSION":"1"}'),
    {
      env: ['constraint:node==node1', 'affinity:image==~redis'],
      rest: { VERSION: '1' },
    },
  );
  t.deepEqual(splitBuildArgs(undefined), { env: [], rest: {} });
  t.throws(() => splitBuildArgs('{nope'), { message: /invalid buildargs/ });
});

test('events say their node as classic swarm did, and keep timeNano to the nanosecond', (t) => {
  const node = { name: 'node1', id: 'ABC|10.0.0.1:2375', addr: '10.0.0.1:2375', ip: '10.0.0.1' };
  const { raw } = decorateEvent(
    {
      status: 'start',
      from: 'busybox',
      Type: 'container',
      Action: 'start',
      Actor: { ID: 'x', Attributes: { name: 'web' } },
      time: 1,
    },
    1795842597275202858n,
    node,
  );
  const event = JSON.parse(raw) as {
    from: string;
    node: Record<string, string>;
    Actor: { Attributes: Record<string, string> };
  };
  t.is(event.from, 'busybox node:node1');
  t.deepEqual(event.node, {
    Name: 'node1',
    Id: 'ABC|10.0.0.1:2375',
    Addr: '10.0.0.1:2375',
    Ip: '10.0.0.1',
  });
  t.like(event.Actor.Attributes, {
    name: 'web',
    'node.name': 'node1',
    'node.addr': '10.0.0.1:2375',
  });
  t.true(raw.endsWith(',"timeNano":1795842597275202858}'));
});

test('rescheduling: the policy by environment or label; the same container made again from its inspect', (t) => {
  const inspect = (env: string[], labels: Record<string, string> = {}) =>
    ({
      Id: 'abcdef1234567890',
      Name: '/web',
      State: { Running: true },
      Config: { Hostname: 'abcdef123456', Image: 'busybox', Env: env, Labels: labels },
      HostConfig: { Memory: 5 },
      NetworkSettings: { Networks: { mynet: { Aliases: ['web'], IPAddress: '172.18.0.2' } } },
    }) as unknown as ContainerInspect;
  t.true(wantsReschedule(inspect(['reschedule:on-node-failure'])));
  t.true(
    wantsReschedule(inspect([], { 'com.docker.swarm.reschedule-policies': '["on-node-failure"]' })),
  );
  t.false(wantsReschedule(inspect([], { 'com.docker.swarm.reschedule-policies': 'not json' })));
  const body = recreateBody(inspect([]));
  t.is(body.Hostname, undefined, 'the old ID-based hostname is left for the engine to choose');
  t.deepEqual(body.HostConfig, { Memory: 5 });
  t.deepEqual(body.NetworkingConfig, {
    EndpointsConfig: { mynet: { Aliases: ['web'], Links: undefined } },
  });
});

test('reschedule policies as classic checked them at create: moved from the environment into the label, one known policy at most', (t) => {
  const config: ContainerConfig = { Env: ['A=1', 'reschedule:on-node-failure'] };
  normalizeReschedulePolicy(config);
  t.deepEqual(config.Env, ['A=1']);
  t.is(config.Labels!['com.docker.swarm.reschedule-policies'], '["on-node-failure"]');
  t.throws(() => normalizeReschedulePolicy({ Env: ['reschedule:sometimes'] }), {
    message: 'invalid reschedule policy: sometimes',
  });
  t.throws(
    () => normalizeReschedulePolicy({ Env: ['reschedule:off', 'reschedule:on-node-failure'] }),
    { message: 'too many reschedule policies' },
  );
  t.notThrows(() =>
    normalizeReschedulePolicy({ Labels: { 'com.docker.swarm.reschedule-policies': '["off"]' } }),
  );
});

test('query flags as the engine reads them', (t) => {
  for (const yes of ['1', 'true', 'True', 'yes', 'x']) t.true(truthy(yes), yes);
  for (const no of [undefined, '', '0', 'false', 'False', 'no', 'none'])
    t.false(truthy(no), String(no));
});
