import test from 'ava';
import { eventMatcher, parseEventTime } from '../../core/api/event-filter.js';
import { labelsMatch } from '../../core/api/filters.js';
import { exactTimeNano } from '../../core/cluster/event-stream.js';
import type { DockerEvent } from '../../core/cluster/docker-types.js';
import { DockerError } from '../../core/errors.js';

const node1 = { name: 'node1', id: 'ABCD|10.0.0.1:2375', addr: '10.0.0.1:2375' };
const start = {
  Type: 'container',
  Action: 'start',
  Actor: { ID: 'f00d'.repeat(16), Attributes: { name: 'web', image: 'busybox', tier: 'front' } },
  scope: 'local',
};
const execStart = {
  Type: 'container',
  Action: 'exec_start: sh -c true',
  Actor: { ID: 'f00d'.repeat(16), Attributes: { name: 'web' } },
};
const pull = {
  Type: 'image',
  Action: 'pull',
  Actor: { ID: 'busybox:latest', Attributes: { name: 'busybox' } },
};

test("Docker's event filters: OR within a key, AND across keys", (t) => {
  const match = (filters: Record<string, string[]>, event: DockerEvent) =>
    eventMatcher(JSON.stringify(filters))(event, node1);
  t.true(match({}, start));
  t.true(match({ type: ['image', 'container'] }, start));
  t.false(match({ type: ['image'] }, start));
  t.true(match({ event: ['start'], container: ['web'] }, start));
  t.true(match({ container: ['f00d'] }, start), 'an ID prefix');
  t.false(match({ event: ['start'], container: ['db'] }, start));
  t.true(match({ event: ['exec_start'] }, execStart), 'exec_start matches exec_start: ...');
  t.true(match({ image: ['busybox'] }, start));
  t.true(match({ image: ['busybox'] }, pull));
  t.true(match({ label: ['tier=front'] }, start));
  t.false(match({ label: ['tier=back'] }, start));
  t.true(match({ label: ['tier=front', 'name=web'] }, start), 'labels: all must hold');
  t.false(match({ label: ['tier=front', 'tier=back'] }, start));
  t.true(match({ node: ['node1'] }, start));
  t.false(match({ node: ['node2'] }, start));
  t.throws(() => eventMatcher('{"colour":["red"]}'), {
    instanceOf: DockerError,
    message: "Invalid filter 'colour'",
  });
});

test('since and until: Unix seconds with a fraction, or RFC 3339', (t) => {
  t.is(parseEventTime('1700000000', 'since'), 1_700_000_000_000_000_000n);
  t.is(parseEventTime('1700000000.5', 'since'), 1_700_000_000_500_000_000n);
  t.is(parseEventTime('2023-11-14T22:13:20Z', 'since'), 1_700_000_000_000_000_000n);
  t.is(parseEventTime(undefined, 'since'), undefined);
  t.throws(() => parseEventTime('yesterday', 'until'), {
    message: 'invalid value for until: yesterday',
  });
});

test("an event's nanosecond time is read exactly from its text", (t) => {
  const line = '{"status":"start","time":1795844857,"timeNano":1795844857567551493}';
  t.is(exactTimeNano(line, 1795844857), 1795844857567551493n);
  t.not(
    BigInt((JSON.parse(line) as { timeNano: number }).timeNano),
    1795844857567551493n,
    'a JSON number would not keep it',
  );
  t.is(exactTimeNano('{"status":"start","time":1795844857}', 1795844857), 1795844857000000000n);
});

test('label filters: key or key=value, all of them', (t) => {
  t.true(labelsMatch({ a: '1', b: '2' }, ['a', 'b=2']));
  t.false(labelsMatch({ a: '1' }, ['a', 'b']));
  t.false(labelsMatch({ a: '1' }, ['a=2']));
  t.false(labelsMatch(null, ['a']));
  t.true(labelsMatch(null, []));
});
