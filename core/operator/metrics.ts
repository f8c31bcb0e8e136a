import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Cluster } from '../cluster/cluster.js';
import type { ManagerRole } from '../replication/role.js';
import type { EngineOutcome, Telemetry } from '../telemetry.js';
import { RecentFailures } from './recent-failures.js';

/** Seconds: a cached answer takes well under a millisecond, a pull or a create seconds. */
const HTTP_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/**
 * The manager's Prometheus metrics, in their own registry
 * (two managers in one process do not mix), named as Prometheus' guidelines say: `skep_` prefix,
 * base units, `_total` counters. Labels stay bounded: routes and nodes, never container IDs.
 * The cluster's gauges are read from the cluster when scraped, so they cost nothing between
 * scrapes; the counters are what the hot path pays (one increment each).
 */
export class ManagerMetrics implements Telemetry {
  readonly registry = new Registry();
  readonly failures = new RecentFailures();
  private readonly httpRequests: Counter<'route' | 'code'>;
  private readonly httpDuration: Histogram<'route'>;
  private readonly engineRequests: Counter<'node' | 'outcome'>;
  private readonly engineDuration: Histogram;
  private readonly placements: Counter<'kind' | 'outcome'>;
  private readonly rejections: Counter<'filter'>;
  private readonly reschedules: Counter<'outcome'>;
  private readonly reconnects: Counter<'node'>;
  /** One child per route seen, found without building a label object on every request. */
  private readonly byRoute = new Map<
    string,
    { duration: Histogram.Internal<'route'>; codes: Map<number, Counter.Internal> }
  >();

  constructor() {
    const registers = [this.registry];
    this.httpRequests = new Counter({
      name: 'skep_http_requests_total',
      help: 'Docker API requests answered, by route and status code.',
      labelNames: ['route', 'code'],
      registers,
    });
    this.httpDuration = new Histogram({
      name: 'skep_http_request_duration_seconds',
      help: 'Time to answer a Docker API request (to its headers, for streams), by route.',
      labelNames: ['route'],
      buckets: HTTP_BUCKETS,
      registers,
    });
    this.engineRequests = new Counter({
      name: 'skep_engine_requests_total',
      help: 'Buffered exchanges with engines, by node and outcome (ok, client_error, server_error, failed).',
      labelNames: ['node', 'outcome'],
      registers,
    });
    this.engineDuration = new Histogram({
      name: 'skep_engine_request_duration_seconds',
      help: 'Time of one buffered exchange with an engine.',
      buckets: HTTP_BUCKETS,
      registers,
    });
    this.placements = new Counter({
      name: 'skep_placements_total',
      help: 'Placements decided, by what was placed and outcome (chosen, no_node, not_primary).',
      labelNames: ['kind', 'outcome'],
      registers,
    });
    this.rejections = new Counter({
      name: 'skep_placement_rejections_total',
      help: 'Nodes left out of a placement, by the filter that left them out.',
      labelNames: ['filter'],
      registers,
    });
    this.reschedules = new Counter({
      name: 'skep_reschedules_total',
      help: 'Containers moved off a failed or drained node (moved), or not (failed).',
      labelNames: ['outcome'],
      registers,
    });
    this.reconnects = new Counter({
      name: 'skep_event_stream_reconnects_total',
      help: "Times a node's event stream opened again after it broke.",
      labelNames: ['node'],
      registers,
    });
    // the event loop's lag sampled every 100 ms, not prom-client's 10 ms:
    // a hundred wake-ups a second were a good part of an idle manager's CPU
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 100 });
  }

  /** The gauges read from the cluster at each scrape, and the events counted as they pass. */
  watch(cluster: Cluster, role: ManagerRole): void {
    const registers = [this.registry];
    const events = new Counter({
      name: 'skep_events_total',
      help: 'Docker events received from every node (and the manager’s own node events).',
      registers,
    });
    cluster.on('event', () => events.inc());
    new Gauge({
      name: 'skep_nodes',
      help: 'Nodes by health state (pending, healthy, unhealthy).',
      labelNames: ['state'],
      registers,
      collect() {
        const counts = { pending: 0, healthy: 0, unhealthy: 0 };
        for (const engine of cluster.engines.values()) counts[engine.health]++;
        for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
      },
    });
    new Gauge({
      name: 'skep_nodes_by_availability',
      help: 'Nodes by the availability operators set (active, pause, drain).',
      labelNames: ['availability'],
      registers,
      collect() {
        const counts = { active: 0, pause: 0, drain: 0 };
        for (const engine of cluster.engines.values()) counts[engine.maintenance.availability]++;
        for (const [availability, n] of Object.entries(counts)) this.set({ availability }, n);
      },
    });
    const perNode = (
      name: string,
      help: string,
      read: (e: ReturnType<Cluster['all']>[number]) => number,
    ) =>
      new Gauge({
        name,
        help,
        labelNames: ['node'],
        registers,
        collect() {
          this.reset();
          for (const engine of cluster.engines.values())
            this.set({ node: engine.name }, read(engine));
        },
      });
    new Gauge({
      name: 'skep_containers',
      help: 'Containers the manager knows of, by node and state (running, paused, stopped).',
      labelNames: ['node', 'state'],
      registers,
      collect() {
        this.reset();
        for (const engine of cluster.engines.values()) {
          const { size, running, paused } = engine.containers;
          this.set({ node: engine.name, state: 'running' }, running);
          this.set({ node: engine.name, state: 'paused' }, paused);
          this.set({ node: engine.name, state: 'stopped' }, size - running - paused);
        }
      },
    });
    perNode(
      'skep_node_reserved_cpus',
      'CPUs reserved by containers on a node (as docker info shows them).',
      (e) => e.reserved().cpus,
    );
    perNode(
      'skep_node_cpus',
      "A node's CPUs, the capacity beside skep_node_reserved_cpus.",
      (e) => e.info?.NCPU ?? 0,
    );
    perNode(
      'skep_node_reserved_memory_bytes',
      'Memory reserved by containers on a node.',
      (e) => e.reserved().memory,
    );
    perNode(
      'skep_node_memory_bytes',
      "A node's memory, the capacity beside skep_node_reserved_memory_bytes.",
      (e) => e.info?.MemTotal ?? 0,
    );
    if (role.replicated) {
      new Gauge({
        name: 'skep_manager_role',
        help: 'This manager’s role under replication: 1 for the role it has (primary or replica), 0 for the other.',
        labelNames: ['role'],
        registers,
        collect() {
          const primary = role.isPrimary();
          this.set({ role: 'primary' }, primary ? 1 : 0);
          this.set({ role: 'replica' }, primary ? 0 : 1);
        },
      });
    }
  }

  httpRequest(route: string, status: number, seconds: number): void {
    let entry = this.byRoute.get(route);
    if (!entry)
      this.byRoute.set(
        route,
        (entry = { duration: this.httpDuration.labels({ route }), codes: new Map() }),
      );
    let counter = entry.codes.get(status);
    if (!counter)
      entry.codes.set(
        status,
        (counter = this.httpRequests.labels({ route, code: String(status) })),
      );
    counter.inc();
    entry.duration.observe(seconds);
  }

  engineExchange(node: string, outcome: EngineOutcome, seconds: number): void {
    this.engineRequests.inc({ node, outcome });
    this.engineDuration.observe(seconds);
  }

  eventStreamReconnect(node: string): void {
    this.reconnects.inc({ node });
  }

  placement(
    kind: string,
    outcome: 'chosen' | 'no_node' | 'not_primary',
    rejections: readonly { node: string; by: string; reason: string }[],
    message?: string,
  ): void {
    this.placements.inc({ kind, outcome });
    if (rejections.length > 0) {
      const byFilter = new Map<string, number>();
      for (const r of rejections) byFilter.set(r.by, (byFilter.get(r.by) ?? 0) + 1);
      for (const [filter, n] of byFilter) this.rejections.inc({ filter }, n);
    }
    if (outcome === 'no_node')
      this.failures.add({ kind, message: message ?? 'no node', rejections });
  }

  reschedule(outcome: 'moved' | 'failed'): void {
    this.reschedules.inc({ outcome });
  }
}
