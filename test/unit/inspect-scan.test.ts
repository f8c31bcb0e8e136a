import test from 'ava';
import { readFileSync } from 'node:fs';
import { keptInspect, keptInspectOf } from '../../core/cluster/container-cache.js';
import type { ContainerInspect, ContainerSummary } from '../../core/cluster/docker-types.js';
import { scanInspect } from '../../core/cluster/inspect-scan.js';
import { wantsReschedule } from '../../core/scheduler/reschedule-policy.js';

/** dockerd 20.10's inspect document of a running container (pretty-printed as saved). */
const DOCKERD = readFileSync(
  new URL('../../../test/harness/fixtures/dockerd-20.10/container-inspect.json', import.meta.url),
  'utf8',
);
const base = JSON.parse(DOCKERD) as Record<string, unknown> & {
  Config: Record<string, unknown>;
  HostConfig: Record<string, unknown>;
  State: Record<string, unknown>;
};

const row = (id: string, labels?: Record<string, string>): ContainerSummary => ({
  Id: id,
  Names: ['/sample'],
  Image: 'busybox',
  ImageID: 'sha256:x',
  Created: 1,
  State: 'running',
  Status: 'Up',
  Labels: labels ?? null,
});

/** What the cache kept before: the whole document parsed, then trimmed. */
const fromWholeParse = (text: string, r?: ContainerSummary) =>
  keptInspect(JSON.parse(text) as ContainerInspect, false, r);

const variant = (change: (doc: typeof base) => void): typeof base => {
  const doc = structuredClone(base);
  change(doc);
  return doc;
};

const VARIANTS: [string, typeof base][] = [
  ['as dockerd wrote it', base],
  [
    'labels whose keys are the kept fields and whose values hold JSON',
    variant((d) => {
      d.Config.Labels = {
        HostConfig: '{"Memory":1}',
        Memory: '7',
        State: '}{][',
        'a"quote': 'back\\slash\\',
        'com.docker.swarm.id': 'abc',
        ünïcödé: '\u2028 line separator, 😀',
      };
    }),
  ],
  [
    'reservations, ports, a stop timeout, exec IDs',
    variant((d) => {
      Object.assign(d.HostConfig, {
        Memory: 268435456,
        CpuShares: 512,
        PortBindings: { '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }] },
        NetworkMode: 'bridge',
      });
      Object.assign(d.Config, { StopTimeout: 30, ExposedPorts: { '80/tcp': {} } });
      d.ExecIDs = ['e1', 'e2'];
    }),
  ],
  [
    'a health check with a log of probes',
    variant((d) => {
      d.State.Health = {
        Status: 'healthy',
        FailingStreak: 0,
        Log: [{ Start: 'x', ExitCode: 0, Output: 'ok {"a": [1, 2]} \\" "' }],
      };
    }),
  ],
  [
    'no Config, HostConfig null, State without some fields',
    variant((d) => {
      delete (d as Record<string, unknown>).Config;
      (d as Record<string, unknown>).HostConfig = null;
      delete d.State.StartedAt;
    }),
  ],
  [
    'Labels null, empty objects and arrays, nested empties',
    variant((d) => {
      d.Config.Labels = null;
      d.Config.Env = [];
      d.HostConfig.PortBindings = {};
      d.Mounts = [{}, [], [[{}]]];
    }),
  ],
  [
    'numbers in every spelling JSON has',
    variant((d) => {
      d.HostConfig.Memory = -0.5e3;
      d.HostConfig.CpuShares = 1e21;
      d.RestartCount = 1.25e-7;
    }),
  ],
];

test('the scan keeps what a whole parse kept, over varied documents, compact and pretty-printed', (t) => {
  for (const [what, doc] of VARIANTS)
    for (const [spacing, text] of [
      ['compact', JSON.stringify(doc)],
      ['two spaces', JSON.stringify(doc, null, 2)],
      ['tabs and CRLF', JSON.stringify(doc, null, '\t').replaceAll('\n', '\r\n')],
    ] as const) {
      const r = row(
        doc.Id as string,
        (doc.Config as { Labels?: Record<string, string> } | undefined)?.Labels ?? {},
      );
      t.not(scanInspect(text), undefined, `${what}, ${spacing}: scanned`);
      t.deepEqual(
        keptInspectOf(text, undefined, r),
        fromWholeParse(text, r),
        `${what}, ${spacing}`,
      );
    }
});

test('a repeated key counts once, its last value, as JSON.parse reads it', (t) => {
  const text = JSON.stringify(base).replace('"Name":"/sample"', '"Name":"/first","Name":"/second"');
  t.is(keptInspectOf(text, undefined).Name, '/second');
  t.deepEqual(keptInspectOf(text, undefined), fromWholeParse(text));
});

test('what the scan does not read plainly is parsed whole: same values, or the same failure', (t) => {
  const compact = JSON.stringify(base);
  const odd: [string, string][] = [
    ['an escaped key that is a kept one', compact.replace('"HostConfig":', '"\\u0048ostConfig":')],
    [
      'Config that is not an object',
      JSON.stringify(variant((d) => void ((d as Record<string, unknown>).Config = 'x'))),
    ],
    [
      'HostConfig a number',
      JSON.stringify(variant((d) => void ((d as Record<string, unknown>).HostConfig = 5))),
    ],
  ];
  for (const [what, text] of odd) {
    t.not(text, compact, `${what}: the document was changed`);
    t.is(scanInspect(text), undefined, `${what}: not scanned`);
    t.deepEqual(keptInspectOf(text, undefined), fromWholeParse(text), what);
  }
  const broken: [string, string][] = [
    ['cut short', compact.slice(0, 3000)],
    ['garbage after it', `${compact}]`],
    ['an unclosed string', compact.replace('"/sample"', '"/sample')],
    ['not an object', '[1,2]'],
    ['no State', JSON.stringify({ Id: 'x', Name: '/x' })],
  ];
  for (const [what, text] of broken) {
    t.is(scanInspect(text), undefined, `${what}: not scanned`);
    const whole = t.throws(() => fromWholeParse(text), undefined, what);
    const scanned = t.throws(() => keptInspectOf(text, undefined), undefined, what);
    t.is(scanned?.constructor, whole?.constructor, what);
  }
});

test('many generated documents: the scan and a whole parse keep the same', (t) => {
  // a fixed-seed generator: label keys and values drawn from the characters that matter to a scan
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const alphabet = [
    'a',
    'Z',
    '"',
    '\\',
    '{',
    '}',
    '[',
    ']',
    ':',
    ',',
    ' ',
    'é',
    '\n',
    '\u0001',
    'Memory',
  ];
  const word = () =>
    Array.from(
      { length: Math.floor(random() * 8) },
      () => alphabet[Math.floor(random() * alphabet.length)],
    ).join('');
  for (let n = 0; n < 300; n++) {
    const doc = variant((d) => {
      d.Config.Labels = Object.fromEntries(
        Array.from({ length: Math.floor(random() * 5) }, () => [word(), word()]),
      );
      d.Args = [word(), word()];
      d.HostConfig.Memory = Math.floor(random() * 2 ** 30);
      if (random() < 0.3) d.State.Health = { Status: word(), Log: [{ Output: word() }] };
    });
    const text = JSON.stringify(doc, null, n % 3);
    t.deepEqual(keptInspectOf(text, undefined), fromWholeParse(text), text.slice(0, 200));
  }
});

test('a container the rescheduler may move is kept whole, decided from the scanned parts', (t) => {
  const byEnv = variant((d) => void (d.Config.Env = ['PATH=/bin', 'reschedule:on-node-failure']));
  const byLabel = variant(
    (d) =>
      void (d.Config.Labels = { 'com.docker.swarm.reschedule-policies': '["on-node-failure"]' }),
  );
  for (const doc of [byEnv, byLabel]) {
    const text = JSON.stringify(doc);
    t.true(wantsReschedule(scanInspect(text)!));
    t.deepEqual(keptInspectOf(text, wantsReschedule), JSON.parse(text));
  }
  const plain = JSON.stringify(base);
  t.deepEqual(keptInspectOf(plain, wantsReschedule), fromWholeParse(plain));
  t.is((keptInspectOf(plain, wantsReschedule).Config as Record<string, unknown>).Env, undefined);
});
