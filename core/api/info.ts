import os from 'node:os';
import type { ResolvedConfig } from '../../config/types.js';
import type { Cluster } from '../cluster/cluster.js';
import type { Engine } from '../cluster/engine.js';
import { nodeLabels } from '../cluster/node-view.js';
import { SWARM_VERSION } from '../version.js';
import { type ManagerRole, standalone } from '../replication/role.js';
import { bytesSize, compareText } from './format.js';

/** A node's health and availability as `docker info` (and `swarm node ls`) print them. */
export const HEALTH_TEXT = {
  pending: 'Pending',
  healthy: 'Healthy',
  unhealthy: 'Unhealthy',
} as const;
export const AVAILABILITY_TEXT = { active: 'Active', pause: 'Pause', drain: 'Drain' } as const;

function countStates(engine: Engine) {
  const { running, paused } = engine.containers;
  return {
    total: engine.containers.size,
    running,
    paused,
    stopped: engine.containers.size - running - paused,
  };
}

type Pair = readonly [string, string];

/**
 * A node's block, and what it was made from: when none of that changed, the block
 * (and its JSON text) is reused.
 */
interface Block {
  lines: readonly Pair[];
  /**
   * The lines' JSON (UTF-8), without the brackets: /info at 1,000 nodes is 11,000 lines,
   * too many to encode per call.
   */
  bytes: Buffer;
  stamp: [number, number, number];
  error?: string;
  updatedAt?: Date;
}

/**
 * Each node's block as last made: `/info` at 1,000 nodes remakes only the changed ones
 * (the check allocates nothing).
 */
const blocks = new WeakMap<Engine, Block>();

function nodeStatus(engine: Engine): Block {
  const block = blocks.get(engine);
  if (
    block &&
    !engine.changedSince(block.stamp) &&
    block.error === engine.lastError &&
    block.updatedAt === engine.updatedAt
  ) {
    return block;
  }
  // frozen: the same lines serve every call, so a plugin must not change them in place
  const lines = Object.freeze(makeNodeStatus(engine).map((pair) => Object.freeze(pair)));
  const fresh: Block = {
    lines,
    bytes: Buffer.from(lines.map((pair) => JSON.stringify(pair)).join(',')),
    stamp: engine.viewStamp(),
    error: engine.lastError,
    updatedAt: engine.updatedAt,
  };
  blocks.set(engine, fresh);
  return fresh;
}

/** Where each node's block sits in a SystemStatus this module made. */
const blocksIn = new WeakMap<object, { at: number; block: Block }[]>();
const SYSTEM_STATUS_MARK = '\u0000SystemStatus';

const COMMA = Buffer.from(',');
const json = (value: unknown) => Buffer.from(JSON.stringify(value));

/**
 * `/info`'s JSON: SystemStatus from each node's block bytes where the lines are still the ones
 * made (a plugin may have changed, added or removed some: those are stringified).
 */
export function infoJson(body: unknown): Buffer {
  const status = (body as { SystemStatus?: unknown } | null)?.SystemStatus;
  const placed = Array.isArray(status) ? blocksIn.get(status) : undefined;
  if (!placed || !Array.isArray(status)) return json(body);
  const parts: Buffer[] = [];
  const add = (part: Buffer) => parts.push(...(parts.length > 0 ? [COMMA, part] : [part]));
  let i = 0;
  for (const { at, block } of placed) {
    if (at < i) continue;
    while (i < at && i < status.length) add(json(status[i++]));
    if (block.lines.every((line, k) => status[at + k] === line)) {
      add(block.bytes);
      i += block.lines.length;
    }
  }
  while (i < status.length) add(json(status[i++]));
  const [before, after] = JSON.stringify({
    ...(body as object),
    SystemStatus: SYSTEM_STATUS_MARK,
  }).split(JSON.stringify(SYSTEM_STATUS_MARK));
  return Buffer.concat([Buffer.from(`${before}[`), ...parts, Buffer.from(`]${after}`)]);
}

/**
 * One node's block of classic swarm's `docker info`:
 * `  node1: addr` then `   └ Key: value` lines.
 */
function makeNodeStatus(engine: Engine): [string, string][] {
  const counts = countStates(engine);
  const reserved = engine.reserved();
  const labels = Object.entries(nodeLabels(engine))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  return [
    [` ${engine.name}`, engine.addr],
    ['  └ ID', engine.id],
    ['  └ Status', HEALTH_TEXT[engine.health]],
    [
      '  └ Containers',
      `${counts.total} (${counts.running} Running, ${counts.paused} Paused, ${counts.stopped} Stopped)`,
    ],
    ['  └ Reserved CPUs', `${reserved.cpus} / ${engine.info?.NCPU ?? 0}`],
    [
      '  └ Reserved Memory',
      `${bytesSize(reserved.memory)} / ${bytesSize(engine.info?.MemTotal ?? 0)}`,
    ],
    ['  └ Labels', labels],
    // as classic 1.2.9 printed it: an Error line only when the node has one
    ...(engine.lastError ? [['  └ Error', engine.lastError] as [string, string]] : []),
    [
      '  └ UpdatedAt',
      engine.updatedAt ? engine.updatedAt.toISOString().replace(/\.\d+Z$/, 'Z') : 'never',
    ],
    ['  └ ServerVersion', engine.version?.Version ?? ''],
    // Skep's addition (`swarm node update --availability`), in Docker's words,
    // after classic's lines
    ['  └ Availability', AVAILABILITY_TEXT[engine.maintenance.availability]],
  ];
}

/**
 * Classic's lines for the manager's role: `Role: primary`, or `Role: replica` and the primary's
 * address (`none` when none is known).
 */
export function roleStatus(role: ManagerRole): [string, string][] {
  if (!role.replicated || role.isPrimary()) return [['Role', 'primary']];
  const primary = role.primary();
  return [
    ['Role', 'replica'],
    ['Primary', primary && primary !== role.advertise ? primary : 'none'],
  ];
}

/** The primary's `/info` as a replica shows it: the same, with this manager's own role lines. */
export function withRole(
  info: { SystemStatus?: unknown },
  role: ManagerRole,
): { SystemStatus?: unknown } {
  if (!Array.isArray(info.SystemStatus)) return info;
  const rest = (info.SystemStatus as [string, string][]).filter(
    ([key]) => key !== 'Role' && key !== 'Primary',
  );
  return { ...info, SystemStatus: [...roleStatus(role), ...rest] };
}

/** What cannot change while the manager runs, read once: each read is a uname(2) (5 µs a /info). */
const KERNEL_VERSION = os.release();
const OPERATING_SYSTEM = os.type();
const ARCHITECTURE = os.arch() === 'x64' ? 'x86_64' : os.arch();

/**
 * `GET /info` for the whole cluster: sums over the nodes, and one block per node in SystemStatus.
 */
export function clusterInfo(
  cluster: Cluster,
  config: ResolvedConfig,
  role: ManagerRole = standalone,
) {
  const engines = cluster.all().toSorted((a, b) => compareText(a.name, b.name));
  const totals = { total: 0, running: 0, paused: 0, stopped: 0, images: 0, cpus: 0, memory: 0 };
  const placed: { at: number; block: Block }[] = [];
  const systemStatus: [string, string][] = [
    ...roleStatus(role),
    ['Strategy', config.strategy],
    ['Filters', config.filters.join(', ')],
    ['Nodes', String(engines.length)],
  ];
  for (const engine of engines) {
    const counts = countStates(engine);
    totals.total += counts.total;
    totals.running += counts.running;
    totals.paused += counts.paused;
    totals.stopped += counts.stopped;
    totals.images += Number(engine.info?.Images ?? engine.images.length);
    if (engine.health === 'healthy') {
      totals.cpus += engine.info?.NCPU ?? 0;
      totals.memory += engine.info?.MemTotal ?? 0;
    }
    const block = nodeStatus(engine);
    placed.push({ at: systemStatus.length, block });
    for (const line of block.lines) systemStatus.push(line as [string, string]);
  }
  blocksIn.set(systemStatus, placed);
  return {
    ID: '',
    Containers: totals.total,
    ContainersRunning: totals.running,
    ContainersPaused: totals.paused,
    ContainersStopped: totals.stopped,
    Images: totals.images,
    Driver: '',
    DriverStatus: null,
    SystemStatus: systemStatus,
    Plugins: { Volume: null, Network: null, Authorization: null, Log: null },
    MemoryLimit: true,
    SwapLimit: true,
    CpuCfsPeriod: true,
    CpuCfsQuota: true,
    CPUShares: true,
    CPUSet: true,
    IPv4Forwarding: true,
    BridgeNfIptables: true,
    BridgeNfIp6tables: true,
    Debug: config.logLevel === 'debug',
    NFd: 0,
    OomKillDisable: true,
    NGoroutines: 0,
    SystemTime: new Date().toISOString(),
    LoggingDriver: '',
    CgroupDriver: '',
    NEventsListener: 0,
    KernelVersion: KERNEL_VERSION,
    OperatingSystem: OPERATING_SYSTEM,
    OSType: 'linux',
    Architecture: ARCHITECTURE,
    IndexServerAddress: 'https://index.docker.io/v1/',
    RegistryConfig: null,
    NCPU: totals.cpus,
    MemTotal: totals.memory,
    DockerRootDir: '',
    HttpProxy: '',
    HttpsProxy: '',
    NoProxy: '',
    Name: os.hostname(),
    Labels: [],
    ExperimentalBuild: config.experimental,
    ServerVersion: SWARM_VERSION,
    Swarm: {
      LocalNodeState: 'inactive',
      ControlAvailable: false,
      NodeID: '',
      NodeAddr: '',
      Error: '',
      RemoteManagers: null,
    },
    LiveRestoreEnabled: false,
    Isolation: '',
    InitBinary: '',
    SecurityOptions: [],
    Warnings: null,
  };
}
