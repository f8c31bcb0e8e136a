/**
 * `npm run chaos [-- --duration=3m] [--connections=4]`: a bounded chaos run on a real cluster (needs root and
 * dockerd, as the real-engine tests do). Prints what was injected, what was done and what was checked; exits 1
 * when anything was lost.
 */
import { parseDuration } from '../../config/duration.js';
import { formatReport, runChaos } from './chaos.js';

const flag = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const durationMs = parseDuration(flag('duration') ?? '3m');
const connections = Number(flag('connections') ?? 4);
if (!durationMs || durationMs < 30_000 || !Number.isInteger(connections) || connections < 1) {
  process.stderr.write(
    'usage: npm run chaos -- [--duration=3m (at least 30s)] [--connections=4]\n',
  );
  process.exit(2);
}
const report = await runChaos({
  durationMs,
  connections,
  log: (line) => process.stderr.write(`${line}\n`),
});
process.stdout.write(formatReport(report) + '\n');
process.exit(report.ok ? 0 : 1);
