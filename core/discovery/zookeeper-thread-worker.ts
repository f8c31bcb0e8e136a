import { parentPort } from 'node:worker_threads';
import type { ZkClient } from './zookeeper-types.js';

/**
 * The native ZooKeeper clients, on this thread's own event loop (see zookeeper-thread.ts): their
 * calls, watches and session events, passed on as messages. The addon is loaded here only: its
 * wrapped objects do not survive being used from a second thread.
 */
const port = parentPort!;
type Message =
  | { kind: 'open'; client: number; config: object }
  | { kind: 'close'; client: number }
  | { kind: 'call'; client: number; id: number; method: string; args: unknown[]; watcher?: number };

let ZooKeeper: new (config: object) => ZkClient;
try {
  ZooKeeper = ((await import('zookeeper')) as unknown as { default: typeof ZooKeeper }).default;
  port.postMessage({ kind: 'loaded' });
} catch (err) {
  port.postMessage({ kind: 'failed', message: (err as Error).message });
  process.exit(0);
}
const clients = new Map<number, ZkClient>();

const open = (id: number, config: object) => {
  const client = new ZooKeeper(config);
  const session = () => ({ clientId: client.client_id, timeout: client.timeout });
  clients.set(id, client);
  for (const name of ['connect', 'connecting', 'close'] as const)
    client.on(name, () => {
      if (name === 'close') clients.delete(id);
      port.postMessage({ kind: 'event', client: id, name, session: session() });
    });
  client.init({});
};

port.on('message', (message: Message) => {
  if (message.kind === 'open') return open(message.client, message.config);
  const client = clients.get(message.client);
  if (message.kind === 'close') return client?.close();
  const { id, method, args, watcher } = message;
  const session = () => ({ clientId: client?.client_id ?? '0', timeout: client?.timeout ?? -1 });
  const reply = (answer: { value?: unknown; error?: string }) =>
    port.postMessage({ kind: 'reply', client: message.client, id, ...answer, session: session() });
  if (!client) return reply({ error: '-116 zookeeper is closing' });
  if (watcher !== undefined)
    args.push((type: number, state: number, path: string) =>
      port.postMessage({ kind: 'watch', client: message.client, watcher, type, state, path }),
    );
  const target = client as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
  target[method]!.apply(client, args).then(
    (value) => reply({ value }),
    (err: unknown) => reply({ error: (err as Error)?.message ?? String(err) }),
  );
});
