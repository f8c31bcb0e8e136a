/**
 * `npm run bench`: the real 3-node cluster (Skep against the engine itself), then the scale runs against a
 * fake engine fleet. Prints the tables and writes every figure to bench/results.json (or --out).
 *   --scale=100,500,1000,5000,10000   fleet sizes (a size whose run fails is reported as such; the rest go on)
 *   --fleet-processes=N    the fake fleet over N processes (default: one per 2,500 engines, at least one per core
 *                          from 2,500 engines; bench/fleet.ts)
 *   --no-real / --no-build / --no-metrics / --no-failover / --no-scale   skip a part
 *   --quick                a short smoke run (small fleet, short idle), for checking the bench itself
 *   --real-reads-only      the real cluster's reads only (no create cycles, no cut link): a quick before/after
 *   --profile=DIR          the scale runs' manager writes a CPU profile there (read it with bench/profile-summary)
 *   --idle=SECONDS         the scale runs' idle minute, shorter (default 60)
 *   --runtimes=LABEL=NODE,...  the real-cluster and scale parts under each Node, interleaved (bench/runtimes.ts);
 *                          --rounds=N (default 2), one fleet size from --scale (default 1000),
 *                          figures in --out's folder;
 *                          --reuse reads the runs already there (the table drawn again)
 */
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { runReal } from './real-cluster.js';
import { runBuildKit } from './buildkit.js';
import {
  buildTable,
  failoverTable,
  metricsTable,
  realTable,
  realTargetsTable,
  scaleTable,
  targetsTable,
} from './report.js';
import { runFailover } from './failover.js';
import { runMetricsCost } from './metrics-cost.js';
import { runScale, type ScaleResult } from './scale.js';
import { runRuntimes } from './runtimes.js';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const given = args.find((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  // everything after the first '=' (a --runtimes value holds more)
  return given === undefined ? undefined : given.slice(`--${name}=`.length);
};
const quick = flag('quick') !== undefined;
const sizes = (flag('scale') || (quick ? '20' : '100,500,1000,5000,10000')).split(',').map(Number);
const profileDir = flag('profile') || undefined;
const out = flag('out') || fileURLToPath(new URL('../../bench/results.json', import.meta.url));
const log = (line: string) => process.stderr.write(`${line}\n`);
const idleSeconds = Number(flag('idle') || 60);
const fleetProcesses = Number(flag('fleet-processes')) || undefined;

const runtimes = flag('runtimes');
if (runtimes) {
  const table = await runRuntimes(
    {
      runtimes: runtimes.split(',').map((pair) => {
        const [label, node] = pair.split('=');
        return { label: label!, node: node! };
      }),
      rounds: Number(flag('rounds') || 2),
      scale: Number(flag('scale') || 1000),
      idleSeconds,
      quick,
      reuse: flag('reuse') !== undefined,
      outDir: flag('out') || fileURLToPath(new URL('../../bench/runtimes', import.meta.url)),
    },
    log,
  );
  console.log(table);
  process.exit(0);
}

const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}, ${new Date().toISOString().slice(0, 10)}`;
log(`machine: ${machine}`);

const report: {
  machine: string;
  real?: unknown;
  build?: unknown;
  metrics?: unknown;
  failover?: unknown;
  failoverZk?: unknown;
  scale: ScaleResult[];
  /** Fleet sizes whose run stopped, and why: their targets are printed as not measured. */
  scaleFailed?: { engines: number; error: string }[];
} = { machine, scale: [] };
if (flag('no-real') === undefined) {
  log('real cluster:');
  report.real = await runReal(
    quick
      ? { rounds: 2, callsPerRound: 5, cyclesPerRound: 1, throughputSeconds: 1 }
      : {
          rounds: 10,
          callsPerRound: 50,
          cyclesPerRound: 3,
          throughputSeconds: 3,
          readsOnly: flag('real-reads-only') !== undefined,
        },
    log,
  );
}
if (flag('no-build') === undefined) {
  log('BuildKit build:');
  report.build = await runBuildKit({ rounds: quick ? 2 : 10 }, log);
}
if (flag('no-metrics') === undefined) {
  log('metrics cost:');
  report.metrics = await runMetricsCost(
    quick ? { rounds: 2, callsPerRound: 20 } : { rounds: 20, callsPerRound: 100 },
    log,
  );
}
if (flag('no-failover') === undefined) {
  log('failover:');
  report.failover = await runFailover({ rounds: quick ? 2 : 5 }, log);
  log('failover on ZooKeeper:');
  report.failoverZk = await runFailover({ rounds: quick ? 2 : 5, store: 'zk' }, log);
}
if (flag('no-scale') === undefined) {
  for (const engines of sizes) {
    log(`scale: ${engines} fake engines × 30 containers:`);
    // one size that fails (10,000 engines past a machine's limits) leaves the others' figures and tables
    try {
      report.scale.push(
        await runScale(
          {
            ...(quick
              ? {
                  engines,
                  containersPerEngine: 30,
                  idleSeconds: 2,
                  idleWindowSeconds: 2,
                  creates: 50,
                }
              : {
                  engines,
                  containersPerEngine: 30,
                  idleSeconds,
                  idleWindowSeconds: idleSeconds,
                  creates: 500,
                }),
            profileDir,
            fleetProcesses,
          },
          log,
        ),
      );
    } catch (err) {
      log(`scale: ${engines} fake engines failed: ${(err as Error).message}`);
      (report.scaleFailed ??= []).push({ engines, error: (err as Error).message });
    }
  }
}

const sections = [`Machine: ${machine}`];
const real = report.real as Parameters<typeof realTable>[0] | { skipped: string } | undefined;
if (real && 'skipped' in real) sections.push(`Real cluster: skipped (${real.skipped})`);
else if (real) sections.push(realTable(real), realTargetsTable(real));
const build = report.build as Parameters<typeof buildTable>[0] | { skipped: string } | undefined;
if (build && 'skipped' in build) sections.push(`BuildKit build: skipped (${build.skipped})`);
else if (build) sections.push(buildTable(build));
const metrics = report.metrics as
  Parameters<typeof metricsTable>[0] | { skipped: string } | undefined;
if (metrics && 'skipped' in metrics) sections.push(`Metrics cost: skipped (${metrics.skipped})`);
else if (metrics) sections.push(metricsTable(metrics));
const failover = report.failover as
  Parameters<typeof failoverTable>[0] | { skipped: string } | undefined;
if (failover && 'skipped' in failover) sections.push(`Failover: skipped (${failover.skipped})`);
else if (failover) sections.push(failoverTable(failover));
const failoverZk = report.failoverZk as typeof failover;
if (failoverZk && 'skipped' in failoverZk)
  sections.push(`Failover on ZooKeeper: skipped (${failoverZk.skipped})`);
else if (failoverZk) sections.push(failoverTable(failoverZk));
if (report.scale.length > 0) sections.push(scaleTable(report.scale));
if (report.scale.length > 0 || report.scaleFailed)
  sections.push(targetsTable(report.scale, report.scaleFailed));
process.stdout.write(`${sections.join('\n\n')}\n`);
writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
log(`figures written to ${out}`);
