import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestCluster } from '../test/harness/cluster.js';
import { network } from '../test/harness/clusters.js';
import { run } from '../test/harness/exec.js';
import { SkepProcess } from '../test/harness/skep.js';
import { MODERN, realEngineSupport } from '../test/harness/support.js';
import { loadAverage, type Timing, timing } from './measure.js';

/** Its own names and subnet (test/harness/clusters.ts), apart from the tests' and the real-cluster part's. */
const CLUSTER = { ...network('bench-buildkit'), size: 3 } as const;

/** A small multi-stage build, run without its cache each time: the build itself is measured, not a cache hit. */
const DOCKERFILE = `FROM busybox AS base
RUN echo base > /base && sleep 0.2
FROM base AS tools
ARG TOOL=none
RUN echo $TOOL > /tool
FROM busybox
COPY --from=tools /base /tool /
ARG ROUND=0
RUN echo $ROUND > /round
`;

export interface BuildResult {
  skep: Timing;
  engine: Timing;
  /** Skep's median over the engine's, in percent. */
  overheadPercent: number;
  loadBefore: string;
  loadAfter: string;
}

/**
 * `docker build` (the CLI 28.5 with buildx, BuildKit over /grpc) of a small multi-stage Dockerfile, without cache:
 * through Skep (placed on node1) and straight to node1, one after the other, round by round.
 */
export async function runBuildKit(
  options: { rounds: number },
  log: (line: string) => void,
): Promise<BuildResult | { skipped: string }> {
  const support = realEngineSupport({ for: 'bench' });
  if (!support.ok) return { skipped: support.reason };
  const loadBefore = loadAverage();
  const cluster = await TestCluster.start({ ...CLUSTER, engines: ['28.5', '28.5', '28.5'] });
  let skep: SkepProcess | undefined;
  try {
    skep = await SkepProcess.start([cluster.discovery], { nodes: CLUSTER.size });
    const config = mkdtempSync(join(tmpdir(), 'skep-bench-config-'));
    mkdirSync(join(config, 'cli-plugins'));
    symlinkSync(
      join(MODERN.cliPlugins, 'docker-buildx'),
      join(config, 'cli-plugins', 'docker-buildx'),
    );
    const context = mkdtempSync(join(tmpdir(), 'skep-bench-ctx-'));
    writeFileSync(join(context, 'Dockerfile'), DOCKERFILE);
    const node1 = cluster.engines[0]!;
    const build = async (host: string, round: number, extra: string[]) => {
      const started = process.hrtime.bigint();
      const res = await run(
        MODERN.cli,
        ['build', '-q', '--no-cache', '--build-arg', `ROUND=${round}`, ...extra, context],
        {
          env: { ...process.env, DOCKER_HOST: host, DOCKER_CONFIG: config },
          timeoutMs: 120_000,
        },
      );
      if (res.code !== 0) throw new Error(`docker build through ${host}: ${res.stderr}`);
      return Number(process.hrtime.bigint() - started) / 1e6;
    };
    const samples = { skep: [] as number[], engine: [] as number[] };
    await build(`tcp://${node1.addr}`, -1, []); // warm both: the first build reads the base image's layers
    await build(skep.dockerHost, -1, ['--build-arg', `constraint:node==${node1.name}`]);
    for (let round = 0; round < options.rounds; round++) {
      samples.skep.push(
        await build(skep.dockerHost, round, ['--build-arg', `constraint:node==${node1.name}`]),
      );
      samples.engine.push(await build(`tcp://${node1.addr}`, round, []));
    }
    const [through, direct] = [timing(samples.skep), timing(samples.engine)];
    const overheadPercent = (through.median / direct.median - 1) * 100;
    log(
      `  docker build: engine ${direct.median.toFixed(0)} ms, Skep ${through.median.toFixed(0)} ms (${overheadPercent.toFixed(1)}%)`,
    );
    return { skep: through, engine: direct, overheadPercent, loadBefore, loadAfter: loadAverage() };
  } finally {
    await skep?.stop();
    await cluster.stop();
  }
}
