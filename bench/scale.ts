import { type ChildProcess, fork, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sleep } from '../test/harness/exec.js';
import { freePort, healthyNodes, REPO_ROOT, SWARM_BIN } from '../test/harness/skep.js';
import { Client, loadAverage, processSample, type Timing, timing } from './measure.js';

const FLEET_PROCESS = fileURLToPath(new URL('./fleet-process.js', import.meta.url));

export interface ScaleOptions {
  engines: number;
  containersPerEngine: number;
  /** How long the manager is left idle before RSS is read again (the minute; shorter for a smoke run). */
  idleSeconds: number;
  /** The idle stretch after it over which CPU and requests to engines are measured. */
  idleWindowSeconds: number;
  creates: number;
}

export interface ScaleResult {
  engines: number;
  containers: number;
  convergeMs: number;
  rssSettledMiB: number;
  rssAfterIdleMiB: number;
  idleCpuPercent: number;
  idleEngineRequestsPerSecond: number;
  info: Timing & { bytes: number };
  list: Timing & { bytes: number };
  inspect: Timing & { bytes: number };
  creates: { concurrency: number; perSecond: number; ms: Timing; cpuMsPerCreate: number }[];
  /** The fake fleet's busiest moment, in % of one core: near 100 it, not the manager, would be the limit. */
  fleetCpuPercentMax: number;
  loadBefore: string;
  loadAfter: string;
}

interface FleetStats {
  requests: number;
  cpuMs: number;
}

/** The fake fleet's process: started, asked for its counters, stopped. */
class FleetProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly addresses: string[],
  ) {}

  static start(engines: number, perEngine: number): Promise<FleetProcess> {
    const child = fork(FLEET_PROCESS, [String(engines), String(perEngine)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    return new Promise((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`the fake fleet exited ${code}`)));
      child.once('message', (m: { addresses: string[] }) => resolve(new FleetProcess(child, m.addresses)));
    });
  }

  stats(): Promise<FleetStats> {
    return new Promise((resolve) => {
      this.child.once('message', (m: FleetStats) => resolve(m));
      this.child.send('stats');
    });
  }

  stop(): void {
    this.child.removeAllListeners('exit');
    this.child.kill('SIGKILL');
  }
}

/** The fleet's CPU use between two samples, in % of one core. */
const fleetCpu = (a: FleetStats, b: FleetStats, ms: number) => ((b.cpuMs - a.cpuMs) / ms) * 100;
const mib = (bytes: number) => Math.round(bytes / 2 ** 20);

export async function runScale(options: ScaleOptions, log: (line: string) => void): Promise<ScaleResult> {
  const loadBefore = loadAverage();
  const fleet = await FleetProcess.start(options.engines, options.containersPerEngine);
  const port = await freePort();
  let skep: ChildProcess | undefined;
  const client = new Client('127.0.0.1', port);
  try {
    let fleetMax = 0;
    const started = Date.now();
    skep = spawn(process.execPath, [SWARM_BIN, '--log-level', 'warn', 'manage', '-H', `127.0.0.1:${port}`, fleet.addresses.join(',')], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    const pid = skep.pid!;
    for (;;) {
      if (skep.exitCode !== null) throw new Error(`the manager exited ${skep.exitCode}`);
      const healthy = await client.json<Parameters<typeof healthyNodes>[0]>('/info').then(healthyNodes, () => 0);
      if (healthy === options.engines) break;
      if (Date.now() - started > 120_000) throw new Error(`only ${healthy} of ${options.engines} nodes healthy after 2 minutes`);
      await sleep(100);
    }
    const convergeMs = Date.now() - started;
    log(`  ${options.engines} engines healthy after ${convergeMs} ms`);

    // settled: the manager has finished reading every node's inventory (the fleet has had no request for 2 s)
    let [last, quietSince] = [-1, Date.now()];
    while (Date.now() - quietSince < 2000) {
      const { requests } = await fleet.stats();
      if (requests !== last) [last, quietSince] = [requests, Date.now()];
      await sleep(250);
    }
    log(`  settled (inventory read) ${Date.now() - started} ms after start`);
    const rssSettled = processSample(pid).rssBytes;
    // an idle minute (RSS after it), then CPU and requests to engines over the next idle stretch
    await sleep(options.idleSeconds * 1000);
    const [idleFrom, fleetFrom] = [processSample(pid), await fleet.stats()];
    await sleep(options.idleWindowSeconds * 1000);
    const [idleTo, fleetTo] = [processSample(pid), await fleet.stats()];
    const idleCpuPercent = ((idleTo.cpuMs - idleFrom.cpuMs) / (options.idleWindowSeconds * 1000)) * 100;
    const idleEngineRequestsPerSecond = (fleetTo.requests - fleetFrom.requests) / options.idleWindowSeconds;
    log(`  idle: ${idleCpuPercent.toFixed(2)}% CPU, ${idleEngineRequestsPerSecond.toFixed(1)} engine requests/s, RSS ${mib(rssSettled)} → ${mib(idleFrom.rssBytes)} MiB`);

    const measure = async <T>(what: () => Promise<T>): Promise<T> => {
      const [from, t0] = [await fleet.stats(), Date.now()];
      const result = await what();
      fleetMax = Math.max(fleetMax, fleetCpu(from, await fleet.stats(), Date.now() - t0));
      return result;
    };
    const info = await measure(() => client.timeGets('/info', 200));
    const list = await measure(() => client.timeGets('/containers/json?all=1', 30));
    const ids = (await client.json<{ Id: string }[]>('/containers/json?all=1')).map((r) => r.Id);
    let n = 0;
    const inspect = await measure(() => client.timeGets(() => `/containers/${ids[(n += 7919) % ids.length]}/json`, 500));
    log(`  /info ${info.median.toFixed(2)} ms, /containers/json ${list.median.toFixed(1)} ms (${mib(list.bytes)} MiB), inspect ${inspect.median.toFixed(2)} ms`);

    const creates: ScaleResult['creates'] = [];
    for (const concurrency of [1, 16]) {
      const creator = new Client('127.0.0.1', port, concurrency);
      const ms: number[] = [];
      const cpuFrom = processSample(pid).cpuMs;
      const t0 = Date.now();
      let left = options.creates;
      await measure(() =>
        Promise.all(
          Array.from({ length: concurrency }, async () => {
            while (left-- > 0) ms.push((await creator.ok('POST', '/containers/create', { Image: 'busybox', Cmd: ['true'] })).ms);
          }),
        ),
      );
      const elapsed = Date.now() - t0;
      creator.close();
      creates.push({ concurrency, perSecond: (options.creates / elapsed) * 1000, ms: timing(ms), cpuMsPerCreate: (processSample(pid).cpuMs - cpuFrom) / options.creates });
      log(`  creates at concurrency ${concurrency}: ${((options.creates / elapsed) * 1000).toFixed(0)}/s, median ${timing(ms).median.toFixed(2)} ms`);
    }
    return {
      engines: options.engines,
      containers: options.engines * options.containersPerEngine,
      convergeMs,
      rssSettledMiB: mib(rssSettled),
      rssAfterIdleMiB: mib(idleFrom.rssBytes),
      idleCpuPercent,
      idleEngineRequestsPerSecond,
      info,
      list,
      inspect,
      creates,
      fleetCpuPercentMax: fleetMax,
      loadBefore,
      loadAfter: loadAverage(),
    };
  } finally {
    client.close();
    skep?.kill('SIGKILL');
    fleet.stop();
  }
}
