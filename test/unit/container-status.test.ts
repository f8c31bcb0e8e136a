import test from 'ava';
import { humanDuration, statusText, statusTextLasts } from '../../core/cluster/container-status.js';

const now = Date.parse('2026-01-01T12:00:00Z');
const ago = (ms: number) => new Date(now - ms).toISOString();
const state = (over: Record<string, unknown>) => ({
  Status: 'running',
  Running: true,
  Paused: false,
  Restarting: false,
  ExitCode: 0,
  StartedAt: ago(5000),
  FinishedAt: '0001-01-01T00:00:00Z',
  ...over,
});

test("go-units' human durations", (t) => {
  t.is(humanDuration(500), 'Less than a second');
  t.is(humanDuration(1000), '1 second');
  t.is(humanDuration(42_000), '42 seconds');
  t.is(humanDuration(61_000), 'About a minute');
  t.is(humanDuration(5 * 60_000), '5 minutes');
  t.is(humanDuration(3_600_000), 'About an hour');
  t.is(humanDuration(30 * 3_600_000), '30 hours');
  t.is(humanDuration(3 * 86_400_000), '3 days');
});

test('STATUS text as the engine prints it', (t) => {
  t.is(statusText(state({}), now), 'Up 5 seconds');
  t.is(statusText(state({ Paused: true, Status: 'paused' }), now), 'Up 5 seconds (Paused)');
  t.is(
    statusText(state({ Health: { Status: 'starting' } }), now),
    'Up 5 seconds (health: starting)',
  );
  t.is(statusText(state({ Health: { Status: 'healthy' } }), now), 'Up 5 seconds (healthy)');
  t.is(
    statusText(
      state({ Status: 'exited', Running: false, ExitCode: 137, FinishedAt: ago(120_000) }),
      now,
    ),
    'Exited (137) 2 minutes ago',
  );
  t.is(
    statusText(
      state({ Status: 'created', Running: false, StartedAt: '0001-01-01T00:00:00Z' }),
      now,
    ),
    'Created',
  );
  t.is(statusText(state({ Status: 'dead', Running: false, Dead: true }), now), 'Dead');
});

test('a status text lasts as long as statusTextLasts says: the same text until then, for running, paused and exited containers', (t) => {
  const elapsed = [
    0, 400, 999, 1000, 1500, 59_999, 60_000, 61_000, 119_999, 3_599_000, 3_600_000, 5_399_999,
    5_400_000, 90_000_000, 1_300_000_000,
  ];
  for (const ms of elapsed) {
    for (const s of [
      state({ StartedAt: ago(ms) }),
      state({ Paused: true, Status: 'paused', StartedAt: ago(ms) }),
      state({ Status: 'exited', Running: false, StartedAt: ago(ms + 1000), FinishedAt: ago(ms) }),
    ]) {
      const lasts = statusTextLasts(s, now);
      t.true(lasts > 0, `${ms}: lasts ${lasts}`);
      t.is(
        statusText(s, now + lasts - 1),
        statusText(s, now),
        `${s.Status} ${ms} ms ago, still the same ${lasts - 1} ms later`,
      );
    }
  }
  t.is(
    statusTextLasts(
      state({
        Status: 'created',
        Running: false,
        StartedAt: '0001-01-01T00:00:00Z',
        FinishedAt: '0001-01-01T00:00:00Z',
      }),
      now,
    ),
    Infinity,
  );
});
