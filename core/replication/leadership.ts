import { performance } from 'node:perf_hooks';
import { etcdClient, etcdMessage } from '../discovery/etcd-client.js';
import type { StoreAccess } from '../discovery/store-access.js';
import type { Etcd3 } from 'etcd3';
import type { Logger } from '../log.js';
import { type Election, RoleReports } from './election.js';
import { StoreContact } from './store-contact.js';

export interface LeadershipOptions {
  /** etcd's members (`host:port`). */
  endpoints: string[];
  /** How they are reached (TLS, credentials); replaced on SIGHUP by `useAccess`. */
  access: StoreAccess;
  /**
   * The election's key prefix: `<path>/docker/swarm/leader/`,
   * classic's leader key made a folder of candidates.
   */
  prefix: string;
  advertise: string;
  ttlMs: number;
  logger: Logger;
}

const now = () => performance.now();

// where other layers have found it
export { etcdMessage };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Leader election on etcd v3 (the recipe of etcd's own `concurrency` package): every manager puts
 * a key under the prefix, bound to a lease it renews every third of the TTL; the key created first
 * is the primary. A manager that dies stops renewing and its key goes with its lease, so the next
 * oldest leads within the TTL.
 *
 * A manager trusts what it knows only while its own lease is sure to be alive: its last renewal
 * was sent less than a TTL ago by the monotonic clock. So a primary frozen (SIGSTOP) past its lease
 * resumes as not primary, and one cut off from etcd's quorum stops placing before anyone else can
 * be elected.
 */
export class Leadership implements Election {
  readonly replicated = true;
  readonly advertise: string;
  private readonly reports: RoleReports;
  private client?: Etcd3;
  private key?: string;
  private leader?: { key: string; addr: string };
  private readonly contact: StoreContact;
  private stopped = false;
  /** The lease's ID, renewed through whichever client is current (a SIGHUP may replace it). */
  private leaseId?: string;
  private cancelWatch?: () => Promise<void>;
  /**
   * etcd3's error for a lease etcd no longer has (loaded with etcd3, only when replication is on).
   */
  private leaseInvalid?: new (leaseID: string) => Error;

  constructor(private readonly options: LeadershipOptions) {
    this.advertise = options.advertise;
    this.reports = new RoleReports(options.logger);
    this.contact = new StoreContact('etcd', options.endpoints.join(','), options.logger, () =>
      this.update(),
    );
  }

  isPrimary(): boolean {
    return this.contact.inTouch() && this.key !== undefined && this.leader?.key === this.key;
  }

  primary(): string | undefined {
    return this.contact.inTouch() ? this.leader?.addr : undefined;
  }

  noPrimaryReason(): string {
    const cause = this.contact.outOfTouchCause();
    if (cause) return `etcd cannot be reached: ${cause}`;
    if (!this.contact.inTouch())
      return "this manager's lease has not been renewed within the TTL; asking etcd";
    if (this.leader?.addr === this.advertise && this.leader.key !== this.key)
      return `the lease of an earlier manager at ${this.advertise} has not expired yet`;
    return 'an election is under way';
  }

  changed(ms: number): Promise<void> {
    return this.reports.changed(ms);
  }

  onChange(listener: () => void): void {
    this.reports.onChange(listener);
  }

  /** The etcd client, for Skep's own state beside the election (after `start`). */
  etcd(): Etcd3 {
    if (!this.client) throw new Error('the election has not started');
    return this.client;
  }

  /** Connects and runs for election in the background; the role is known once etcd has answered. */
  async start(): Promise<void> {
    const { EtcdLeaseInvalidError } = await import('etcd3');
    this.leaseInvalid = EtcdLeaseInvalidError;
    this.client = await this.connect(this.options.access);
    void this.watch();
    void this.campaign();
  }

  private connect(access: StoreAccess): Promise<Etcd3> {
    const callMs = Math.max(500, Math.round(this.options.ttlMs / 3));
    // every unary call ends within a third of the TTL: a member without quorum must not hold a
    // renewal past the lease; etcd back is seen within a third of the TTL too
    // (the campaign's retry)
    return etcdClient(this.options.endpoints, callMs, access, {
      dialTimeout: callMs,
      defaultCallOptions: (c) => (c.isStream ? {} : { deadline: Date.now() + callMs }),
    });
  }

  /**
   * New TLS material or credentials (SIGHUP): a new client for every call from now on, the lease
   * kept (it is etcd's, renewed by ID), so the primary stays primary; the old client is closed
   * once calls under way on it have had a TTL to end.
   */
  async useAccess(access: StoreAccess): Promise<void> {
    const old = this.client;
    this.client = await this.connect(access);
    this.options.logger.info('Leader Election: etcd reached with the reloaded TLS files');
    const cancel = this.cancelWatch;
    this.cancelWatch = undefined;
    await cancel?.().catch(() => {});
    void this.watch();
    setTimeout(() => old?.close(), this.options.ttlMs).unref();
  }

  /**
   * Steps down at once: the lease is revoked, so another manager leads without waiting for the TTL.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.contact.stop();
    await this.cancelWatch?.().catch(() => {});
    const wasPrimary = this.isPrimary();
    const revoking = this.leaseId
      ? this.client!.leaseClient.leaseRevoke({ ID: this.leaseId })
      : Promise.resolve();
    await revoking.then(
      () =>
        wasPrimary &&
        this.options.logger.info(
          'Leader Election: stepped down; the lease is revoked, so another manager leads at once',
        ),
      (err: unknown) =>
        this.options.logger.warn(
          `Leader Election: the lease could not be revoked (${etcdMessage(err)}); it expires within the TTL`,
        ),
    );
    this.client?.close();
  }

  private async campaign(): Promise<void> {
    const client = this.client!;
    const ttlSeconds = Math.max(1, Math.round(this.options.ttlMs / 1000));
    while (!this.stopped) {
      try {
        const sent = now();
        const lease = client.lease(ttlSeconds, { autoKeepAlive: false });
        lease.on('lost', () => {});
        const id = await lease.grant();
        this.leaseId = id;
        const key = `${this.options.prefix}${id}`;
        await lease.put(key).value(this.advertise);
        this.key = key;
        this.renewed(sent, ttlSeconds);
        await this.readLeader();
        await this.keepAlive(id);
      } catch (err) {
        this.failed(err);
        await sleep(Math.min(1000, this.options.ttlMs / 3));
      }
      this.key = undefined;
      this.update();
    }
  }

  /**
   * Renews every third of the TTL until etcd says the lease is gone
   * (expired while this manager was frozen or cut off).
   */
  private async keepAlive(id: string): Promise<void> {
    const every = this.options.ttlMs / 3;
    let wait = every;
    while (!this.stopped) {
      await sleep(wait);
      const sent = now();
      try {
        this.renewed(sent, await this.renew(id, Date.now() + every));
        wait = every;
      } catch (err) {
        if (this.leaseInvalid && err instanceof this.leaseInvalid) {
          this.options.logger.warn(
            "Leader Election: this manager's lease expired " +
              '(frozen or cut off from etcd for longer than the TTL); running again',
          );
          return;
        }
        this.failed(err);
        // the call went to a member that is down or without quorum:
        // another may answer, well within the lease
        wait = 100;
        continue;
      }
      // the watch says who leads; this re-read is the safety net when it stalled
      await this.readLeader().catch((err: unknown) => this.failed(err));
    }
  }

  /**
   * One keep-alive of lease `id` on the current client (etcd3's `keepaliveOnce`, by ID): its TTL
   * in seconds, or etcd3's lease-invalid error when etcd no longer has the lease.
   */
  private async renew(id: string, deadline: number): Promise<number> {
    const stream = await this.client!.leaseClient.leaseKeepAlive({ deadline });
    try {
      const res = await new Promise<{ TTL: string }>((resolve, reject) => {
        stream.on('data', resolve);
        stream.on('error', reject);
        stream.write({ ID: id });
      });
      if (res.TTL === '0') throw new this.leaseInvalid!(id);
      return Number(res.TTL);
    } finally {
      stream.end();
    }
  }

  private renewed(sent: number, ttlSeconds: number): void {
    // etcd starts the TTL when it receives the renewal, later than `sent`:
    // counting from `sent` errs on the safe side
    this.contact.renewed(sent + Math.min(ttlSeconds * 1000, this.options.ttlMs) - 50);
  }

  private failed(err: unknown): void {
    this.contact.failed(etcdMessage(err));
  }

  private async readLeader(): Promise<void> {
    const first = await this.client!.getAll()
      .prefix(this.options.prefix)
      .sort('Create', 'Ascend')
      .limit(1)
      .strings();
    const [key, addr] = Object.entries(first)[0] ?? [];
    this.leader = key !== undefined && addr !== undefined ? { key, addr } : undefined;
    this.update();
  }

  private async watch(): Promise<void> {
    while (!this.stopped && !this.cancelWatch) {
      try {
        const watcher = await this.client!.watch().prefix(this.options.prefix).create();
        const reread = () => void this.readLeader().catch((err: unknown) => this.failed(err));
        watcher.on('put', reread).on('delete', reread).on('connected', reread);
        watcher.on('error', (err) => this.failed(err));
        this.cancelWatch = () => watcher.cancel();
        if (this.stopped) await this.cancelWatch();
      } catch (err) {
        this.failed(err);
        await sleep(1000);
      }
    }
  }

  private update(): void {
    if (!this.stopped) this.reports.update(this);
  }
}
