import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleep } from '../test/harness/exec.js';
import { freePort, healthyNodes, REPO_ROOT, SWARM_BIN } from '../test/harness/skep.js';
import { raisedFiles, withFiles } from './file-limit.js';
import { Fleet, type FleetStats } from './fleet.js';
import { Client, loadAverage, processSample, type Timing, timing } from './measure.js';

/** Containers created then removed before RSS is read again. */
const CHURN = 1000;

export interface ScaleOptions {
  engines: number;
  containersPerEngine: number;
  /** How long the manager is left idle before RSS is read again (the minute; shorter for a smoke run). */
  idleSeconds: number;
  /** The idle stretch after it over which CPU and requests to engines are measured. */
  idleWindowSeconds: number;
  creates: number;
  /**
   * Where the manager writes its CPU profile (`--cpu-prof`), if anywhere; it is stopped with SIGINT then, so
   * it writes it.
   */
  profileDir?: string;
  /** How many processes serve the fake fleet (default: bench/fleet.ts's choice for its size). */
  fleetProcesses?: number;
}

export interface ScaleResult {
  engines: number;
  containers: number;
  /**
   * From the manager's start until every node is Healthy (`docker info`), and until the manager logged every
   * node's inventory read.
   */
  healthyMs: number;
  inventoryMs: number;
  rssSettledMiB: number;
  rssAfterIdleMiB: number;
  /** After the calls below (the list served, with its rows' text cached, and the creates). */
  rssAfterCallsMiB: number;
  /** After 1,000 more creates, then the removal of the same 1,000 (the "≤ settled + 20%"). */
  rssAfterCreateRemoveMiB: number;
  idleCpuPercent: number;
  idleEngineRequestsPerSecond: number;
  /** The manager's CPU from its start to the end of the inventory, per request the fleet answered meanwhile. */
  cpuMicrosPerExchange: number;
  info: Timing & { bytes: number };
  list: Timing & { bytes: number };
  inspect: Timing & { bytes: number };
  creates: { concurrency: number; perSecond: number; ms: Timing; cpuMsPerCreate: number }[];
  /** Every create listed once afterwards, under its own name, and no other container added or lost. */
  createsListedOnce: boolean;
  /** One fake engine killed (its listener and connections closed): until `docker info` says Unhealthy. */
  killedSeenMs: number;
  /**
   * The fake fleet's busiest moment during the calls, in % of one core, summed over its processes: near 100 per
   * process (or the machine's cores × 100 in all) it, not the manager, would be the limit.
   */
  fleetCpuPercentMax: number;
  /** What the fleet costs: its processes (engines each), their CPU from the manager's start to the inventory
   * (% of one core, summed), their RSS together after the calls; and the manager's CPU over the same start. */
  fleet?: {
    processes: number;
    engines: number[];
    cpuPercentToInventory: number;
    managerCpuPercentToInventory: number;
    rssMiB: number;
  };
  /** The fleet's CPU per request during the inventory (µs): what the instrument itself costs. */
  fleetMicrosPerRequest: number;
  loadBefore: string;
  loadAfter: string;
}

/** The fleet's CPU use between two samples, in % of one core. */
const fleetCpu = (a: FleetStats, b: FleetStats, ms: number) => ((b.cpuMs - a.cpuMs) / ms) * 100;
const mib = (bytes: number) => Math.round(bytes / 2 ** 20);

/** The manager's stderr: its one `inventory read` line (when it came), warnings and errors passed on. */
function watchLog(child: ChildProcess, started: number): { inventory: Promise<number> } {
  let told: (ms: number) => void = () => {};
  const inventory = new Promise<number>((resolve) => (told = resolve));
  let pending = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      if (line.includes('msg="inventory read:')) told(Date.now() - started);
      else if (/level=(warning|error|fatal)/.test(line))
        process.stderr.write(`  manager: ${line}\n`);
    }
  });
  return { inventory };
}

/**
 * The promise, or an error after `ms`. The timer is cleared once the promise settles: a pending one kept
 * the bench's process alive for three minutes after it had printed its figures.
 */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} not within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/**
 * The nodes as `swarm manage` takes them: one argument while it fits Linux's 128 KiB limit for one argument
 * (MAX_ARG_STRLEN; 10,000 addresses do not: `spawn E2BIG`), else a file:// discovery file, as an operator of
 * that many nodes would give them.
 */
let listDir: string | undefined;
const nodeListDir = () => (listDir ??= mkdtempSync(join(tmpdir(), 'skep-bench-nodes-')));

function nodeList(addresses: string[]): string {
  const list = addresses.join(',');
  if (Buffer.byteLength(list) < 128 * 1024) return list;
  const file = join(nodeListDir(), 'nodes');
  writeFileSync(file, addresses.join('\n') + '\n');
  return `file://${file}`;
}

export async function runScale(
  options: ScaleOptions,
  log: (line: string) => void,
): Promise<ScaleResult> {
  const loadBefore = loadAverage();
  const fleet = await Fleet.start(
    options.engines,
    options.containersPerEngine,
    options.fleetProcesses,
  );
  log(`  the fake fleet: ${fleet.processes} processes (${fleet.shares.join(', ')} engines)`);
  // the manager keeps an event stream and a pooled connection to each engine: past the limit it can accept
  // no client (not even the bench's /info) and its nodes time out connecting
  const files = raisedFiles();
  if (files < 2 * options.engines + 100)
    log(
      `  warning: the manager may open 2 connections per engine (${2 * options.engines}), over its limit of open files (${files})`,
    );
  const [port, statusPort] = [await freePort(), await freePort()];
  let skep: ChildProcess | undefined;
  const client = new Client('127.0.0.1', port);
  try {
    let fleetMax = 0;
    const fleetAtStart = await fleet.stats();
    const started = Date.now();
    // metrics on (the operator listener), as the issue asks them measured; info level for the inventory line
    const profile = options.profileDir
      ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`]
      : [];
    // 10,000 engines are 10,000 connections and more: over the usual limit of open files
    const [command, args] = withFiles(process.execPath, [
      ...profile,
      SWARM_BIN,
      '--log-level',
      'info',
      'manage',
      '-H',
      `127.0.0.1:${port}`,
      '--status-addr',
      `127.0.0.1:${statusPort}`,
      nodeList(fleet.addresses),
    ]);
    skep = spawn(command, args, { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    const pid = skep.pid!;
    const { inventory } = watchLog(skep, started);
    // how long a start may take before the run stops: 2 minutes, longer for a fleet past 5,000 (figures far
    // off their goals are still figures)
    const patience = Math.max(120_000, options.engines * 24);
    // asked every 100 ms, every 500 ms at 10,000: its answer is 5 MB there, and made for each ask it took about a tenth
    // of the manager's start in a profile
    const pollMs = Math.max(100, options.engines / 20);
    const infoOf = () => client.json<Parameters<typeof healthyNodes>[0]>('/info');
    for (;;) {
      if (skep.exitCode !== null) throw new Error(`the manager exited ${skep.exitCode}`);
      const healthy = await infoOf().then(healthyNodes, () => 0);
      if (healthy === options.engines) break;
      if (Date.now() - started > patience)
        throw new Error(
          `only ${healthy} of ${options.engines} nodes healthy after ${patience / 1000} s`,
        );
      await sleep(pollMs);
    }
    const healthyMs = Date.now() - started;
    const inventoryMs = await within(inventory, 1.5 * patience, 'the inventory');
    const [cpuAtInventory, fleetAtInventory, sinceStart] = [
      processSample(pid).cpuMs,
      await fleet.stats(),
      Date.now() - started,
    ];
    const exchanges = fleetAtInventory.requests - fleetAtStart.requests;
    const cpuMicrosPerExchange = (cpuAtInventory * 1000) / exchanges;
    const fleetMicrosPerRequest =
      ((fleetAtInventory.cpuMs - fleetAtStart.cpuMs) * 1000) / exchanges;
    // the machine's share each had meanwhile (% of one core)
    const managerCpuPercentToInventory = (cpuAtInventory / sinceStart) * 100;
    const fleetCpuPercentToInventory = fleetCpu(fleetAtStart, fleetAtInventory, sinceStart);
    log(
      `  ${options.engines} engines healthy after ${healthyMs} ms, inventory read after ${inventoryMs} ms (${exchanges} requests)`,
    );
    log(
      `  until then: manager ${managerCpuPercentToInventory.toFixed(0)}%, fleet ${fleetCpuPercentToInventory.toFixed(0)}% of a core`,
    );

    // settled: two seconds after the inventory (the health checks that follow are spread over minutes, so the
    // fleet is never quite silent)
    await sleep(2000);
    const rssSettled = processSample(pid).rssBytes;
    // an idle minute (RSS after it), then CPU and requests to engines over the next idle stretch
    await sleep(options.idleSeconds * 1000);
    const [idleFrom, fleetFrom, idleAt] = [
      processSample(pid),
      await fleet.stats(),
      Date.now() - started,
    ];
    await sleep(options.idleWindowSeconds * 1000);
    const [idleTo, fleetTo] = [processSample(pid), await fleet.stats()];
    const idleCpuPercent =
      ((idleTo.cpuMs - idleFrom.cpuMs) / (options.idleWindowSeconds * 1000)) * 100;
    const idleEngineRequestsPerSecond =
      (fleetTo.requests - fleetFrom.requests) / options.idleWindowSeconds;
    if (options.profileDir)
      log(`  (idle window: ${idleAt}-${Date.now() - started} ms after start)`);
    log(
      `  idle: ${idleCpuPercent.toFixed(2)}% CPU, ${idleEngineRequestsPerSecond.toFixed(1)} engine requests/s, RSS ${mib(rssSettled)} → ${mib(idleFrom.rssBytes)} MiB`,
    );

    const measure = async <T>(what: () => Promise<T>, name = ''): Promise<T> => {
      const [from, t0] = [await fleet.stats(), Date.now()];
      const result = await what();
      fleetMax = Math.max(fleetMax, fleetCpu(from, await fleet.stats(), Date.now() - t0));
      if (options.profileDir && name)
        log(`  (${name}: ${t0 - started}-${Date.now() - started} ms after start)`);
      return result;
    };
    const info = await measure(() => client.timeGets('/info', 200), '/info');
    const list = await measure(() => client.timeGets('/containers/json?all=1', 30), 'the list');
    const ids = (await client.json<{ Id: string }[]>('/containers/json?all=1')).map((r) => r.Id);
    let n = 0;
    const inspect = await measure(() =>
      client.timeGets(() => `/containers/${ids[(n += 7919) % ids.length]}/json`, 500),
    );
    log(
      `  /info ${info.median.toFixed(2)} ms, /containers/json ${list.median.toFixed(1)} ms (${mib(list.bytes)} MiB), inspect ${inspect.median.toFixed(2)} ms`,
    );

    const creates: ScaleResult['creates'] = [];
    for (const concurrency of [1, 16]) {
      const creator = new Client('127.0.0.1', port, concurrency);
      const ms: number[] = [];
      const cpuFrom = processSample(pid).cpuMs;
      const t0 = Date.now();
      let next = 0;
      await measure(
        () =>
          Promise.all(
            Array.from({ length: concurrency }, async () => {
              while (next < options.creates)
                ms.push(
                  (
                    await creator.ok(
                      'POST',
                      `/containers/create?name=bench-c${concurrency}-${next++}`,
                      { Image: 'busybox', Cmd: ['true'] },
                    )
                  ).ms,
                );
            }),
          ),
        `creates at concurrency ${concurrency}`,
      );
      const elapsed = Date.now() - t0;
      creator.close();
      creates.push({
        concurrency,
        perSecond: (options.creates / elapsed) * 1000,
        ms: timing(ms),
        cpuMsPerCreate: (processSample(pid).cpuMs - cpuFrom) / options.creates,
      });
      log(
        `  creates at concurrency ${concurrency}: ${((options.creates / elapsed) * 1000).toFixed(0)}/s, median ${timing(ms).median.toFixed(2)} ms`,
      );
    }
    // race-free: every create is one container, listed once under its name, and nothing else came or went
    const after = (await client.json<{ Names: string[] }[]>('/containers/json?all=1')).map((r) =>
      r.Names[0]!.split('/').pop()!,
    );
    const made = after.filter((name) => name.startsWith('bench-c'));
    const createsListedOnce =
      after.length === ids.length + 2 * options.creates &&
      new Set(made).size === 2 * options.creates;

    const [rssAfterCalls, fleetAfterCalls] = [processSample(pid).rssBytes, await fleet.stats()];
    // --- RSS after 1,000 creates and their removal (helper "inventory"'s block): what a churn leaves behind
    const churn = new Client('127.0.0.1', port, 16);
    const everyone = (call: (n: number) => Promise<unknown>) => {
      let next = 0;
      return Promise.all(
        Array.from({ length: 16 }, async () => {
          while (next < CHURN) await call(next++);
        }),
      );
    };
    await everyone((n) =>
      churn.ok('POST', `/containers/create?name=bench-churn-${n}`, {
        Image: 'busybox',
        Cmd: ['true'],
      }),
    );
    await everyone((n) => churn.ok('DELETE', `/containers/bench-churn-${n}?force=1`));
    churn.close();
    await sleep(2000);
    const rssAfterCreateRemove = processSample(pid).rssBytes;
    log(
      `  ${CHURN} creates and removes: RSS ${mib(rssAfterCreateRemove)} MiB (settled ${mib(rssSettled)})`,
    );
    // --- end of the churn block

    // a killed engine: its stream ends, reconnects are refused; until docker info says so
    const killedAt = Date.now();
    fleet.kill(0);
    await waitUntil(async () => healthyNodes(await infoOf()) === options.engines - 1, 120_000);
    const killedSeenMs = Date.now() - killedAt;
    log(
      `  creates listed once: ${createsListedOnce}; a killed engine Unhealthy after ${killedSeenMs} ms`,
    );
    return {
      engines: options.engines,
      containers: options.engines * options.containersPerEngine,
      healthyMs,
      inventoryMs,
      rssSettledMiB: mib(rssSettled),
      rssAfterIdleMiB: mib(idleFrom.rssBytes),
      rssAfterCallsMiB: mib(rssAfterCalls),
      rssAfterCreateRemoveMiB: mib(rssAfterCreateRemove),
      idleCpuPercent,
      idleEngineRequestsPerSecond,
      cpuMicrosPerExchange,
      info,
      list,
      inspect,
      creates,
      createsListedOnce,
      killedSeenMs,
      fleetCpuPercentMax: fleetMax,
      fleetMicrosPerRequest,
      fleet: {
        processes: fleet.processes,
        engines: fleet.shares,
        cpuPercentToInventory: fleetCpuPercentToInventory,
        managerCpuPercentToInventory,
        rssMiB: mib(fleetAfterCalls.rssBytes),
      },
      loadBefore,
      loadAfter: loadAverage(),
    };
  } finally {
    client.close();
    if (skep && options.profileDir && skep.exitCode === null) {
      const exited = new Promise((resolve) => skep!.once('exit', resolve));
      skep.kill('SIGINT');
      await within(exited, 30_000, 'the profiled manager to exit').catch(() =>
        skep!.kill('SIGKILL'),
      );
    }
    skep?.kill('SIGKILL');
    fleet.stop();
    if (listDir) rmSync(listDir, { recursive: true, force: true });
    listDir = undefined;
  }
}

async function waitUntil(condition: () => Promise<boolean>, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!(await condition().catch(() => false))) {
    if (Date.now() > until) throw new Error(`not within ${ms / 1000} s`);
    await sleep(100);
  }
}
