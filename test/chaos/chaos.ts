import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestCluster, type TestEngine } from '../harness/cluster.js';
import { network } from '../harness/clusters.js';
import { TestEtcd } from '../harness/etcd.js';
import { sleep, waitFor } from '../harness/exec.js';
import { FakeEngine } from '../harness/fake-engine.js';
import { type ChaosFault, type FaultContext, RESCHEDULE } from './faults.js';
import { ChaosManagers } from './managers.js';
import { OVERLAPPING_FAULTS } from './overlapping-faults.js';
import { SINGLE_FAULTS } from './single-faults.js';

export interface ChaosOptions {
  durationMs: number;
  /** Clients working at once, each on its own connection. */
  connections: number;
  /**
   * The test network's third octet and name prefix (one chaos run at a time per prefix);
   * `npm run chaos`'s by default.
   */
  subnet?: number;
  prefix?: string;
  log?: (line: string) => void;
  /**
   * Faults that overlap: two engines down at once, a link cut during a reschedule, the manager
   * restarted while an engine is down, and (under replication) etcd's quorum lost while the
   * primary is killed. Otherwise one fault at a time.
   */
  overlap?: boolean;
  /**
   * Three managers with `--replication` on a 3-member etcd, the clients spread over them. The
   * overlap mode's default.
   */
  replication?: boolean;
}

/** A client request that took longer than this is a hung request: the manager must answer (even an error) sooner. */
const REQUEST_TIMEOUT_MS = 30_000;
/** How much the manager's memory may grow over its start once the load is over. */
const MEMORY_BOUND_MIB = 100;
/** Quick health and engine timeouts, so a fault is noticed and answered within seconds. */
const MANAGER_FLAGS = [
  '--engine-refresh-min-interval=1s',
  '--engine-refresh-max-interval=2s',
  '--engine-failure-retry=2',
];

type Op = 'create' | 'start' | 'exec' | 'logs' | 'remove';

interface Tally {
  ok: number;
  failed: number;
  hung: number;
}

export interface ChaosReport {
  ok: boolean;
  /** Which faults, how many managers. */
  mode: string;
  seconds: number;
  /** Each kind of fault by its name, and how often it was injected. */
  faults: Record<string, number>;
  requests: Record<Op, Tally>;
  checks: { name: string; ok: boolean; detail: string }[];
  /**
   * What the manager's log says the rescheduler did (containers moved off failed nodes, stale copies removed), and
   * twins removed: containers made by creates given up on a node whose answer never came.
   */
  rescheduled: {
    moved: number;
    staleRemoved: number;
    createsGivenUp: number;
    twinsRemoved: number;
  };
  /** Where the manager's log was written, when a check failed. */
  managerLog?: string;
}

/**
 * A bounded chaos run on a real 3-node cluster behind a real manager (or three, replicated): clients
 * create, start, exec, read logs of and remove containers (a quarter of them with a reschedule
 * policy) while engines are killed, cut off and paused, the manager is restarted, and a fake engine
 * (NOT a Docker engine) feeds garbage; one fault at a time, or overlapping. Then it checks against
 * the engines themselves that nothing was lost or made twice, that no request hung, that no manager
 * exited by itself, and that their memory came back.
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? (() => {});
  const run = randomBytes(3).toString('hex');
  const started = Date.now();
  const overlap = options.overlap ?? false;
  const replication = options.replication ?? overlap;
  const faults: ChaosFault[] = overlap
    ? OVERLAPPING_FAULTS.filter((f) => replication || !f.replicated)
    : SINGLE_FAULTS;
  const { prefix, subnet } = network('chaos-run');
  const cluster = await TestCluster.start({
    prefix: options.prefix ?? prefix,
    subnet: options.subnet ?? subnet,
    size: 3,
  });
  // whatever the run started, stopped however it ends (a fault that throws included)
  let garbage: FakeEngine | undefined;
  let etcd: TestEtcd | undefined;
  let managers: ChaosManagers | undefined;
  try {
    garbage = await FakeEngine.start('chaotic');
    if (replication)
      // etcd's folder is the cluster's, so the cluster's cleanup stops whatever is left of it
      etcd = await TestEtcd.start(join(cluster.stateDir, 'etcd'), undefined, 3);
    const addrs = [...cluster.engines.map((e) => e.addr), garbage.addr];
    managers = etcd
      ? await ChaosManagers.replicated(etcd, 'chaos', addrs, MANAGER_FLAGS, 3)
      : await ChaosManagers.single(
          // one state file for the run, as an operator's manager keeps its own across restarts
          [...MANAGER_FLAGS, '--state-file', stateFileOfRun(), addrs.join(',')],
          3,
        );
    return await load(options, { cluster, managers, etcd, log, run }, faults, started);
  } catch (err) {
    // a fault or a wait that failed: the managers' own account, for whoever looks into it
    if (!managers) throw err;
    const path = `/tmp/skep-chaos-${run}.log`;
    writeFileSync(path, managers.logs());
    throw new Error(`${(err as Error).message} (the managers' log: ${path})`, { cause: err });
  } finally {
    await managers?.close();
    await etcd?.stop();
    await garbage?.stop();
    await cluster.stop();
  }
}

const stateFileOfRun = () => join(mkdtempSync(join(tmpdir(), 'skep-chaos-')), 'skep-nodes.json');

/** The load and the faults, then the checks against the engines. */
async function load(
  options: ChaosOptions,
  context: FaultContext,
  faults: ChaosFault[],
  started: number,
): Promise<ChaosReport> {
  const { cluster, managers, log, run } = context;
  const overlap = options.overlap ?? false;
  const replication = managers.replication;
  const report: ChaosReport = {
    ok: false,
    mode: `${overlap ? 'overlapping faults' : 'one fault at a time'}, ${replication ? '3 replicated managers' : '1 manager'}`,
    seconds: 0,
    faults: { ...Object.fromEntries(faults.map((f) => [f.name, 0])), 'garbage engine': 1 },
    requests: { create: tally(), start: tally(), exec: tally(), logs: tally(), remove: tally() },
    checks: [],
    rescheduled: { moved: 0, staleRemoved: 0, createsGivenUp: 0, twinsRemoved: 0 },
  };
  const ports = managers.slots.map((s) => s.port);

  const requested = new Set<string>();
  const created = new Set<string>();
  const removed = new Set<string>();
  /** Removes that failed as the client saw them: the engine may or may not have done it (the answer was lost). */
  const removeUnsure = new Set<string>();
  const rescheduled = new Set<string>();
  let stop = false;
  let serial = 0;

  const call = async (
    port: number,
    op: Op,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; text: string } | undefined> => {
    const began = Date.now();
    try {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, {
        method,
        headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const text = await res.text();
      report.requests[op][res.status < 400 ? 'ok' : 'failed']++;
      return { status: res.status, text };
    } catch (err) {
      const hung =
        (err as Error).name === 'TimeoutError' || Date.now() - began >= REQUEST_TIMEOUT_MS;
      report.requests[op][hung ? 'hung' : 'failed']++;
      if (hung) log(`hung: ${method} ${path} on :${port} after ${Date.now() - began} ms`);
      return undefined;
    }
  };

  /** One client on one connection, to one manager (spread over them under replication). */
  const client = async (port: number) => {
    const send = (op: Op, method: string, path: string, body?: unknown) =>
      call(port, op, method, path, body);
    while (!stop) {
      const name = `chaos-${run}-${++serial}`;
      const labels: Record<string, string> = { 'skep.chaos': run };
      if (serial % 4 === 0) {
        labels[RESCHEDULE] = '["on-node-failure"]';
        rescheduled.add(name);
      }
      requested.add(name);
      const res = await send('create', 'POST', `/containers/create?name=${name}`, {
        Image: 'busybox',
        Cmd: ['sh', '-c', 'echo hello; sleep 3600'],
        Labels: labels,
      });
      if (res?.status !== 201) {
        await sleep(200);
        continue;
      }
      created.add(name);
      await send('start', 'POST', `/containers/${name}/start`);
      const exec = await send('exec', 'POST', `/containers/${name}/exec`, {
        Cmd: ['echo', 'exec'],
        AttachStdout: true,
      });
      if (exec?.status === 201)
        await send('exec', 'POST', `/exec/${idOf(exec.text)}/start`, { Detach: true });
      await send('logs', 'GET', `/containers/${name}/logs?stdout=1&stderr=1`);
      if (serial % 5 < 3) {
        const res = await send('remove', 'DELETE', `/containers/${name}?force=1`);
        if (res?.status === 204) removed.add(name);
        else removeUnsure.add(name);
      }
    }
  };

  // the duration is the load's, from now: the cluster's start is not part of it
  const deadline = Date.now() + options.durationMs;
  const clients = Array.from({ length: options.connections }, (_, i) =>
    client(ports[i % ports.length]!),
  );
  try {
    // every kind of fault at least once, however short the run
    for (let turn = 0; turn < faults.length || Date.now() < deadline - 8000; turn++) {
      await sleep(2000);
      const fault = faults[turn % faults.length]!;
      // overlapping faults start from a whole cluster, so the overlap is the one they make
      if (overlap)
        await managers
          .healthy(cluster.engines.length, 30_000)
          .catch((err: Error) => log(`before ${fault.name}: ${err.message}`));
      await fault.inject(context);
      report.faults[fault.name]!++;
    }
    while (Date.now() < deadline) await sleep(500);
  } finally {
    stop = true;
    await Promise.all(clients);
  }

  // Every fault is over: wait for the managers to see every node again, and for rescheduled copies to settle.
  for (const engine of cluster.engines)
    await waitFor(
      `${engine.name} to answer`,
      () => cluster.docker(engine, ['version']).then((r) => (r.code === 0 ? true : undefined)),
      60_000,
    );
  await managers.healthy(cluster.engines.length, 60_000);
  await sleep(10_000);
  const memory = managers.memory();

  const found = await containersOnEngines(cluster, cluster.engines, run);
  const counts = new Map<string, number>();
  for (const name of found) counts.set(name, (counts.get(name) ?? 0) + 1);
  const kept = [...created].filter((n) => !removed.has(n) && !removeUnsure.has(n));
  const lost = kept
    .filter((n) => !counts.has(n))
    .map((n) => (rescheduled.has(n) ? `${n} (reschedule policy)` : n));
  const unsureGone = [...removeUnsure].filter((n) => !counts.has(n)).length;
  const twice = [...counts].filter(([, n]) => n > 1).map(([name, n]) => `${name} ×${n}`);
  const strangers = [...counts.keys()].filter((n) => !requested.has(n));
  const revived = [...removed].filter((n) => counts.has(n));
  const hung = Object.values(report.requests).reduce((sum, r) => sum + r.hung, 0);
  const check = (name: string, ok: boolean, detail: string) =>
    report.checks.push({ name, ok, detail });
  check(
    'every container a client was told was created exists',
    lost.length === 0,
    `${kept.length - lost.length}/${kept.length}${lost.length ? `; lost: ${lost.slice(0, 5).join(', ')}` : ''}`,
  );
  check(
    'a container whose remove failed for the client exists once, or not at all',
    [...removeUnsure].every((n) => (counts.get(n) ?? 0) <= 1),
    `${removeUnsure.size} such removes: ${unsureGone} done by the engine, ${removeUnsure.size - unsureGone} not`,
  );
  check(
    'no container exists twice',
    twice.length === 0,
    twice.length ? twice.slice(0, 5).join(', ') : `${found.length} containers on the engines`,
  );
  check(
    'no container exists that no client asked for',
    strangers.length === 0,
    strangers.length ? strangers.slice(0, 5).join(', ') : 'none',
  );
  check(
    'no container a client was told was removed is back',
    revived.length === 0,
    revived.length ? revived.slice(0, 5).join(', ') : `${removed.size} removed`,
  );
  check(`no request hung past ${REQUEST_TIMEOUT_MS / 1000} s`, hung === 0, `${hung} hung`);
  check(
    replication ? 'no manager exited by itself' : 'the manager never exited by itself',
    managers.exitedByItself === 0,
    `${managers.exitedByItself} exits`,
  );
  check(
    `${replication ? "each manager's" : 'its'} memory came back within ${MEMORY_BOUND_MIB} MiB of its start`,
    memory.every((m) => m.now - m.baseline <= MEMORY_BOUND_MIB),
    memory.map((m) => `${m.baseline} → ${m.now} MiB`).join(', '),
  );
  const logText = managers.logs();
  report.rescheduled = {
    moved: logText.match(/Rescheduled container /g)?.length ?? 0,
    staleRemoved:
      logText.match(/was rescheduled (on node|and its copy removed since).*, removed it from/g)
        ?.length ?? 0,
    createsGivenUp: logText.match(/could not be reached for a create/g)?.length ?? 0,
    twinsRemoved: logText.match(/was made for a create given up there; removed it/g)?.length ?? 0,
  };
  report.ok = report.checks.every((c) => c.ok);
  if (!report.ok) {
    // the managers' own account, for whoever looks into the failure
    report.managerLog = `/tmp/skep-chaos-${run}.log`;
    writeFileSync(report.managerLog, logText);
  }
  report.seconds = Math.round((Date.now() - started) / 1000);
  return report;
}

const tally = (): Tally => ({ ok: 0, failed: 0, hung: 0 });

function idOf(text: string): string {
  try {
    return (JSON.parse(text) as { Id: string }).Id;
  } catch {
    return 'none';
  }
}

/** The run's containers by name, as the engines list them (not the manager). */
async function containersOnEngines(
  cluster: TestCluster,
  engines: TestEngine[],
  run: string,
): Promise<string[]> {
  const names: string[] = [];
  for (const engine of engines) {
    const listed = await cluster.docker(engine, [
      'ps',
      '-a',
      '--filter',
      `label=skep.chaos=${run}`,
      '--format',
      '{{.Names}}',
    ]);
    if (listed.code !== 0) throw new Error(`${engine.name}: ${listed.stderr}`);
    names.push(...listed.stdout.split('\n').filter(Boolean));
  }
  return names;
}

/** The report as a table: faults, requests, checks. */
export function formatReport(report: ChaosReport): string {
  const width = Math.max(...Object.keys(report.faults).map((f) => f.length)) + 2;
  const lines = [
    `chaos run (${report.mode}): ${report.seconds} s, ${report.ok ? 'nothing lost' : 'FAILED'}`,
    '',
    `${'fault'.padEnd(width)}injected`,
  ];
  for (const [fault, n] of Object.entries(report.faults))
    lines.push(`${fault.padEnd(width)}${fault === 'garbage engine' ? 'the whole run' : n}`);
  lines.push('', 'request     ok  failed  hung');
  for (const [op, t] of Object.entries(report.requests))
    lines.push(
      `${op.padEnd(10)}${String(t.ok).padStart(4)}${String(t.failed).padStart(8)}${String(t.hung).padStart(6)}`,
    );
  const { moved, staleRemoved, createsGivenUp, twinsRemoved } = report.rescheduled;
  lines.push(
    '',
    `rescheduled: ${moved} containers moved off failed nodes, ${staleRemoved} stale copies removed when their node came back`,
  );
  lines.push(
    `creates given up on a node: ${createsGivenUp}; twins removed: ${twinsRemoved} (containers such a node made anyway)`,
  );
  lines.push('', 'check');
  for (const c of report.checks) lines.push(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
  if (report.managerLog) lines.push('', `the managers' log: ${report.managerLog}`);
  return lines.join('\n');
}
