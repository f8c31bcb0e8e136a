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

/** One running manager: hooks with every plugin applied, the cluster fed by discovery, and the API listeners. */
export class Manager {
  private constructor(
    readonly config: ResolvedConfig,
    readonly hooks: SkepHooks,
    readonly cluster: Cluster,
    private readonly listeners: Listener[],
    private readonly stopDiscovery: () => void,
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
    const placement = new PlacementService(cluster, hooks, logger, { createRetry: scheduling.createRetry });
    new Rescheduler(cluster, placement, logger);
    const app = createApp({ config, cluster, hooks, placement, logger });
    const listeners = await listen(app, config.hosts, logger, config.clients, config.serverTls);
    const stopDiscovery = discovery.watch((entries) => cluster.setEntries(entries));
    return new Manager(config, hooks, cluster, listeners, stopDiscovery);
  }

  async stop(): Promise<void> {
    this.stopDiscovery();
    this.cluster.stop();
    await Promise.all(this.listeners.map((l) => l.close()));
  }
}
