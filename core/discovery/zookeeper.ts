import { ConfigError } from '../../config/errors.js';
import type { Logger } from '../log.js';
import type { Discovery } from './discovery.js';
import { parseEntries } from './entries.js';
import type { DiscoveryOptions } from './registry.js';
import { createPath, within, type ZkClient, ZK, zkCode, ZkSession } from './zookeeper-client.js';

const trimSlashes = (path: string) => path.replace(/^\/+|\/+$/g, '');

/**
 * Classic's layout (libkv over ZooKeeper): under `/<path>/docker/swarm/`, each node an ephemeral
 * znode `nodes/<ip:port>` whose value is `ip:port` (or under `/<path>/<kv.path>/`, classic's
 * discovery option). A host without a port is on 2181, as classic's client took it.
 */
export function parseZkSpec(
  spec: string,
  kvPath?: string,
): { hosts: string; root: string; nodes: string } {
  const m = /^zk:\/\/([^/]+)(\/.*)?$/i.exec(spec);
  const hosts = m?.[1]
    ?.split(',')
    .map((h) => h.trim())
    .filter(Boolean);
  if (!hosts?.length) throw new ConfigError(`"${spec}": expected zk://host:port[,host:port]/path`);
  const path = trimSlashes(m?.[2] ?? '');
  const under = (sub: string) => `${path ? `/${path}` : ''}/${sub}`;
  const root = under('docker/swarm');
  return {
    hosts: hosts.map((h) => (/:\d+$/.test(h) ? h : `${h}:2181`)).join(','),
    root,
    nodes: kvPath ? under(trimSlashes(kvPath)) : `${root}/nodes`,
  };
}

/** `--discovery-opt`s that are etcd's: classic's ZooKeeper client took neither TLS nor users. */
const ETCD_ONLY = ['kv.cacertfile', 'kv.certfile', 'kv.keyfile', 'kv.username', 'kv.password'];

/** The manager's session: classic's ZooKeeper client asked for 10 s. */
const WATCH_SESSION_MS = 10_000;

/**
 * `zk://host:port[,host:port]/path`: the manager reads the nodes registered under the path and
 * follows them (a watch on the children, re-read every heartbeat and whenever the connection comes
 * back); `swarm join` registers one as an ephemeral node of its session.
 */
export class ZookeeperDiscovery implements Discovery {
  readonly hosts: string;
  readonly nodes: string;
  private readonly logger?: Logger;
  private readonly heartbeatMs: number;

  constructor(spec: string, options: DiscoveryOptions) {
    const opts = options.discoveryOpts ?? {};
    const given = ETCD_ONLY.filter((key) => opts[key] !== undefined);
    if (given.length > 0) {
      throw new ConfigError(
        `--discovery-opt ${given.join(', ')}: zk:// is reached in plain text and without a user, ` +
          "as classic reached ZooKeeper; these options are etcd's",
      );
    }
    ({ hosts: this.hosts, nodes: this.nodes } = parseZkSpec(spec, opts['kv.path']));
    this.logger = options.logger;
    this.heartbeatMs = options.heartbeatMs;
  }

  /**
   * The registered addresses: each child's value, as classic's manager read them (a node classic's
   * agent has just created is empty until its value is set, and is skipped until then).
   */
  private async read(client: ZkClient, watcher?: (type: number) => void): Promise<string[]> {
    const names = watcher
      ? await client.w_get_children(this.nodes, (type) => watcher(type))
      : await client.get_children(this.nodes, false);
    const values = await Promise.all(
      names.map((name) =>
        client.get(`${this.nodes}/${name}`, false).then(
          ([, data]) => data?.toString() ?? '',
          (err: unknown) => {
            if (zkCode(err) === ZK.noNode) return ''; // gone since the listing
            throw err;
          },
        ),
      ),
    );
    return parseEntries(values);
  }

  async list(): Promise<string[]> {
    const session = new ZkSession(this.hosts, WATCH_SESSION_MS);
    try {
      const client = await session.ready(this.heartbeatMs);
      return await this.read(client).catch((err: unknown) => {
        if (zkCode(err) === ZK.noNode) return []; // nothing registered there yet
        throw err;
      });
    } finally {
      session.close();
    }
  }

  watch(onEntries: (entries: string[]) => void): () => void {
    let stopped = false;
    let last: string | undefined;
    let failing = false;
    /** The session whose child watch is set: re-armed once it fired, or on a new session. */
    let watched: ZkClient | undefined;
    let running: Promise<void> | undefined;
    let again = false;
    const session = new ZkSession(
      this.hosts,
      WATCH_SESSION_MS,
      (connected) => connected && refresh(), // back: read at once, not at the next heartbeat
      Math.min(this.heartbeatMs, WATCH_SESSION_MS / 3), // it owns nothing: a new one tries at once
    );
    const onChange = (type: number) => {
      if (type === ZK.sessionEvent) return; // the watch stays set across a reconnection
      watched = undefined; // it fired: set it again with the next read
      refresh();
    };
    const once = async () => {
      const client = await session.ready(this.heartbeatMs);
      const arm = watched !== client;
      if (arm) {
        await createPath(client, this.nodes); // as classic's manager did, so it can be watched
        watched = client; // before the call: its event cannot come before its answer
      }
      const entries = await this.read(client, arm ? onChange : undefined).catch((err: unknown) => {
        if (arm && watched === client) watched = undefined;
        throw err;
      });
      if (failing) this.logger?.info(`Discovery: ZooKeeper ${this.hosts} answers again`);
      failing = false;
      const text = JSON.stringify(entries);
      if (stopped || text === last) return;
      last = text;
      onEntries(entries);
    };
    // one read at a time; a change seen meanwhile reads again once it is done
    const refresh = () => {
      if (stopped) return;
      if (running) {
        again = true;
        return;
      }
      running = within(once(), this.heartbeatMs + 5000, `ZooKeeper ${this.hosts}`)
        .catch((err: unknown) => {
          if (stopped || failing) return;
          failing = true; // said once, until it answers again
          this.logger?.error(
            `Discovery error: zookeeper ${this.hosts}: ${(err as Error).message}; keeping the last list`,
          );
        })
        .finally(() => {
          running = undefined;
          if (again) {
            again = false;
            refresh();
          }
        });
    };
    refresh();
    const timer = setInterval(refresh, this.heartbeatMs);
    timer.unref();
    return () => {
      stopped = true;
      clearInterval(timer);
      session.close();
    };
  }

  /**
   * Registers `addr` as an ephemeral node of a session of `ttlMs` (ZooKeeper bounds it: by default
   * 4 to 40 s), checked every heartbeat: after the session expired, or when the node belongs to an
   * older session of this join (which would take it away when it expires), it is created anew. When
   * it stops, the node lapses after the TTL, as on etcd: the session is left to expire (a process
   * that exits drops it; one that goes on closes it then). Resolves once the node is written.
   */
  async register(addr: string, ttlMs: number): Promise<() => void> {
    const session = new ZkSession(this.hosts, ttlMs);
    const key = `${this.nodes}/${addr}`;
    let granted: number | undefined;
    const renew = async () => {
      const client = await session.ready(this.heartbeatMs);
      if (granted !== client.timeout && client.timeout > 0 && client.timeout !== ttlMs) {
        this.logger?.info(
          `ZooKeeper granted a session of ${client.timeout / 1000}s for a TTL of ${ttlMs / 1000}s`,
        );
      }
      granted = client.timeout;
      const stat = await client.exists(key, false).catch((err: unknown) => {
        if (zkCode(err) === ZK.noNode) return undefined;
        throw err;
      });
      if (stat?.ephemeralOwner === client.client_id) return;
      if (stat) {
        await client.delete_(key, stat.version).catch((err: unknown) => {
          if (zkCode(err) !== ZK.noNode) throw err;
        });
      } else {
        await createPath(client, this.nodes);
      }
      await client.create(key, addr, ZK.ephemeral);
    };
    const bound = this.heartbeatMs + 5000;
    try {
      await within(renew(), bound, `ZooKeeper ${this.hosts}`);
    } catch (err) {
      session.close();
      throw err;
    }
    let failing = false;
    let renewing = false;
    const timer = setInterval(() => {
      if (renewing) return;
      renewing = true;
      within(renew(), bound, `ZooKeeper ${this.hosts}`)
        .then(
          () => {
            if (failing) this.logger?.info(`ZooKeeper: ${key} registered again`);
            failing = false;
          },
          (err: Error) => {
            if (!failing) this.logger?.warn(`ZooKeeper: registering ${key}: ${err.message}`);
            failing = true;
          },
        )
        .finally(() => (renewing = false));
    }, this.heartbeatMs);
    return () => {
      clearInterval(timer);
      setTimeout(() => session.close(), ttlMs).unref();
    };
  }
}
