import test from 'ava';
import protobuf from 'protobufjs/minimal.js';
import { BuildSessions } from '../../core/api/buildkit/build-sessions.js';
import {
  frame,
  mapField,
  MessageReader,
  stringField,
  withoutMapEntries,
} from '../../core/api/buildkit/grpc-wire.js';
import type { Engine } from '../../core/cluster/engine.js';

/** A SolveRequest as buildx writes it: Ref (1), Session (5), Frontend (6), FrontendAttrs (7, a map), and a field Skep does not read. */
function solveRequest(attrs: Record<string, string>): Uint8Array {
  const w = protobuf.Writer.create();
  w.uint32((1 << 3) | 2).string('ref-1');
  w.uint32((2 << 3) | 2).bytes(new Uint8Array([1, 2, 3]));
  w.uint32((5 << 3) | 2).string('session-1');
  w.uint32((6 << 3) | 2).string('dockerfile.v0');
  for (const [key, value] of Object.entries(attrs)) {
    w.uint32((7 << 3) | 2).fork();
    w.uint32((1 << 3) | 2).string(key);
    w.uint32((2 << 3) | 2).string(value);
    w.ldelim();
  }
  w.uint32((14 << 3) | 0).uint32(1);
  return w.finish();
}

test('gRPC messages are cut whole out of a stream, however it is split', (t) => {
  const one = frame(Buffer.from('first'));
  const two = frame(Buffer.from('second message'));
  const bytes = Buffer.concat([one, two]);
  const reader = new MessageReader();
  const got: string[] = [];
  for (let i = 0; i < bytes.length; i += 3)
    got.push(...reader.push(bytes.subarray(i, i + 3)).map((m) => m.toString()));
  t.deepEqual(got, ['first', 'second message']);
});

test("a solve's ref, session and build args are read; placement args are taken out, the rest kept byte for byte", (t) => {
  const message = solveRequest({
    'build-arg:constraint:node': '=node2',
    'build-arg:X': 'y',
    target: 'tools',
  });
  t.is(stringField(message, 1), 'ref-1');
  t.is(stringField(message, 5), 'session-1');
  t.deepEqual(Object.fromEntries(mapField(message, 7)), {
    'build-arg:constraint:node': '=node2',
    'build-arg:X': 'y',
    target: 'tools',
  });
  const rewritten = withoutMapEntries(message, 7, (key) => key.startsWith('build-arg:constraint:'));
  t.deepEqual(Object.fromEntries(mapField(rewritten, 7)), { 'build-arg:X': 'y', target: 'tools' });
  t.deepEqual(
    Buffer.from(rewritten),
    Buffer.from(solveRequest({ 'build-arg:X': 'y', target: 'tools' })),
    'everything else as it was',
  );
  t.is(stringField(Buffer.from([0xff, 0xff]), 1), '', 'not a message: nothing read, no throw');
});

test('a session waits for its build to be placed; a build that cannot be placed lets its session go on', async (t) => {
  const sessions = new BuildSessions();
  const engine = { name: 'node2' } as Engine;
  const waiting = sessions.sessions.wait('s1', 5000);
  sessions.sessions.bind('s1', engine);
  t.is(await waiting, engine);
  t.is(await sessions.sessions.wait('s1', 0), engine, 'bound already: at once');
  t.is(await sessions.builds.wait('never', 20), undefined, 'nothing bound in time');
  const abandoned = sessions.sessions.wait('s2', 5000);
  sessions.sessions.abandon('s2');
  t.is(await abandoned, undefined);
  const gone = new AbortController();
  const left = sessions.sessions.wait('s3', 5000, gone.signal);
  gone.abort();
  t.is(await left, undefined, 'the client left');
});
