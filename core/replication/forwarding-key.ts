import { randomBytes } from 'node:crypto';
import type { Etcd3 } from 'etcd3';
import type { Logger } from '../log.js';
import { etcdMessage } from './leadership.js';

/** Where the managers' shared key is kept: beside the other replication state. */
export const forwardingKeyPath = (root: string) => `${root}skep/forwarding-key`;

const KEY_BYTES = 32;

/**
 * The key every manager shares, made by the first to ask: one transaction puts a new key only
 * if none exists (its create revision is 0), else reads the one there. So managers starting
 * together still end up with the same key.
 */
export async function sharedKey(client: Etcd3, path: string): Promise<Buffer> {
  const mine = randomBytes(KEY_BYTES);
  const result = await client
    .if(path, 'Create', '==', 0)
    .then(client.put(path).value(mine.toString('base64')))
    .else(client.get(path))
    .commit();
  if (result.succeeded) return mine;
  const stored = result.responses[0]?.response_range?.kvs[0]?.value;
  const key = stored && Buffer.from(stored.toString(), 'base64');
  if (!key || key.length < KEY_BYTES)
    throw new Error(`${path} in etcd is not a key of ${KEY_BYTES} bytes in base64`);
  return key;
}

/**
 * The key with which a replica signs the client it forwards and the primary checks it
 * (core/api/forwarded-client.ts). Read in the background, retried until etcd answers: until then
 * this manager neither forwards nor believes a forwarded client.
 */
export class ForwardingKey {
  private key?: Buffer;
  private stopped = false;
  /** Ends the wait before the next attempt (a stop). */
  private wake?: () => void;

  constructor(
    /** Reads the key from the store, making it if none is there (`sharedKey`, `zkSharedKey`). */
    private readonly read: (path: string) => Promise<Buffer>,
    readonly path: string,
    private readonly logger: Logger,
    private readonly retryMs = 1000,
  ) {}

  get(): Buffer | undefined {
    return this.key;
  }

  /** Resolves once the key is read, or the manager stops. */
  async load(): Promise<void> {
    let warned = false;
    while (!this.stopped && !this.key) {
      try {
        this.key = await this.read(this.path);
      } catch (err) {
        if (!warned)
          this.logger.warn(
            `Replication: cannot read the forwarding key ${this.path} from the store (${etcdMessage(err)}); ` +
              'requests are not forwarded until it is',
          );
        warned = true;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.retryMs);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    }
  }

  stop(): void {
    this.stopped = true;
    this.wake?.();
  }
}
