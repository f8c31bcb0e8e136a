import { ConfigError } from '../../config/errors.js';
import { startZkThread, ThreadedZkClient } from './zookeeper-thread.js';
import type { ZkClient } from './zookeeper-types.js';

export type { ZkClient, ZkStat, ZkWatcher } from './zookeeper-types.js';

/**
 * ZooKeeper through the npm package `zookeeper`: Apache's own C client (bundled, built by
 * node-gyp), kept up with ZooKeeper 3.5 to 3.8 and released in 2025-26. The pure-JavaScript
 * `node-zookeeper-client` was the other candidate: unmaintained, and its client never reports a
 * session's expiry when the server is gone (its issue #20, open since 2014), which is what a
 * registration must notice. Only what Skep uses is typed here; the package's own declarations
 * describe an older API.
 */
type ZkConstructor = new (config: object) => ZkClient;

/** The C client's codes (zookeeper.h). */
export const ZK = {
  ephemeral: 1,
  persistent: 0,
  noNode: -101,
  nodeExists: -110,
  sessionEvent: -1,
  connectedState: 3,
} as const;

/** The code of a failed call: the package rejects with `new Error("<rc> <text>")`. */
export const zkCode = (err: unknown) => Number(/^(-?\d+) /.exec((err as Error).message)?.[1]);

let loaded: Promise<ZkConstructor> | undefined;

/**
 * Loaded only when zk:// is used: a native addon that most managers never need. It is an optional
 * dependency (it needs a compiler to install), so its absence is said in the operator's words.
 */
function zookeeperPackage(): Promise<ZkConstructor> {
  // the clients run on a thread of their own (zookeeper-thread.ts), where the package is loaded
  loaded ??= startZkThread().then(
    () => ThreadedZkClient,
    (err: Error) => {
      loaded = undefined;
      throw new ConfigError(
        'zk:// discovery needs the npm package "zookeeper" (an optional dependency, built with node-gyp): ' +
          `${err.message.split('\n')[0]}`,
      );
    },
  );
  return loaded;
}

interface Connection {
  client: ZkClient;
  connected: boolean;
  closed: boolean;
  /** Since when it has had no server (or since it was opened). */
  offSince: number;
  /** `ready()` calls waiting for it to connect or close. */
  waiting: Set<() => void>;
}

/**
 * One ZooKeeper session that renews itself. `ready()` gives the connected client, or a new session
 * once the last one expired (the server drops it, with its ephemeral nodes, after its timeout).
 *
 * A session that lost its server is the C client's to reconnect, keeping its session and watches
 * (a server that restarts on its data restores its sessions), but through the npm package it only
 * tries again every third of the timeout. So a session that owns nothing (a watch) is simply
 * replaced while it has no server: a new one tries at once. One that owns nodes (a join's) is kept,
 * since a new session would take its nodes away; but a server that lost its data refuses an old
 * session for ever (it has seen a later transaction), so a second session is tried now and then,
 * and takes over only if it connects while the old one still cannot once its retry came round.
 */
export class ZkSession {
  private current?: Connection;
  private probe?: Connection;
  private stopped = false;

  constructor(
    /** `host:port,host:port`, the C client's connection string. */
    readonly hosts: string,
    private readonly timeoutMs: number,
    /** Every session's connection lost or back, for a watch to read again at once. */
    private readonly onState?: (connected: boolean) => void,
    /** A session that owns nothing: replaced once it has been this long without a server. */
    private readonly replaceAfterMs?: number,
  ) {}

  /** The connected client; rejects when none answered within `waitMs`. */
  async ready(waitMs: number): Promise<ZkClient> {
    if (this.stopped) throw new Error('ZooKeeper session closed');
    const Client = await zookeeperPackage();
    if (!this.current || this.current.closed) this.current = this.open(Client);
    let cur = this.current;
    if (cur.connected) return cur.client;
    const off = Date.now() - cur.offSince;
    const { replaceAfterMs } = this;
    if (replaceAfterMs !== undefined && off > replaceAfterMs) {
      this.shut(cur);
      cur = this.current = this.open(Client);
    } else if (replaceAfterMs === undefined && off > Math.min(this.timeoutMs, 2000)) {
      this.tryAnother(Client, waitMs);
    }
    const waited = cur;
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        waited.waiting.delete(done);
        if (waited.connected) resolve(waited.client);
        else if (this.current !== waited && this.current?.connected) resolve(this.current.client);
        else reject(new Error(`no ZooKeeper server answered at ${this.hosts}`));
      };
      const timer = setTimeout(done, waitMs);
      waited.waiting.add(done);
    });
  }

  /**
   * A second session while the current one has no server: adopted if it connects and the current
   * one has not reconnected by its next retry (a third of its timeout) and a second more; dropped
   * otherwise, and the old session, with its nodes, kept.
   */
  private tryAnother(Client: ZkConstructor, waitMs: number): void {
    if (this.probe) return;
    const old = this.current!;
    const retryMs = (old.client.timeout > 0 ? old.client.timeout : this.timeoutMs) / 3;
    const probe = this.open(Client);
    this.probe = probe;
    const drop = () => {
      if (this.probe === probe) this.probe = undefined;
      if (this.current !== probe) this.shut(probe);
    };
    const giveUp = setTimeout(drop, waitMs).unref();
    const settled = () => {
      probe.waiting.delete(settled);
      clearTimeout(giveUp);
      if (!probe.connected) return drop();
      setTimeout(() => {
        if (this.stopped || old.connected || old !== this.current || probe.closed) return drop();
        this.probe = undefined;
        this.current = probe; // the server answers a new session, never the old one
        this.shut(old);
        this.onState?.(true);
      }, retryMs + 1000).unref();
    };
    probe.waiting.add(settled);
  }

  private open(Client: ZkConstructor): Connection {
    // debug_level 0: the C client's own log (a line per failed connect) stays off; Skep says once
    const client = new Client({
      connect: this.hosts,
      timeout: this.timeoutMs,
      debug_level: 0,
      host_order_deterministic: false,
    });
    const conn: Connection = {
      client,
      connected: false,
      closed: false,
      offSince: Date.now(),
      waiting: new Set(),
    };
    const wake = () => [...conn.waiting].forEach((done) => done());
    const tell = (connected: boolean) => {
      if (conn === this.current) this.onState?.(connected);
    };
    client.on('connect', () => {
      conn.connected = true;
      wake();
      tell(true);
    });
    client.on('connecting', () => {
      if (conn.connected) conn.offSince = Date.now();
      conn.connected = false;
      tell(false);
    });
    // the session expired: this client may not be used again (the package's own warning)
    client.on('close', () => {
      conn.closed = true;
      conn.connected = false;
      wake();
      tell(false);
    });
    client.init({});
    return conn;
  }

  private shut(conn: Connection): void {
    if (conn.closed) return;
    conn.closed = true;
    conn.connected = false;
    // never from inside the addon's own callbacks (a watch, a completion, a state event): closing a
    // handle there while the C client is still processing it crashed the manager (libuv's
    // `uv_poll_start: Assertion !uv__is_closing(handle)`), seen after a session expired
    const { client } = conn;
    setImmediate(() => client.close());
    [...conn.waiting].forEach((done) => done());
  }

  close(): void {
    this.stopped = true;
    for (const conn of [this.current, this.probe]) if (conn) this.shut(conn);
  }
}

/** Creates `path` and its parents, as persistent nodes; those already there are kept. */
export async function createPath(client: ZkClient, path: string): Promise<void> {
  let at = '';
  for (const part of path.split('/').filter(Boolean)) {
    at += `/${part}`;
    await client.create(at, '', ZK.persistent).catch((err: unknown) => {
      if (zkCode(err) !== ZK.nodeExists) throw err;
    });
  }
}

/** A promise that gives up after `ms` (a call queued on a lost connection waits for its return). */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms / 1000}s`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
