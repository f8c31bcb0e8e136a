import type { Etcd3, Lease } from 'etcd3';
import { ConfigError } from '../../config/errors.js';
import type { Logger } from '../log.js';
import type { Discovery } from './discovery.js';
import { etcdClient, etcdMessage } from './etcd-client.js';
import { EtcdV2 } from './etcd-v2.js';
import { parseEntries } from './entries.js';
import { readStoreAccess, type StoreAccess } from './store-access.js';

const trimSlashes = (path: string) => path.replace(/^\/+|\/+$/g, '');

/**
 * Where classic swarm kept its state in a key-value store, under `<path>/docker/swarm/`: the nodes
 * at `nodes/<ip:port>` (or under `<path>/<kv.path>/`, classic's discovery option); under
 * replication, the leader election beside them (`leader/`) and Skep's own state (`skep/`).
 * `endpoints` are the members' `host:port`, made URLs by the store's access (http or https).
 */
export function parseEtcdSpec(
  spec: string,
  kvPath?: string,
): { endpoints: string[]; prefix: string; root: string } {
  const m = /^etcd:\/\/([^/]+)(\/.*)?$/.exec(spec);
  if (!m || !m[1]) throw new ConfigError(`"${spec}": expected etcd://host:port[,host:port]/path`);
  const endpoints = m[1].split(',').map((h) => h.trim());
  const path = trimSlashes(m[2] ?? '');
  const under = (sub: string) => `${path ? `${path}/` : ''}${sub}/`;
  const root = under('docker/swarm');
  return { endpoints, prefix: kvPath ? under(trimSlashes(kvPath)) : `${root}nodes/`, root };
}

export interface EtcdOptions {
  logger?: Logger;
  /** classic's `--discovery-opt`s: `kv.path`, the TLS files, Skep's `kv.username`/`kv.password`. */
  discoveryOpts?: Record<string, string>;
  /**
   * How often the manager re-reads the registry as a safety net beside the watch;
   * how often `join` renews.
   */
  heartbeatMs: number;
}

/**
 * `etcd://host:port[,host:port]/path` on etcd's v3 API: the manager reads the nodes registered
 * under the path and follows them live (a watch, with a periodic re-read as a safety net);
 * `swarm join` registers one with a lease. Where etcd also serves v2, classic swarm's agents
 * (which register there) are read and followed beside Skep's, and `join` registers in both, so
 * classic's manager sees Skep's agents.
 */
export class EtcdDiscovery implements Discovery {
  private readonly hosts: string[];
  readonly prefix: string;
  /** How etcd is reached, files read (and checked, in classic's words) when the backend is made. */
  readonly access: StoreAccess;
  /** Classic's registrations, on etcd's v2 API where it is served. */
  private readonly v2: EtcdV2;

  constructor(
    spec: string,
    private readonly options: EtcdOptions,
  ) {
    const opts = options.discoveryOpts ?? {};
    ({ endpoints: this.hosts, prefix: this.prefix } = parseEtcdSpec(spec, opts['kv.path']));
    this.access = readStoreAccess(opts, options.logger);
    this.v2 = new EtcdV2(this.hosts, this.prefix, this.access, options.logger);
  }

  private client(): Promise<Etcd3> {
    return etcdClient(this.hosts, this.options.heartbeatMs, this.access);
  }

  private async read(client: Etcd3): Promise<string[]> {
    const [values, classic] = await Promise.all([
      client.getAll().prefix(this.prefix).strings(),
      this.v2.list(),
    ]);
    return parseEntries([...Object.values(values), ...classic]);
  }

  async list(): Promise<string[]> {
    const client = await this.client();
    try {
      return await this.read(client);
    } catch (err) {
      // `swarm list` prints one line, as classic's log.Fatal did, not gRPC's stack
      throw new ConfigError(`etcd ${this.hosts.join(',')}: ${etcdMessage(err)}`);
    } finally {
      client.close();
    }
  }

  watch(onEntries: (entries: string[]) => void): () => void {
    const connecting = this.client();
    let stopped = false;
    let last: string | undefined;
    const refresh = async () => {
      const client = await connecting;
      try {
        const entries = await this.read(client);
        const text = JSON.stringify(entries);
        if (stopped || text === last) return;
        last = text;
        onEntries(entries);
      } catch (err) {
        this.options.logger?.error(
          `Discovery error: etcd ${this.hosts.join(',')}: ${(err as Error).message}; keeping the last list`,
        );
      }
    };
    let cancel: (() => Promise<void>) | undefined;
    void (async () => {
      await refresh();
      try {
        const client = await connecting;
        const watcher = await client.watch().prefix(this.prefix).create();
        watcher.on('put', () => void refresh()).on('delete', () => void refresh());
        watcher.on('error', (err) => this.options.logger?.warn(`etcd watch: ${err.message}`));
        cancel = () => watcher.cancel();
        if (stopped) void cancel();
      } catch (err) {
        this.options.logger?.warn(
          `etcd watch: ${(err as Error).message}; re-reading every heartbeat`,
        );
      }
    })();
    const unfollow = this.v2.watch(() => void refresh(), this.options.heartbeatMs);
    const timer = setInterval(() => void refresh(), this.options.heartbeatMs);
    timer.unref();
    return () => {
      stopped = true;
      clearInterval(timer);
      unfollow();
      void cancel?.();
      void connecting.then((client) => client.close());
    };
  }

  /**
   * Registers `addr` under a lease of `ttlMs`, renewed every heartbeat while this runs. When it
   * stops, the registration lapses after the TTL. Resolves once the first registration is written.
   */
  async register(addr: string, ttlMs: number): Promise<() => void> {
    const client = await this.client();
    const key = `${this.prefix}${addr}`;
    let lease: Lease | undefined;
    const grant = async () => {
      lease = client.lease(Math.max(1, Math.round(ttlMs / 1000)), { autoKeepAlive: false });
      await lease.put(key).value(addr);
    };
    // classic's manager reads v2: written there too, each heartbeat, as classic's join did
    const classic = () =>
      this.v2
        .register(addr, ttlMs / 1000)
        .catch((e: Error) =>
          this.options.logger?.warn(`registering ${addr} for classic's manager: ${e.message}`),
        );
    await grant();
    void classic(); // not waited for: the registration Skep's managers read is written
    const timer = setInterval(async () => {
      void classic();
      try {
        await lease!.keepaliveOnce();
      } catch (err) {
        this.options.logger?.warn(
          `etcd: renewing ${key} failed (${(err as Error).message}); registering again`,
        );
        await grant().catch((e: Error) => this.options.logger?.warn(`etcd: ${e.message}`));
      }
    }, this.options.heartbeatMs);
    return () => {
      clearInterval(timer);
      client.close(); // the lease lapses after its TTL
    };
  }
}
