/**
 * `npm run chaos [-- --duration=3m] [--connections=4] [--overlap [--no-replication]]`: a bounded chaos
 * run on a real cluster (needs root and dockerd, as the real-engine tests do). `--overlap`: faults
 * that overlap, on three replicated managers (one manager with `--no-replication`). Prints what was
 * injected, what was done and what was checked; exits 1 when anything was lost.
 */
import { parseDuration } from '../../config/duration.js';
import { formatReport, runChaos } from './chaos.js';

const flag = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const has = (name: string) => process.argv.includes(`--${name}`);
const durationMs = parseDuration(flag('duration') ?? '3m');
const connections = Number(flag('connections') ?? 4);
const known = /^--(duration=.*|connections=.*|overlap|no-replication)$/;
const unknown = process.argv.slice(2).filter((a) => !known.test(a));
if (
  !durationMs ||
  durationMs < 30_000 ||
  !Number.isInteger(connections) ||
  connections < 1 ||
  unknown.length > 0 ||
  (has('no-replication') && !has('overlap'))
) {
  process.stderr.write(
    'usage: npm run chaos -- [--duration=3m (at least 30s)] [--connections=4] [--overlap [--no-replication]]\n',
  );
  process.exit(2);
}
const report = await runChaos({
  durationMs,
  connections,
  overlap: has('overlap'),
  replication: has('overlap') && !has('no-replication'),
  log: (line) => process.stderr.write(`${line}\n`),
});
process.stdout.write(formatReport(report) + '\n');
process.exit(report.ok ? 0 : 1);
