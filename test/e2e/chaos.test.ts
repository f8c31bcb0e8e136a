import { withRealEngines } from '../harness/e2e.js';
import { formatReport, runChaos } from '../chaos/chaos.js';
import { network } from '../harness/clusters.js';

/** The short form of `npm run chaos`: the same faults and checks, for 45 s. */
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
      t.log(formatReport(report));
      for (const check of report.checks) t.true(check.ok, `${check.name}: ${check.detail}`);
      t.true(
        Object.values(report.faults).every((n) => n > 0),
        'every kind of fault was injected',
      );
      t.true(
        report.requests.create.ok > 20,
        `${report.requests.create.ok} creates worked meanwhile`,
      );
    },
  );
});
