import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { ZkClient, ZkStat, ZkWatcher } from './zookeeper-types.js';

interface Session {
  clientId: string;
  timeout: number;
}
type FromWorker =
  | { kind: 'loaded' }
  | { kind: 'failed'; message: string }
  | { kind: 'event'; client: number; name: 'connect' | 'connecting' | 'close'; session: Session }
  | { kind: 'reply'; client: number; id: number; value?: unknown; error?: string; session: Session }
  | { kind: 'watch'; client: number; watcher: number; type: number; state: number; path: string };

/** What the native client answers a call on a closed handle. */
const CLOSING = '-116 zookeeper is closing';

let thread: Worker | undefined;
const clients = new Map<number, ThreadedZkClient>();
let nextClient = 1;

/**
 * Starts the thread the native clients run on; rejects with the package's load error.
 *
 * Why a thread: the addon watches the C client's socket with a libuv poll handle and, when the C
 * client drops its connection on a receive timeout (a process resumed after a pause past two
 * thirds of the session timeout), it keeps the poll handle of the closed descriptor until its next
 * timer. Meanwhile the number is free again: on the manager's own loop the next accepted client
 * connection got it, and closing the stale handle then took *that* connection out of epoll
 * (libuv's EPOLL_CTL_DEL is by number), so its next request was never read. On a loop of their
 * own, a stale handle can only touch what that loop watches: the ZooKeeper clients' sockets.
 */
export function startZkThread(): Promise<void> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./zookeeper-thread-worker.js', import.meta.url));
    worker.unref();
    worker.on('message', (message: FromWorker) => {
      if (message.kind === 'loaded') {
        thread = worker;
        return resolve();
      }
      if (message.kind === 'failed') return reject(new Error(message.message));
      clients.get(message.client)?.receive(message);
    });
    worker.on('error', reject);
    // the thread is gone (it never should be): every client it ran is closed
    worker.on('exit', () => {
      if (thread === worker) thread = undefined;
      for (const client of clients.values()) client.gone();
    });
  });
}

/** Holds the process while a client is open, as the addon's handles did. */
const holdWhileOpen = () => (clients.size > 0 ? thread?.ref() : thread?.unref());

/** The `zookeeper` package's client, run on the ZooKeeper thread. */
export class ThreadedZkClient extends EventEmitter implements ZkClient {
  private readonly id = nextClient++;
  private session: Session = { clientId: '0', timeout: -1 };
  private readonly pending = new Map<
    number,
    (reply: { value?: unknown; error?: string }) => void
  >();
  private readonly watchers = new Map<number, ZkWatcher>();
  private nextId = 1;
  private closed = false;

  constructor(private readonly config: object) {
    super();
  }

  get client_id(): string {
    return this.session.clientId;
  }

  get timeout(): number {
    return this.session.timeout;
  }

  init(config: object): this {
    if (!thread) throw new Error('the ZooKeeper thread is not running');
    clients.set(this.id, this);
    holdWhileOpen();
    // as the package does: the configuration given to the constructor wins
    thread.postMessage({ kind: 'open', client: this.id, config: { ...config, ...this.config } });
    return this;
  }

  close(): void {
    if (!this.closed) thread?.postMessage({ kind: 'close', client: this.id });
  }

  create(path: string, data: string, flags: number): Promise<string> {
    return this.call('create', [path, data, flags]);
  }

  exists(path: string, watch: boolean): Promise<ZkStat> {
    return this.call('exists', [path, watch]);
  }

  get(path: string, watch: boolean): Promise<[ZkStat, Buffer | null]> {
    return this.call<[ZkStat, Uint8Array | null]>('get', [path, watch]).then(withBuffer);
  }

  w_get(path: string, watcher: ZkWatcher): Promise<[ZkStat, Buffer | null]> {
    return this.call<[ZkStat, Uint8Array | null]>('w_get', [path], watcher).then(withBuffer);
  }

  get_children(path: string, watch: boolean): Promise<string[]> {
    return this.call('get_children', [path, watch]);
  }

  w_get_children(path: string, watcher: ZkWatcher): Promise<string[]> {
    return this.call('w_get_children', [path], watcher);
  }

  set(path: string, data: string, version: number): Promise<ZkStat> {
    return this.call('set', [path, data, version]);
  }

  delete_(path: string, version: number): Promise<void> {
    return this.call('delete_', [path, version]);
  }

  private call<T>(method: string, args: unknown[], watcher?: ZkWatcher): Promise<T> {
    if (this.closed || !thread) return Promise.reject(new Error(CLOSING));
    const id = this.nextId++;
    if (watcher) this.watchers.set(id, watcher);
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, ({ value, error }) => {
        if (error === undefined) return resolve(value as T);
        this.watchers.delete(id);
        reject(new Error(error));
      });
      const message = { kind: 'call', client: this.id, id, method, args };
      thread!.postMessage(watcher ? { ...message, watcher: id } : message);
    });
  }

  /** A message from the thread for this client. */
  receive(message: FromWorker): void {
    if (message.kind === 'watch') {
      const watcher = this.watchers.get(message.watcher);
      // a watch fires once; a session event reaches it without using it up
      if (message.type !== -1) this.watchers.delete(message.watcher);
      return watcher?.(message.type, message.state, message.path);
    }
    if (message.kind === 'reply') {
      this.session = message.session;
      const settle = this.pending.get(message.id);
      this.pending.delete(message.id);
      return settle?.(message);
    }
    if (message.kind !== 'event') return;
    this.session = message.session;
    if (message.name === 'close') this.gone();
    else this.emit(message.name);
  }

  /** Closed: by a call, its session's expiry, or the thread's end. */
  gone(): void {
    if (this.closed) return;
    this.closed = true;
    this.session = { ...this.session, timeout: -1 };
    clients.delete(this.id);
    holdWhileOpen();
    for (const settle of this.pending.values()) settle({ error: CLOSING });
    this.pending.clear();
    this.emit('close');
  }
}

const withBuffer = ([stat, data]: [ZkStat, Uint8Array | null]): [ZkStat, Buffer | null] => [
  stat,
  // a Buffer arrives as a plain Uint8Array
  data ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : null,
];
