import { dirname } from 'node:path';
import { ConfigError } from '../config/errors.js';
import type { ResolvedConfig } from '../config/types.js';
import { schedulingOptions } from '../config/cluster-opts.js';
import { builtinPlugins } from '../plugins/index.js';
import { createApp } from './api/app.js';
import { type Listener, listen } from './api/server.js';
import { Cluster } from './cluster/cluster.js';
import { createDiscovery } from './discovery/index.js';
import { createHooks, type SkepHooks } from './hooks.js';
import { createLogger, type Logger } from './log.js';
import type { NodeTotals } from './pipeline-types.js';
import { applyPlugins, loadPlugins, orderPlugins } from './plugins.js';
import { PlacementService } from './scheduler/placement-service.js';
import { wantsReschedule } from './scheduler/reschedule-policy.js';
import { Rescheduler } from './scheduler/rescheduler.js';
import { parseEtcdSpec } from './discovery/etcd.js';
import { PrimaryForwarder } from './api/replica.js';
import { EtcdMovedStore } from './replication/etcd-moved-store.js';
import { Leadership } from './replication/leadership.js';
import { standalone } from './replication/role.js';

/** One running manager: hooks with every plugin applied, the cluster fed by discovery, and the API listeners. */
export class Manager {
  private constructor(
    readonly config: ResolvedConfig,
    readonly hooks: SkepHooks,
    readonly cluster: Cluster,
    private readonly listeners: Listener[],
    private readonly stopDiscovery: () => void,
    private readonly replication?: { leadership: Leadership; forwarder: PrimaryForwarder },
  ) {}

  static async start(config: ResolvedConfig, logger: Logger = createLogger(config.logLevel)): Promise<Manager> {
    const hooks = createHooks(logger);
    const scheduling = schedulingOptions(config.clusterOpts);
    const builtins = builtinPlugins({ ...config, overcommit: scheduling.overcommit });
    if (builtins.unknown.length > 0) throw new ConfigError(builtins.unknown.join('; '));
    const configured = await loadPlugins(config.plugins, config.configFile ? dirname(config.configFile) : process.cwd());
    applyPlugins(hooks, orderPlugins(builtins.plugins, configured), logger);

    const discovery = createDiscovery(config.nodes, { logger, heartbeatMs: config.heartbeatMs });
    const readReservation = (totals: NodeTotals) => hooks.nodeReserved.call({ cpus: 0, memory: totals.memory }, totals);
    const cluster = new Cluster({ ...config.engine, logger, tls: config.engineTls, keepWhole: wantsReschedule, readReservation }, logger);
    const replication = config.replication ? await startReplication(config, logger) : undefined;
    const role = replication?.leadership ?? standalone;
    const placement = new PlacementService(cluster, hooks, logger, { createRetry: scheduling.createRetry, isPrimary: replication && (() => role.isPrimary()) });
    new Rescheduler(cluster, placement, logger, role, replication?.moved);
    const app = createApp({ config, cluster, hooks, placement, logger, role, forwarder: replication?.forwarder });
    const listeners = await listen(app, config.hosts, logger, config.clients, config.serverTls, replication?.forwarder);
    const stopDiscovery = discovery.watch((entries) => cluster.setEntries(entries));
    return new Manager(config, hooks, cluster, listeners, stopDiscovery, replication);
  }

  async stop(): Promise<void> {
    // the lease first: another manager leads at once rather than after the TTL
    await this.replication?.leadership.stop();
    this.replication?.forwarder.close();
    this.stopDiscovery();
    this.cluster.stop();
    await Promise.all(this.listeners.map((l) => l.close()));
  }
}

/** Under `--replication`: the election on the discovery's etcd, the forwarder to the primary, the rescheduler's record in etcd. */
async function startReplication(config: ResolvedConfig, logger: Logger) {
  const { hosts, root } = parseEtcdSpec(config.nodes[0]!);
  const leadership = new Leadership({ hosts, prefix: `${root}leader/`, advertise: config.advertise!, ttlMs: config.replicationTtlMs, logger });
  await leadership.start();
  // a write waits this long for a primary: a failover takes at most the TTL
  const forwarder = new PrimaryForwarder(leadership, { holdMs: config.replicationTtlMs + 3000, tls: config.serverTls, logger });
  return { leadership, forwarder, moved: new EtcdMovedStore(() => leadership.etcd(), root) };
}
