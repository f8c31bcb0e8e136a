import type { Etcd3 } from 'etcd3';
import type { NodeRecords } from '../scheduler/node-records.js';

/**
 * Node records in etcd, `<root>skep/<kind>/<node>/<key>`, so they survive a failover
 * (kinds: moved, abandoned).
 */
export class EtcdNodeRecords implements NodeRecords {
  private readonly prefix: string;

  constructor(
    private readonly client: () => Etcd3,
    root: string,
    kind: string,
  ) {
    this.prefix = `${root}skep/${kind}/`;
  }

  private nodePrefix(node: string): string {
    return `${this.prefix}${encodeURIComponent(node)}/`;
  }

  async add(node: string, key: string): Promise<void> {
    await this.client()
      .put(`${this.nodePrefix(node)}${key}`)
      .value('');
  }

  async delete(node: string, key: string): Promise<void> {
    await this.client()
      .delete()
      .key(`${this.nodePrefix(node)}${key}`);
  }

  async take(node: string): Promise<Set<string>> {
    const keys = await this.client().getAll().prefix(this.nodePrefix(node)).keys();
    await this.client().delete().prefix(this.nodePrefix(node));
    return new Set(keys.map((k) => k.slice(this.nodePrefix(node).length)));
  }

  async all(): Promise<Map<string, Set<string>>> {
    const records = new Map<string, Set<string>>();
    for (const k of await this.client().getAll().prefix(this.prefix).keys()) {
      const [node, key] = k.slice(this.prefix.length).split('/');
      if (!node || !key) continue;
      const name = decodeURIComponent(node);
      records.set(name, (records.get(name) ?? new Set()).add(key));
    }
    return records;
  }
}
