import { dirname } from 'node:path';
import { Registry } from 'prom-client';
import { ConfigError } from '../config/errors.js';
import type { ResolvedConfig } from '../config/types.js';
import { schedulingOptions } from '../config/cluster-opts.js';
import { builtinPlugins } from '../plugins/index.js';
import { createApp } from './api/app.js';
import { type Listener, listen } from './api/server.js';
import { Cluster } from './cluster/cluster.js';
import { FileMaintenanceStore } from './cluster/maintenance.js';
import { MaintenanceService } from './cluster/maintenance-service.js';
import { createDiscovery } from './discovery/index.js';
import { createHooks, type SkepHooks } from './hooks.js';
import { createLogger, type Logger } from './log.js';
import type { NodeTotals } from './pipeline-types.js';
import type { SkepPlugin } from './plugin-api.js';
import { applyPlugins, loadPlugins, orderPlugins } from './plugins.js';
import { PlacementService } from './scheduler/placement-service.js';
import { ContainerCreator } from './scheduler/container-creator.js';
import { wantsReschedule } from './scheduler/reschedule-policy.js';
import { Rescheduler } from './scheduler/rescheduler.js';
import { AbandonedCreates } from './scheduler/abandoned-creates.js';
import { FileNodeRecords, recordsFileFor } from './scheduler/node-records.js';
import { readStoreAccess, sameAccess, type StoreAccess } from './discovery/store-access.js';
import { PrimaryForwarder } from './api/replica.js';
import type { Election } from './replication/election.js';
import { ForwardingKey } from './replication/forwarding-key.js';
import { replicationStore } from './replication/replication-store.js';
import { standalone } from './replication/role.js';
import { ManagerMetrics } from './operator/metrics.js';
import { PluginRoutes } from './operator/plugin-routes.js';
import { listenOperator, type OperatorListener } from './operator/server.js';
import { noTelemetry } from './telemetry.js';

/** At most this long between listening and readiness: well under systemd's 90 s start timeout. */
const READY_WAIT_MS = 30_000;

/**
 * What a reload changes; the rest (listeners, the plugins applied to the hooks, the election...)
 * takes a restart.
 */
const RELOADABLE = new Set<keyof ResolvedConfig>([
  'nodes',
  'heartbeatMs',
  'discoveryOpts',
  'logLevel',
  'logFormat',
  'serverTls',
  'engineTls',
  'stateFile',
  'shutdownTimeoutMs',
  'configFile',
]);

/**
 * A setting as a reload compares it: plugin objects by their names (their state is theirs),
 * the rest as JSON.
 */
function settingText(key: keyof ResolvedConfig, value: unknown): string {
  const plugin = (option: unknown): unknown =>
    Array.isArray(option)
      ? option.map(plugin)
      : option && typeof option === 'object' && 'name' in option
        ? `plugin ${String(option.name)}`
        : option;
  return JSON.stringify(key === 'plugins' ? plugin(value) : value);
}

/** What a running manager is made of, for `stop` and `reload`. */
interface Parts {
  hooks: SkepHooks;
  cluster: Cluster;
  listeners: Listener[];
  plugins: SkepPlugin[];
  maintenance: MaintenanceService;
  operator?: OperatorListener;
  /** Stops following the shared maintenance state. */
  unfollow: () => void;
  replication?: { leadership: Election; forwarder: PrimaryForwarder; key: ForwardingKey };
  /** The store's TLS material and credentials as last read (a reload compares the files' contents). */
  storeAccess: StoreAccess;
}

/**
 * One running manager: hooks with every plugin applied, the cluster fed by discovery,
 * and the API listeners.
 */
export class Manager {
  private constructor(
    /** The configuration running now (a reload replaces what it can). */
    public config: ResolvedConfig,
    private readonly parts: Parts,
    private readonly logger: Logger,
    /** Stops following the discovery (a reload that changes the nodes follows a new one). */
    private stopDiscovery: () => void,
    /**
     * Settles once the listeners serve and the first inventory of the nodes is read (or
     * READY_WAIT_MS passed: a slow node is then served as it comes, as it would be anyway).
     */
    readonly ready: Promise<void>,
  ) {}

  get hooks(): SkepHooks {
    return this.parts.hooks;
  }

  get cluster(): Cluster {
    return this.parts.cluster;
  }

  static async start(
    config: ResolvedConfig,
    logger: Logger = createLogger(config.logLevel),
  ): Promise<Manager> {
    const hooks = createHooks(logger);
    const scheduling = schedulingOptions(config.clusterOpts);
    const builtins = builtinPlugins({ ...config, overcommit: scheduling.overcommit });
    if (builtins.unknown.length > 0) throw new ConfigError(builtins.unknown.join('; '));
    const configured = await loadPlugins(
      config.plugins,
      config.configFile ? dirname(config.configFile) : process.cwd(),
    );
    // metrics only with the operator listener: without it, nothing on the hot path measures
    const metrics = config.statusAddress ? new ManagerMetrics() : undefined;
    const telemetry = metrics ?? noTelemetry;
    const routes = new PluginRoutes();
    const plugins = orderPlugins(builtins.plugins, configured);
    applyPlugins(hooks, plugins, logger, { routes, registry: metrics?.registry ?? new Registry() });

    // made before anything listens: a discovery string that cannot work stops the start
    const discovery = createDiscovery(config.nodes, {
      logger,
      heartbeatMs: config.heartbeatMs,
      discoveryOpts: config.discoveryOpts,
    });
    // the discovery read and logged them (classic's words); replication reaches the same store
    const storeAccess = readStoreAccess(config.discoveryOpts);
    const readReservation = (totals: NodeTotals) =>
      hooks.nodeReserved.call({ cpus: 0, memory: totals.memory }, totals);
    const cluster = new Cluster(
      {
        ...config.engine,
        logger,
        tls: config.engineTls,
        keepWhole: wantsReschedule,
        readReservation,
        telemetry: metrics,
      },
      logger,
    );
    const replication = config.replication
      ? await startReplication(config, storeAccess, logger)
      : undefined;
    const role = replication?.leadership ?? standalone;
    const store = replication?.maintenance ?? new FileMaintenanceStore(config.stateFile);
    const maintenance = new MaintenanceService(cluster, store, logger);
    await maintenance.load();
    // a new primary starts from what the last one saved; a replica follows what the primary saves
    if (replication) role.onChange(() => void (role.isPrimary() && maintenance.load()));
    const unfollow = await maintenance.follow();
    const records = replication?.records ?? standaloneRecords(config.stateFile, logger);
    const abandoned = new AbandonedCreates(cluster, logger, records('abandoned'), role);
    await abandoned.load();
    const placement = new PlacementService(cluster, hooks, logger, {
      isPrimary: replication && (() => role.isPrimary()),
      telemetry: metrics,
    });
    const containers = new ContainerCreator(placement, {
      createRetry: scheduling.createRetry,
      abandoned,
    });
    new Rescheduler(cluster, containers, logger, role, records('moved'), telemetry);
    const app = createApp({
      config,
      cluster,
      hooks,
      placement,
      containers,
      logger,
      role,
      forwarder: replication?.forwarder,
      maintenance,
      telemetry,
    });
    const listeners = await listen(
      app,
      config.hosts,
      logger,
      config.clients,
      config.serverTls,
      replication?.forwarder,
    );
    let operator: OperatorListener | undefined;
    if (metrics && config.statusAddress) {
      metrics.watch(cluster, role);
      operator = await listenOperator(config.statusAddress, {
        cluster,
        role,
        metrics,
        routes,
        logger,
        scheduling: { strategy: config.strategy, filters: config.filters },
      });
    }
    let listed!: () => void;
    const firstList = new Promise<void>((resolve) => (listed = resolve));
    const stopDiscovery = discovery.watch((entries) => {
      cluster.setEntries(entries);
      listed();
    });
    let timer: NodeJS.Timeout | undefined;
    const ready = Promise.race([
      firstList.then(() => cluster.firstRead()),
      // not holding the process: a manager stopped before then does not wait for it
      new Promise<void>((resolve) => (timer = setTimeout(resolve, READY_WAIT_MS).unref())),
    ]).finally(() => clearTimeout(timer));
    return new Manager(
      config,
      {
        hooks,
        cluster,
        listeners,
        plugins,
        maintenance,
        operator,
        replication,
        unfollow,
        storeAccess,
      },
      logger,
      stopDiscovery,
      ready,
    );
  }

  /**
   * Takes a config read again (SIGHUP): the nodes, and plugins that can reload. What needs a
   * restart (listeners, filters, strategy, replication) is named in the log and left as it runs.
   */
  async reload(next: ResolvedConfig): Promise<void> {
    const before = this.config;
    const keys = Object.keys({ ...before, ...next }) as (keyof ResolvedConfig)[];
    const needsRestart = keys.filter(
      (key) =>
        !RELOADABLE.has(key) && settingText(key, before[key]) !== settingText(key, next[key]),
    );
    if (needsRestart.length > 0)
      this.logger.warn(
        `reload: ${needsRestart.join(', ')} changed; that takes a restart, the running values stay`,
      );
    // the store's files read again, as the client TLS is: renewed certificates are taken
    // (a file with a mistake refuses the reload, the running access kept)
    const storeAccess = readStoreAccess(next.discoveryOpts);
    const accessChanged = !sameAccess(storeAccess, this.parts.storeAccess);
    if (
      JSON.stringify(before.nodes) !== JSON.stringify(next.nodes) ||
      before.heartbeatMs !== next.heartbeatMs ||
      JSON.stringify(before.discoveryOpts) !== JSON.stringify(next.discoveryOpts) ||
      accessChanged
    ) {
      const discovery = createDiscovery(next.nodes, {
        logger: this.logger,
        heartbeatMs: next.heartbeatMs,
        discoveryOpts: next.discoveryOpts,
      });
      this.stopDiscovery();
      this.stopDiscovery = discovery.watch((entries) => this.cluster.setEntries(entries));
      this.logger.info(`reload: managing ${next.nodes.join(', ')}`);
    }
    if (accessChanged) await this.parts.replication?.leadership.useAccess?.(storeAccess);
    this.parts.storeAccess = storeAccess;
    if (!next.replication && before.stateFile !== next.stateFile)
      await this.parts.maintenance.use(new FileMaintenanceStore(next.stateFile));
    for (const listener of this.parts.listeners) listener.setTls?.(next.serverTls);
    this.cluster.setTls(next.engineTls);
    for (const plugin of this.parts.plugins) {
      if (!plugin.reload) continue;
      try {
        await plugin.reload();
      } catch (err) {
        this.logger.error(
          `reload: plugin ${plugin.name} could not reload, it goes on as it was: ${(err as Error).message}`,
          { plugin: plugin.name },
        );
      }
    }
    this.config = {
      ...before,
      ...Object.fromEntries([...RELOADABLE].map((key) => [key, next[key]])),
    };
  }

  /**
   * Stops: the leader lease first (another manager leads at once), then no new connections;
   * running requests have `graceMs` to end, then streams and hijacked connections are closed.
   */
  async stop(graceMs = 0): Promise<void> {
    const { replication, listeners, operator, cluster } = this.parts;
    this.parts.unfollow();
    await replication?.leadership.stop();
    await Promise.all(listeners.map((l) => l.drain(graceMs)));
    replication?.forwarder.close();
    replication?.key.stop();
    this.stopDiscovery();
    cluster.stop();
    await operator?.close();
  }
}

/**
 * Under `--replication`: the election on the discovery's store (etcd or ZooKeeper), the forwarder
 * to the primary, the node records and maintenance kept in that store.
 */
async function startReplication(config: ResolvedConfig, access: StoreAccess, logger: Logger) {
  const store = replicationStore(config.nodes[0]!, {
    advertise: config.advertise!,
    ttlMs: config.replicationTtlMs,
    access,
    logger,
  });
  const leadership = store.election;
  await leadership.start();
  // the key with which replicas vouch for the clients they forward, shared through the store
  const key = new ForwardingKey((path) => store.readKey(path), store.keyPath, logger);
  void key.load();
  // a write waits this long for a primary: a failover takes at most the TTL
  const forwarder = new PrimaryForwarder(leadership, {
    holdMs: config.replicationTtlMs + 3000,
    tls: config.serverTls,
    key: () => key.get(),
    logger,
  });
  const { maintenance, records } = store;
  return { leadership, forwarder, key, maintenance, records };
}

/**
 * Without replication, what the rescheduler and placement must remember of nodes
 * is kept beside the state file.
 */
function standaloneRecords(stateFile: string, logger: Logger) {
  const file = new FileNodeRecords(recordsFileFor(stateFile));
  if (file.unreadable)
    logger.error(`cannot read ${file.path}, starting without what it recorded: ${file.unreadable}`);
  return (kind: string) => file.section(kind);
}
