import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import {
  createPath,
  within,
  type ZkClient,
  ZK,
  zkCode,
  ZkSession,
} from '../discovery/zookeeper-client.js';
import type { Logger } from '../log.js';
import { type Election, RoleReports } from './election.js';
import { StoreContact } from './store-contact.js';

export interface ZkLeadershipOptions {
  /** The C client's connection string, `host:port,host:port`. */
  hosts: string;
  /** Classic's election node, `/<path>/docker/swarm/leader`: its children are the candidates. */
  path: string;
  advertise: string;
  /** Asked of ZooKeeper as the session timeout; the server may grant more (2 to 20 ticks). */
  ttlMs: number;
  logger: Logger;
}

const now = () => performance.now();
/** ZooKeeper's flags for a candidate: gone with its session, numbered by the server. */
const CANDIDATE = ZK.ephemeral | 2; // ZOO_SEQUENCE
const sequenceOf = (name: string) => Number(/(\d+)$/.exec(name)?.[1] ?? Infinity);

/**
 * Leader election on ZooKeeper, in classic's layout (libkv's lock over go-zookeeper): each manager
 * puts an ephemeral sequential child `_c_<32 hex>-lock-<seq>` under `<path>/docker/swarm/leader`,
 * the lowest number leads, and the winner writes its address into the election node itself, where
 * classic's managers read it. Skep's candidates also hold their own address.
 *
 * The same guarantee as on etcd: a manager trusts what it knows only while its session is sure to
 * be alive on the server, i.e. within the granted session timeout of the last call ZooKeeper
 * answered (the server cannot expire the session sooner), by the monotonic clock. So a primary
 * frozen or cut off stops acting before its candidate node goes and another leads.
 */
export class ZkLeadership implements Election {
  readonly replicated = true;
  readonly advertise: string;
  private readonly reports: RoleReports;
  private readonly session: ZkSession;
  /** This manager's candidate: its name and the session that owns it. */
  private mine?: { name: string; session: string };
  private leader?: { name: string; addr: string };
  private readonly contact: StoreContact;
  private stopped = false;
  /** Wakes the loop early: the candidates changed. */
  private wake?: () => void;
  private watching = false;
  /** Whether this primary has written its address into the election node (classic's value). */
  private announced = false;

  constructor(private readonly options: ZkLeadershipOptions) {
    this.advertise = options.advertise;
    this.reports = new RoleReports(options.logger);
    this.contact = new StoreContact('ZooKeeper', options.hosts, options.logger, () =>
      this.update(),
    );
    // one session, never a second beside it while it has no server: its candidate node is the
    // election, and opening and closing native clients around a pause crashed the C client's addon
    this.session = new ZkSession(options.hosts, options.ttlMs, () => this.wake?.(), Infinity);
  }

  isPrimary(): boolean {
    return (
      this.contact.inTouch() && this.mine !== undefined && this.leader?.name === this.mine.name
    );
  }

  primary(): string | undefined {
    return this.contact.inTouch() ? this.leader?.addr : undefined;
  }

  noPrimaryReason(): string {
    const cause = this.contact.outOfTouchCause();
    if (cause) return `ZooKeeper cannot be reached: ${cause}`;
    if (!this.contact.inTouch())
      return "this manager's ZooKeeper session is not known to be alive; asking ZooKeeper";
    return 'an election is under way';
  }

  changed(ms: number): Promise<void> {
    return this.reports.changed(ms);
  }

  onChange(listener: () => void): void {
    this.reports.onChange(listener);
  }

  /** A connected client, for Skep's own state beside the election (records, maintenance). */
  client(): Promise<ZkClient> {
    return this.session.ready(this.callMs());
  }

  /** How long one call may take: a third of the TTL, as the etcd election's calls. */
  callMs(): number {
    return Math.max(500, Math.round(this.options.ttlMs / 3));
  }

  async start(): Promise<void> {
    void this.run();
  }

  /** Steps down at once: the candidate node is deleted, so the next manager leads without waiting. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.contact.stop();
    this.wake?.();
    const wasPrimary = this.isPrimary();
    const mine = this.mine;
    if (mine) {
      try {
        const client = await this.session.ready(1000);
        await client.delete_(`${this.options.path}/${mine.name}`, -1);
        if (wasPrimary)
          this.options.logger.info(
            'Leader Election: stepped down; the candidate node is deleted, so another manager leads at once',
          );
      } catch (err) {
        this.options.logger.warn(
          `Leader Election: the candidate node could not be deleted (${(err as Error).message}); ` +
            'it goes with the session',
        );
      }
    }
    this.session.close();
  }

  /** Stands, renews and reads the candidates every third of the TTL, or at once when they change. */
  private async run(): Promise<void> {
    const every = Math.max(300, Math.round(this.options.ttlMs / 3));
    while (!this.stopped) {
      try {
        const client = await this.session.ready(this.callMs());
        const sent = now();
        // a call queued on a lost connection waits for its return: bounded, as etcd's calls are
        await within(
          this.stand(client).then(() => this.readLeader(client)),
          this.callMs() * 2,
          `ZooKeeper ${this.options.hosts}`,
        );
        // the timeout the server granted (the addon says -1 once the handle is closed)
        this.renewed(sent, client.timeout > 0 ? client.timeout : this.options.ttlMs);
        if (this.isPrimary() && !this.announced) {
          // classic's value: the leader's address in the election node itself
          await client.set(this.options.path, this.advertise, -1);
          this.announced = true;
        }
      } catch (err) {
        this.failed(err);
      }
      if (!this.isPrimary()) this.announced = false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, every);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /**
   * This manager's candidate node, made again when the session that owned it is gone
   * (an expiry while frozen or cut off: it then stands behind every manager already there).
   */
  private async stand(client: ZkClient): Promise<void> {
    const path = this.options.path;
    if (this.mine?.session === client.client_id) {
      const alive = await client.exists(`${path}/${this.mine.name}`, false).then(
        () => true,
        (err: unknown) => {
          if (zkCode(err) === ZK.noNode) return false;
          throw err;
        },
      );
      if (alive) return;
    }
    await createPath(client, path);
    const created = await client.create(
      `${path}/_c_${randomBytes(16).toString('hex')}-lock-`,
      this.advertise,
      CANDIDATE,
    );
    this.mine = { name: created.slice(path.length + 1), session: client.client_id };
  }

  /** The lowest candidate leads; a watch on the candidates wakes the loop when they change. */
  private async readLeader(client: ZkClient): Promise<void> {
    const path = this.options.path;
    const names = this.watching
      ? await client.get_children(path, false)
      : await client.w_get_children(path, () => {
          this.watching = false;
          this.wake?.();
        });
    this.watching = true;
    const first = names
      .filter((n) => n.includes('-lock-'))
      .sort((a, b) => sequenceOf(a) - sequenceOf(b))[0];
    if (!first) {
      this.leader = undefined;
      return this.update();
    }
    if (first !== this.leader?.name) {
      const [, data] = await client.get(`${path}/${first}`, false);
      this.leader = { name: first, addr: data?.toString() ?? '' };
    }
    this.update();
  }

  private renewed(sent: number, sessionMs: number): void {
    // the server expires the session no sooner than its timeout after it last heard from it,
    // which is after `sent`: counting from `sent` errs on the safe side
    this.contact.renewed(sent + sessionMs - 50);
  }

  private failed(err: unknown): void {
    this.contact.failed((err as Error)?.message ?? String(err));
  }

  private update(): void {
    if (!this.stopped) this.reports.update(this);
  }
}
