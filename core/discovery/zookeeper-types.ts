import type { EventEmitter } from 'node:events';

/** The `zookeeper` package's client, as Skep uses it (zookeeper-client.ts). */
export interface ZkStat {
  version: number;
  /** The session that owns an ephemeral node, as hex (the form of `client_id`); "0" otherwise. */
  ephemeralOwner: string;
}

/** A watch's callback: the event's type (-1 a session event, 4 children changed) and state. */
export type ZkWatcher = (type: number, state: number, path: string) => void;

export interface ZkClient extends EventEmitter {
  init(config: object): this;
  close(): void;
  /** The session's id, as hex. */
  readonly client_id: string;
  /** The session timeout the server granted, in ms (it bounds what the client asked). */
  readonly timeout: number;
  create(path: string, data: string, flags: number): Promise<string>;
  exists(path: string, watch: boolean): Promise<ZkStat>;
  /** An empty node's data may come as null. */
  get(path: string, watch: boolean): Promise<[ZkStat, Buffer | null]>;
  get_children(path: string, watch: boolean): Promise<string[]>;
  w_get_children(path: string, watcher: ZkWatcher): Promise<string[]>;
  set(path: string, data: string, version: number): Promise<ZkStat>;
  delete_(path: string, version: number): Promise<void>;
}
