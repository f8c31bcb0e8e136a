import type { Etcd3 } from 'etcd3';
import type { MovedStore } from '../scheduler/moved-store.js';

/** The rescheduler's record in etcd: `<root>skep/moved/<node>/<container ID>`, so it survives a failover. */
export class EtcdMovedStore implements MovedStore {
  private readonly prefix: string;

  constructor(
    private readonly client: () => Etcd3,
    root: string,
  ) {
    this.prefix = `${root}skep/moved/`;
  }

  private nodePrefix(node: string): string {
    return `${this.prefix}${encodeURIComponent(node)}/`;
  }

  async add(node: string, containerId: string): Promise<void> {
    await this.client()
      .put(`${this.nodePrefix(node)}${containerId}`)
      .value('');
  }

  async take(node: string): Promise<Set<string>> {
    const keys = await this.client().getAll().prefix(this.nodePrefix(node)).keys();
    await this.client().delete().prefix(this.nodePrefix(node));
    return new Set(keys.map((k) => k.slice(this.nodePrefix(node).length)));
  }

  async nodes(): Promise<string[]> {
    const keys = await this.client().getAll().prefix(this.prefix).keys();
    return [...new Set(keys.map((k) => decodeURIComponent(k.slice(this.prefix.length).split('/')[0]!)))];
  }
}
