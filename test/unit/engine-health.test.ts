import test, { type ExecutionContext } from 'ava';
import { parseEngineAddress } from '../../core/cluster/address.js';
import { EngineCallError } from '../../core/cluster/engine-client.js';
import {
  connectDelay,
  EngineHealth,
  FOLLOWING_CHECK_FACTOR,
  probeDelay,
} from '../../core/cluster/engine-health.js';
import { TransportError } from '../../core/cluster/engine-http.js';
import { Engine } from '../../core/cluster/engine.js';
import type { NodeHealth } from '../../core/plugin-api.js';
import { waitFor } from '../harness/exec.js';
import { FakeDocker } from '../harness/fake-docker.js';
import { recordingLogger } from '../harness/in-process.js';

const quick = {
  refreshMinMs: 200,
  refreshMaxMs: 300,
  failureRetry: 2,
  requestTimeoutMs: 2000,
  connectTimeoutMs: 500,
};
/**
 * An engine over `fake` checked once a minute (so that only what the test does changes what it
 * knows), started and its first check done; stopped with `fake` when the test ends.
 */
async function startedSeldomChecked(t: ExecutionContext, fake: FakeDocker): Promise<Engine> {
  const engine = new Engine(parseEngineAddress(fake.addr), {
    ...quick,
    refreshMinMs: 60_000,
    refreshMaxMs: 60_000,
    logger: recordingLogger(),
  });
  t.teardown(async () => {
    engine.stop();
    await fake.stop();
  });
  engine.start();
  await engine.firstAttempt;
  return engine;
}
const refused = () => new TransportError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1');

test('backoff: connect retries double from a second up to the longest interval; an unhealthy probe waits a second per failure', (t) => {
  t.deepEqual(
    [1, 2, 3, 4, 5, 6, 7].map((n) => connectDelay(n, 30_000)),
    [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000],
  );
  t.deepEqual(
    [1, 3, 40].map((n) => probeDelay(n, 30_000)),
    [1000, 3000, 30_000],
  );
});

test("the state machine: connection failures in a row make a healthy node unhealthy, an engine's error answer does not, success heals", (t) => {
  const logger = recordingLogger();
  const moves: string[] = [];
  const never = () => new Promise<void>(() => {});
  const health = new EngineHealth(
    { ...quick, failureRetry: 3, logger },
    { connect: never, check: never, resync: never },
    () => 'n1',
  );
  health.on('change', (previous) => moves.push(`${previous}->${health.state}`));
  t.teardown(() => health.stop());
  health.report(refused());
  t.is(health.state, 'pending', 'a node never reached stays pending');
  health.report();
  t.deepEqual([health.state, health.failures, health.lastError], ['healthy', 0, undefined]);
  health.report(new EngineCallError(500, 'the engine says no'));
  t.is(health.failures, 0, 'an answer is not a connection failure');
  t.true(logger.lines.includes('warn node n1: the engine says no'));
  health.report(refused());
  health.report(refused());
  t.is(health.state, 'healthy', 'two failures of three');
  health.report(refused());
  t.deepEqual(
    [health.state, health.failures, health.lastError],
    ['unhealthy', 3, 'connect ECONNREFUSED 127.0.0.1:1'],
  );
  health.report();
  t.deepEqual(moves, ['pending->healthy', 'healthy->unhealthy', 'unhealthy->healthy']);
});

test("the safety-net check is six times rarer while the node's events flow, and as often as set when they do not", async (t) => {
  const checks = { following: 0, silent: 0 };
  const healths = (['following', 'silent'] as const).map((which) => {
    const health = new EngineHealth(
      { ...quick, logger: recordingLogger() },
      {
        connect: async () => {},
        check: async () => void checks[which]++,
        resync: async () => {},
        following: () => which === 'following',
      },
      () => which,
    );
    health.start();
    return health;
  });
  t.teardown(() => healths.forEach((h) => h.stop()));
  // without events: every 200-300 ms (the first anywhere up to 300). With them: the first anywhere up to 1,800 ms,
  // then at least 1,200 ms apart
  await new Promise((resolve) =>
    setTimeout(resolve, quick.refreshMinMs * FOLLOWING_CHECK_FACTOR - 150),
  );
  t.true(checks.following <= 1, `${checks.following} checks`);
  t.true(checks.silent >= 3, `${checks.silent} checks`);
});

test.serial(
  'a real exchange: pending, healthy once connected, unhealthy when the engine goes, healthy again when it returns',
  async (t) => {
    const fake = await FakeDocker.start({ name: 'flaky', images: ['busybox'] });
    const logger = recordingLogger();
    const engine = new Engine(parseEngineAddress(fake.addr), { ...quick, logger });
    const moves: [NodeHealth, NodeHealth][] = [];
    engine.on('health', (e, previous) => moves.push([previous, e.health]));
    t.teardown(async () => {
      engine.stop();
      await fake.stop();
    });
    t.is(engine.health, 'pending');
    engine.start();
    await engine.firstAttempt;
    t.is(engine.health, 'healthy');
    t.is(engine.name, 'flaky');
    await fake.down();
    await waitFor(
      'unhealthy',
      async () => (engine.health === 'unhealthy' ? true : undefined),
      10_000,
      50,
    );
    t.truthy(engine.lastError);
    await fake.listen();
    await waitFor(
      'healthy again',
      async () => (engine.health === 'healthy' ? true : undefined),
      10_000,
      50,
    );
    t.deepEqual(moves, [
      ['pending', 'healthy'],
      ['healthy', 'unhealthy'],
      ['unhealthy', 'healthy'],
    ]);
    t.true(
      logger.lines.some((l) => l.startsWith(`warn node flaky (${fake.addr}) is now unhealthy: `)),
      'the warning says why',
    );
  },
);

test.serial(
  'an address nobody answers stays pending and is retried with backoff; its first attempt still settles',
  async (t) => {
    const gone = await FakeDocker.start({ name: 'gone' });
    const addr = gone.addr;
    await gone.stop();
    const logger = recordingLogger();
    const engine = new Engine(parseEngineAddress(addr), { ...quick, logger });
    t.teardown(() => engine.stop());
    engine.start();
    await engine.firstAttempt;
    t.is(engine.health, 'pending');
    t.is(engine.failures, 1);
    await waitFor(
      'a second attempt, a second later',
      async () => (engine.failures === 2 ? true : undefined),
      3000,
      50,
    );
    t.is(engine.health, 'pending');
  },
);

test.serial(
  "the cache follows the engine's events: a container made behind the manager's back appears, a removal drops it",
  async (t) => {
    const fake = await FakeDocker.start({ name: 'watched', images: ['busybox'] });
    const engine = await startedSeldomChecked(t, fake);
    const made = fake.add('sidecar');
    await waitFor(
      'the create seen',
      async () => (engine.containers.get(made.id) ? true : undefined),
      5000,
      20,
    );
    t.is(engine.containers.get(made.id)!.inspect.Name, '/sidecar');
    fake.remove(made.id);
    await waitFor(
      'the removal seen',
      async () => (engine.containers.get(made.id) ? undefined : true),
      5000,
      20,
    );
    t.pass();
  },
);

test.serial(
  "every call through the engine's door counts toward its health, whoever makes it (a proxied call, a create, the rescheduler's moves): a failure to reach it does, an error answer does not",
  async (t) => {
    const fake = await FakeDocker.start({ name: 'door', images: ['busybox'] });
    // only the calls below can change the node's health
    const engine = await startedSeldomChecked(t, fake);
    await t.throwsAsync(engine.json('containers/none/json'), { instanceOf: EngineCallError });
    t.is(engine.failures, 0, "the engine's 404 is an answer");
    t.is(engine.health, 'healthy');
    await fake.down();
    // the kept-alive connections are gone with it (their end is a hang-up, not a refusal: not counted)
    await new Promise((resolve) => setTimeout(resolve, 200));
    const before = engine.failures;
    await t.throwsAsync(engine.request('POST', 'containers/x/rename', { query: { name: 'y' } }));
    t.is(engine.failures, before + 1);
    await t.throwsAsync(engine.json('containers/json'));
    t.is(engine.failures, before + 2);
    t.is(engine.health, 'unhealthy', 'failures in a row, as --engine-failure-retry=2 says');
  },
);
