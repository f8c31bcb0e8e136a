import { withRealEngines } from '../harness/e2e.js';
import { type ChaosReport, formatReport, runChaos } from '../chaos/chaos.js';
import { network } from '../harness/clusters.js';
import type { ExecutionContext } from 'ava';

/** What every short run must show: each check held, each kind of fault was injected, work was done. */
function assertNothingLost(t: ExecutionContext, report: ChaosReport): void {
  t.log(formatReport(report));
  for (const check of report.checks) t.true(check.ok, `${check.name}: ${check.detail}`);
  t.true(
    Object.values(report.faults).every((n) => n > 0),
    'every kind of fault was injected',
  );
  t.true(report.requests.create.ok > 20, `${report.requests.create.ok} creates worked meanwhile`);
}

/** The short forms of `npm run chaos` and `npm run chaos -- --overlap`: the same faults and checks, for 45 s. */
withRealEngines((test) => {
  test.serial(
    'a short chaos run loses nothing: every container once, no request hung, the manager up, its memory back',
    async (t) => {
      const report = await runChaos({
        ...network('chaos'),
        durationMs: 45_000,
        connections: 4,
        log: (line) => t.log(line),
      });
      assertNothingLost(t, report);
    },
  );

  test.serial(
    'faults that overlap on 3 replicated managers lose nothing: two engines down, a link cut mid-reschedule, the primary restarted while an engine is down, etcd without quorum as the primary dies',
    async (t) => {
      // the cluster, etcd and three managers start, each fault is waited out, then the cluster
      // settles: well past 45 s, and past ava's 3 minutes of silence on a busy machine
      t.timeout(6 * 60_000);
      const report = await runChaos({
        ...network('chaos'),
        durationMs: 45_000,
        connections: 4,
        overlap: true,
        log: (line) => t.log(line),
      });
      assertNothingLost(t, report);
    },
  );
});
