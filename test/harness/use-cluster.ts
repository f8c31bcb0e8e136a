import type { TestFn } from 'ava';
import { cleanup, type ClusterOptions, TestCluster } from './cluster.js';
import { type ClusterNetwork, network, type NetworkUser } from './clusters.js';
import { type ClientTls, SkepProcess } from './skep.js';

/** How the file's manager starts once the engines run. */
export interface ManagerOptions {
  /** `swarm manage`'s arguments; by default the cluster's discovery (`ip:2375,ip:2375,...`). */
  args?: (cluster: TestCluster) => string[];
  /** Healthy nodes to wait for; by default the cluster's size. */
  nodes?: number;
  /** Options before `manage` (e.g. `['-l', 'debug']`). */
  global?: string[];
  /** The certificate the docker CLI presents to a manager started with --tlsverify. */
  clientTls?: ClientTls;
}

/** The engines a file needs (its prefix and subnet come from the table), and its manager if it has one. */
export interface UseClusterOptions extends Omit<ClusterOptions, 'prefix' | 'subnet'> {
  /**
   * The file's manager (`e2e.skep`), started once the cluster runs: `true` for `swarm manage` over every engine, or how
   * (arguments...), or a function that starts it.
   */
  manager?: true | ManagerOptions | ((cluster: TestCluster) => Promise<SkepProcess>);
}

/** What a file's tests reach once the `before` hook ran. */
export interface E2eCluster {
  /** The file's prefix and subnet, from the table (known at once). */
  readonly network: ClusterNetwork;
  readonly cluster: TestCluster;
  /**
   * The file's manager. A test that restarts it assigns the new one here, as does a file that starts its own in a
   * `before` hook of its own; whatever is assigned is stopped at the end.
   */
  skep: SkepProcess;
  /** `SkepProcess.start`, and the manager is stopped at the end (for managers besides `skep`). */
  startManager(
    args: string[],
    options: Parameters<typeof SkepProcess.start>[1],
  ): Promise<SkepProcess>;
  /**
   * Something to undo at the end, before the cluster stops: a process, a registry, a browser. Teardown undoes set-up in
   * reverse: what was registered (or started, for managers) last goes first; each step runs even if one before failed.
   */
  teardown(step: () => unknown): void;
}

/**
 * Sets a real-engine file up and tears it down: one `before` hook that starts the file's cluster, on the table's
 * network for `user`, and its manager (if `options.manager`), and one `after.always` hook that stops the managers
 * and whatever else was registered, then the cluster. Hooks the file declares after this call run after the cluster
 * started (the hook is serial: ava runs the hooks declared after it once it is done).
 *
 * `options` may be a function of the network, run in the `before` hook: for what must exist before the engines do
 * (their certificates, a plugin they ask).
 */
export function useCluster(
  test: TestFn,
  user: NetworkUser,
  options:
    | UseClusterOptions
    | ((network: ClusterNetwork) => UseClusterOptions | Promise<UseClusterOptions>),
): E2eCluster {
  const net = network(user);
  let cluster: TestCluster | undefined;
  let skep: SkepProcess | undefined;
  let started = false;
  const steps: (() => unknown)[] = [];
  const managers = new Set<SkepProcess>();
  const track = (manager: SkepProcess) => {
    if (managers.has(manager)) return;
    managers.add(manager);
    steps.push(() => stopManager(manager));
  };

  const e2e: E2eCluster = {
    network: net,
    get cluster() {
      if (!cluster) throw new Error(`${user}'s cluster has not started`);
      return cluster;
    },
    get skep() {
      if (!skep)
        throw new Error(`${user} has no manager: useCluster was given none, and none was assigned`);
      return skep;
    },
    set skep(manager: SkepProcess) {
      track(manager);
      skep = manager;
    },
    async startManager(args, managerOptions) {
      const manager = await SkepProcess.start(args, managerOptions);
      track(manager);
      return manager;
    },
    teardown(step) {
      steps.push(step);
    },
  };

  test.serial.before(async () => {
    const { manager, ...engines } = typeof options === 'function' ? await options(net) : options;
    started = true;
    cluster = await TestCluster.start({ ...engines, ...net });
    if (typeof manager === 'function') e2e.skep = await manager(cluster);
    else if (manager) {
      const {
        args = (c: TestCluster) => [c.discovery],
        nodes = engines.size,
        global,
        clientTls,
      } = manager === true ? {} : manager;
      e2e.skep = await SkepProcess.start(args(cluster), { nodes, global, clientTls });
    }
  });

  test.after.always(async () => {
    const failures: unknown[] = [];
    for (const step of steps.reverse()) {
      try {
        await step();
      } catch (err) {
        failures.push(err);
      }
    }
    // a cluster that failed halfway through its start has engines to stop too
    if (started) await (cluster ? cluster.stop() : cleanup(net.prefix));
    if (failures.length > 0) throw failures[0];
  });

  return e2e;
}

/** Stops a manager unless it is gone already (a test stopped or killed it). */
async function stopManager(manager: SkepProcess): Promise<void> {
  const { child } = manager;
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGCONT'); // a frozen manager must be able to hear SIGTERM
  await manager.stop();
}
