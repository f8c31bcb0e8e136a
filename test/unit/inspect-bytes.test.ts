import { readFileSync } from 'node:fs';
import test from 'ava';
import { rewrittenBytes } from '../../core/api/proxy/byte-rewrite.js';
import { createHooks } from '../../core/hooks.js';
import type { NodeView, ResponseContext } from '../../core/plugin-api.js';
import { applyPlugins } from '../../core/plugins.js';
import { nodeOf } from '../../core/api/row-node.js';
import { documentMembers, objectMembers } from '../../core/json-members.js';
import { BEHAVIOURS } from '../../plugins/index.js';
import { fakeNode, requestFixture } from '../harness/node-fixture.js';

/** A real dockerd's inspect of a container publishing 80 on both wildcards. */
const FIXTURE = JSON.parse(
  readFileSync(
    new URL('../../../test/harness/fixtures/dockerd-20.10/container-inspect.json', import.meta.url),
    'utf8',
  ),
) as Record<string, any>;

type Inspect = Record<string, any>;
const copy = (doc: Inspect): Inspect => structuredClone(doc);
const withPorts = (ports: unknown, doc = copy(FIXTURE)) => (
  (doc.NetworkSettings.Ports = ports),
  doc
);
/** As dockerd writes it: Go's encoder, compact, one newline after. */
const asEngine = (doc: unknown) => Buffer.from(`${JSON.stringify(doc)}\n`);

const hooks = createHooks();
applyPlugins(
  hooks,
  Object.values(BEHAVIOURS).map((make) => make()),
);
const inspectHook = hooks.rewriteResponse.get('container.inspect')!;
const context = (node: NodeView | undefined = fakeNode('node1')): ResponseContext => ({
  ...requestFixture({ route: 'container.inspect' }),
  status: 200,
  node,
  nodeOf,
});

/** The byte rewrite and the parse-and-rewrite of the same engine answer. */
async function both(body: Buffer, ctx = context()) {
  const bytes = rewrittenBytes(inspectHook.taps, body, ctx);
  const parsed = await inspectHook.promise(JSON.parse(body.toString()), ctx);
  return { bytes, parsed };
}

const cases: [string, Inspect, (NodeView | 'none')?][] = [
  ['the fixture: 80/tcp on 0.0.0.0 and ::', copy(FIXTURE)],
  ['no published ports', withPorts({})],
  ['Ports null (a stopped container)', withPorts(null)],
  [
    'NetworkSettings without Ports',
    (({ Ports: _, ...rest }) => ({ ...copy(FIXTURE), NetworkSettings: rest }))(
      FIXTURE.NetworkSettings,
    ),
  ],
  [
    'HostIp "" and an exposed-only port',
    withPorts({ '80/tcp': [{ HostIp: '', HostPort: '8080' }], '443/tcp': null }),
  ],
  [
    'a port bound to one address stays',
    withPorts({
      '80/tcp': [
        { HostIp: '127.0.0.1', HostPort: '8080' },
        { HostIp: '::', HostPort: '8081' },
      ],
    }),
  ],
  [
    'CpuShares 512 read back as cores',
    { ...copy(FIXTURE), HostConfig: { ...FIXTURE.HostConfig, CpuShares: 512 } },
  ],
  [
    "labels that spell the rewritten keys, and strings with quotes, braces and '<'",
    {
      ...copy(FIXTURE),
      Config: {
        ...FIXTURE.Config,
        Labels: {
          Node: '{"Name":"x"}',
          HostConfig: '"CpuShares":9',
          'NetworkSettings}': '\\"Ports\\":[',
          note: 'ünïcode <b>&</b> \u2028',
        },
      },
    },
  ],
  [
    'NetworkSettings null, no HostConfig',
    (({ HostConfig: _, ...rest }) => ({ ...rest, NetworkSettings: null }))(copy(FIXTURE)),
  ],
  [
    'a network named NetworkSettings, a label key "Node" (both read member by member)',
    (() => {
      const doc = copy(FIXTURE);
      doc.NetworkSettings.Networks.NetworkSettings = doc.NetworkSettings.Networks.bridge ?? {};
      doc.Config.Labels = { ...doc.Config.Labels, Node: 'x' };
      return doc;
    })(),
  ],
  ['no node known: nothing to add', copy(FIXTURE), 'none'],
  [
    'a node with no CPUs counted',
    { ...copy(FIXTURE), HostConfig: { ...FIXTURE.HostConfig, CpuShares: 512 } },
    fakeNode('node1', { cpus: 0 }),
  ],
];

for (const [name, doc, node] of cases) {
  test(`inspect bytes = parse + rewrite: ${name}`, async (t) => {
    const { bytes, parsed } = await both(
      asEngine(doc),
      context(node === 'none' ? undefined : node),
    );
    t.truthy(bytes, 'the byte path takes a compact engine answer');
    // the same keys, values and key order (Node last, where the parse puts it)
    t.is(bytes!.toString().trimEnd(), JSON.stringify(parsed));
  });
}

test('inspect bytes: what the client reads (Node, HostIp, cores)', (t) => {
  const doc = { ...copy(FIXTURE), HostConfig: { ...FIXTURE.HostConfig, CpuShares: 512 } };
  const out = JSON.parse(
    rewrittenBytes(inspectHook.taps, asEngine(doc), context())!.toString(),
  ) as Inspect;
  t.is(out.Node.Name, 'node1');
  t.is(out.Node.IP, '10.0.0.1');
  t.deepEqual(out.NetworkSettings.Ports['80/tcp'], [{ HostIp: '10.0.0.1', HostPort: '8080' }]);
  t.is(out.HostConfig.CpuShares, 1);
  t.deepEqual(Object.keys(out).slice(-2), ['NetworkSettings', 'Node']);
});

const fallbacks: [string, Buffer][] = [
  ['spaces between tokens', Buffer.from(JSON.stringify(FIXTURE, null, 1))],
  ['a space after one colon', Buffer.from(JSON.stringify(FIXTURE).replace('"Id":', '"Id": '))],
  ['bytes after the document', Buffer.from(`${JSON.stringify(FIXTURE)}x`)],
  ['a Node member already', asEngine({ ...copy(FIXTURE), Node: { Name: 'elsewhere' } })],
  [
    'a key written with an escape',
    Buffer.from(JSON.stringify(FIXTURE).replace('"HostConfig":', '"Host\\u0043onfig":')),
  ],
  ['an array', asEngine([FIXTURE])],
  ['cut short', asEngine(FIXTURE).subarray(0, 3000)],
];
for (const [name, body] of fallbacks) {
  test(`inspect bytes fall back to the parse: ${name}`, (t) => {
    t.is(rewrittenBytes(inspectHook.taps, body, context()), undefined);
  });
}

test('a repeated key (Go never writes one) reads the same as parsed: the last one counts', async (t) => {
  const body = Buffer.from(JSON.stringify(FIXTURE).replace('{"Id":', '{"Name":"/a","Id":'));
  const { bytes, parsed } = await both(body);
  t.deepEqual(JSON.parse(bytes!.toString()), parsed);
});

test('a third-party tap without a byte form sends the answer through the parse', async (t) => {
  const local = createHooks();
  applyPlugins(local, [
    ...Object.values(BEHAVIOURS).map((make) => make()),
    {
      name: 'mine',
      apply: (h) =>
        h.rewriteResponse
          .for('container.inspect')
          .tap('mine', (body) => ({ ...(body as Inspect), Mine: 1 })),
    },
  ]);
  const hook = local.rewriteResponse.get('container.inspect')!;
  t.is(rewrittenBytes(hook.taps, asEngine(FIXTURE), context()), undefined);
  t.is(((await hook.promise(copy(FIXTURE), context())) as Inspect).Mine, 1);
});

test('a byte form that throws is left for the parse, which names the plugin', async (t) => {
  const local = createHooks();
  applyPlugins(local, [
    {
      name: 'broken',
      apply: (h) =>
        h.rewriteResponse.for('container.inspect').tap(
          {
            name: 'broken',
            bytes: () => {
              throw new Error('no');
            },
          },
          () => {
            throw new Error('no');
          },
        ),
    },
  ]);
  const hook = local.rewriteResponse.get('container.inspect')!;
  t.is(rewrittenBytes(hook.taps, asEngine(FIXTURE), context()), undefined);
  await t.throwsAsync(hook.promise(copy(FIXTURE), context()), { message: /plugin "broken"/ });
});

test('objectMembers: value spans of a compact object, nested values skipped', (t) => {
  const text = '{"a":1,"b":"x\\"}","c":{"d":[1,{"e":null}]},"f":true}';
  const found = objectMembers(Buffer.from(text))!;
  const value = (key: string) => {
    const span = found.get(key)!;
    return text.slice(span.start, span.end);
  };
  t.is(found.size, 4);
  t.is(value('a'), '1');
  t.is(value('b'), '"x\\"}"');
  t.is(value('c'), '{"d":[1,{"e":null}]}');
  t.is(value('f'), 'true');
  t.is(found.get('d'), undefined, 'a nested key is not a member');
  t.is(found.end, text.length);
  t.is(documentMembers(Buffer.from('{}\n'))!.size, 0);
  t.is(documentMembers(Buffer.from('{"a":}')), undefined);
  t.throws(() => objectMembers(Buffer.from('{"a":1,"a":2}'))!.get('a'), { message: /repeated/ });
});
