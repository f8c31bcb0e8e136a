import { randomBytes } from 'node:crypto';
import {
  createPath,
  within,
  type ZkClient,
  type ZkStat,
  type ZkWatcher,
  ZK,
  zkCode,
} from '../discovery/zookeeper-client.js';
import {
  type MaintenanceState,
  type MaintenanceStore,
  parseState,
} from '../cluster/maintenance.js';
import type { NodeRecords } from '../scheduler/node-records.js';

/** Skep's own state beside classic's keys on ZooKeeper, as on etcd: `<root>/skep/...`. */
type Client = () => Promise<ZkClient>;
/** One operation's bound: a call queued on a lost connection would wait for its return. */
const CALL_MS = 5000;
const bounded = <T>(op: Promise<T>, what: string) => within(op, CALL_MS, `ZooKeeper ${what}`);
/** The package's data watch (its declarations miss it). */
type Watching = ZkClient & { w_get(path: string, watcher: ZkWatcher): Promise<[ZkStat, unknown]> };

const missing = (err: unknown) => zkCode(err) === ZK.noNode;
const text = (data: unknown) => (data == null ? '' : String(data));

/** Node records, `<root>/skep/<kind>/<node>/<key>` (kinds: moved, abandoned), as EtcdNodeRecords. */
export class ZkNodeRecords implements NodeRecords {
  private readonly base: string;

  constructor(
    private readonly client: Client,
    root: string,
    kind: string,
  ) {
    this.base = `${root}/skep/${kind}`;
  }

  private nodePath(node: string): string {
    return `${this.base}/${encodeURIComponent(node)}`;
  }

  add(node: string, key: string): Promise<void> {
    return bounded(this.addNow(node, key), `add ${this.base}`);
  }

  private async addNow(node: string, key: string): Promise<void> {
    const client = await this.client();
    await createPath(client, this.nodePath(node));
    await client.create(`${this.nodePath(node)}/${key}`, '', ZK.persistent).catch((err) => {
      if (zkCode(err) !== ZK.nodeExists) throw err;
    });
  }

  delete(node: string, key: string): Promise<void> {
    return bounded(this.deleteNow(node, key), `delete ${this.base}`);
  }

  private async deleteNow(node: string, key: string): Promise<void> {
    const client = await this.client();
    await client.delete_(`${this.nodePath(node)}/${key}`, -1).catch((err) => {
      if (!missing(err)) throw err;
    });
  }

  take(node: string): Promise<Set<string>> {
    return bounded(this.takeNow(node), `take ${this.base}`);
  }

  private async takeNow(node: string): Promise<Set<string>> {
    const client = await this.client();
    const keys = await client.get_children(this.nodePath(node), false).catch((err) => {
      if (missing(err)) return [];
      throw err;
    });
    for (const key of keys) await this.deleteNow(node, key);
    return new Set(keys);
  }

  all(): Promise<Map<string, Set<string>>> {
    return bounded(this.allNow(), `all ${this.base}`);
  }

  private async allNow(): Promise<Map<string, Set<string>>> {
    const client = await this.client();
    const records = new Map<string, Set<string>>();
    const nodes = await client.get_children(this.base, false).catch((err) => {
      if (missing(err)) return [];
      throw err;
    });
    for (const node of nodes) {
      const keys = await client.get_children(`${this.base}/${node}`, false).catch(() => []);
      if (keys.length > 0) records.set(decodeURIComponent(node), new Set(keys));
    }
    return records;
  }
}

/** Node maintenance: one JSON value in `<root>/skep/nodes`, as EtcdMaintenanceStore. */
export class ZkMaintenanceStore implements MaintenanceStore {
  private readonly path: string;

  constructor(
    private readonly client: Client,
    root: string,
  ) {
    this.path = `${root}/skep/nodes`;
  }

  load(): Promise<MaintenanceState> {
    return bounded(this.loadNow(), `load ${this.path}`);
  }

  private async loadNow(): Promise<MaintenanceState> {
    const client = await this.client();
    const value = await client.get(this.path, false).then(
      ([, data]) => text(data),
      (err: unknown) => {
        if (missing(err)) return '';
        throw err;
      },
    );
    return value ? parseState(JSON.parse(value)) : {};
  }

  save(state: MaintenanceState): Promise<void> {
    return bounded(this.saveNow(state), `save ${this.path}`);
  }

  private async saveNow(state: MaintenanceState): Promise<void> {
    const client = await this.client();
    const value = JSON.stringify(state);
    await client.set(this.path, value, -1).catch(async (err: unknown) => {
      if (!missing(err)) throw err;
      await createPath(client, this.path.slice(0, this.path.lastIndexOf('/')));
      await client.create(this.path, value, ZK.persistent);
    });
  }

  /**
   * A replica follows what the primary saves. ZooKeeper's watches fire once: each is set again
   * on the read that follows it (a missing node is watched through `exists`).
   */
  async watch(changed: () => void): Promise<() => void> {
    let stopped = false;
    const follow = async (): Promise<void> => {
      if (stopped) return;
      const again = () => {
        if (stopped) return;
        changed();
        void follow().catch(() => setTimeout(() => void follow().catch(() => {}), 1000));
      };
      const client = (await this.client()) as Watching;
      await client.w_get(this.path, again).catch(async (err: unknown) => {
        if (!missing(err)) throw err;
        await (client as unknown as { w_exists(p: string, w: ZkWatcher): Promise<unknown> })
          .w_exists(this.path, again)
          .catch(() => {});
      });
    };
    await follow();
    return () => void (stopped = true);
  }
}

const KEY_BYTES = 32;

/**
 * The managers' shared forwarding key in `<root>/skep/forwarding-key`: the first to ask creates
 * it (a create fails if another did first, and that one is read), as on etcd.
 */
export async function zkSharedKey(client: ZkClient, path: string): Promise<Buffer> {
  const mine = randomBytes(KEY_BYTES);
  await createPath(client, path.slice(0, path.lastIndexOf('/')));
  try {
    await client.create(path, mine.toString('base64'), ZK.persistent);
    return mine;
  } catch (err) {
    if (zkCode(err) !== ZK.nodeExists) throw err;
  }
  const [, data] = await client.get(path, false);
  const key = Buffer.from(text(data), 'base64');
  if (key.length < KEY_BYTES)
    throw new Error(`${path} in ZooKeeper is not a key of ${KEY_BYTES} bytes in base64`);
  return key;
}
