import type { Logger } from '../log.js';
import { type StoreAccess, storeUrl } from './store-access.js';

/** One key or directory of etcd's v2 keyspace, as its JSON names it. */
interface V2Node {
  key?: string;
  value?: string;
  dir?: boolean;
  nodes?: V2Node[];
  modifiedIndex?: number;
}

/** etcd v2's answer: a node (and the action that changed it), or an error. */
interface V2Answer {
  node?: V2Node;
  errorCode?: number;
  message?: string;
  cause?: string;
}

interface Answer {
  status: number;
  body: string;
}

/** etcd v2's own error codes (its `error.go`). */
const KEY_NOT_FOUND = 100;
/** A watch's index fell out of the 1,000 events etcd keeps: wait from now, after a re-read. */
const EVENT_INDEX_CLEARED = 401;

/** A wait is re-sent this often: a member that vanished without a reset is left, no event lost. */
const LONG_POLL_MS = 60_000;
const REQUEST_MS = 5_000;
const CONNECT_MS = 3_000;

/** A key's part in a URL, `:` kept as classic's Go client kept it (`nodes/10.0.0.1:2375`). */
const segment = (part: string) => encodeURIComponent(part).replace(/%3A/gi, ':');

const parse = (body: string): V2Answer | undefined => {
  try {
    const value: unknown = JSON.parse(body);
    return typeof value === 'object' && value !== null ? (value as V2Answer) : undefined;
  } catch {
    return undefined;
  }
};

/**
 * Classic swarm's registry on etcd's v2 API, where classic 1.2.9's agents register (libkv's etcd
 * store) and its manager reads: `PUT /v2/keys/<prefix><ip:port>` with a TTL every heartbeat, the
 * nodes read from that directory. v2 exists only while etcd runs with `--enable-v2` (3.4, 3.5;
 * 3.6 has none): it is looked for once, and where it is missing every call does nothing, said
 * once, so Skep keeps working on v3 alone.
 */
export class EtcdV2 {
  private detection?: Promise<boolean>;
  /** The member that answered last is asked first. */
  private preferred = 0;

  /**
   * `hosts` as `host:port`; `prefix` the nodes' directory (`<path>/docker/swarm/nodes/`);
   * `access` is read at each request, so material renewed in place is used.
   */
  constructor(
    private readonly hosts: string[],
    private readonly prefix: string,
    private readonly access: StoreAccess = {},
    private readonly logger?: Logger,
  ) {}

  private get dir(): string {
    const segments = this.prefix.split('/').filter(Boolean);
    return `/v2/keys/${segments.map(segment).join('/')}`;
  }

  /**
   * One request to the first member that can be reached, the others tried in turn on a
   * connection error. An HTTP answer of any status is returned, not thrown.
   */
  private async request(
    path: string,
    options: { method?: 'GET' | 'PUT'; form?: Record<string, string>; signal?: AbortSignal } = {},
  ): Promise<Answer> {
    const { default: got, TimeoutError } = await import('got');
    const { tls, auth } = this.access;
    const waiting = options.signal !== undefined;
    let last: unknown;
    for (let i = 0; i < this.hosts.length; i++) {
      const at = (this.preferred + i) % this.hosts.length;
      try {
        const res = await got(`${storeUrl(this.hosts[at]!, this.access)}${path}`, {
          method: options.method ?? 'GET',
          form: options.form,
          signal: options.signal,
          throwHttpErrors: false,
          retry: { limit: 0 },
          timeout: { connect: CONNECT_MS, request: waiting ? LONG_POLL_MS : REQUEST_MS },
          https: tls
            ? { certificateAuthority: tls.ca, certificate: tls.cert, key: tls.key }
            : undefined,
          ...(auth ? { username: auth.username, password: auth.password } : {}),
        });
        this.preferred = at;
        return { status: res.statusCode, body: res.body };
      } catch (err) {
        // a stop, or a wait that saw no event: not a member's failure
        if (options.signal?.aborted) throw err;
        if (waiting && err instanceof TimeoutError && err.event === 'request') throw err;
        last = err;
      }
    }
    throw last;
  }

  private failure(what: string, answer: Answer): Error {
    const parsed = parse(answer.body);
    const why = parsed?.message
      ? `${parsed.message}${parsed.cause ? ` (${parsed.cause})` : ''}`
      : answer.body.trim().slice(0, 200);
    return new Error(`etcd v2: ${what}: ${answer.status} ${why}`);
  }

  /**
   * Whether etcd serves v2: `GET /v2/keys/` answers JSON (200; 401 where v2 authentication
   * refuses us, v2 is there all the same) or `404 page not found` in text where it is off. Asked
   * once; an etcd that cannot be reached is asked again on the next call.
   */
  available(): Promise<boolean> {
    this.detection ??= this.detect().catch((err: unknown) => {
      this.detection = undefined;
      throw err;
    });
    return this.detection;
  }

  private async detect(): Promise<boolean> {
    const answer = await this.request('/v2/keys/');
    if (parse(answer.body)) return true;
    if (answer.status !== 404) throw this.failure('looking for the v2 API', answer);
    this.logger?.info(
      `etcd ${this.hosts.join(',')} has no v2 API (it runs without --enable-v2, or is etcd 3.6 or later): ` +
        "classic swarm's agents and manager, which use v2, do not share this registry; " +
        "Skep's own registrations (v3) are unaffected",
    );
    return false;
  }

  /** The addresses classic's agents registered (the values of the nodes' keys); none without v2. */
  async list(): Promise<string[]> {
    if (!(await this.available())) return [];
    // classic's manager read the same way: through the quorum, as Skep's v3 reads are
    const answer = await this.request(`${this.dir}?quorum=true&recursive=true&sorted=true`);
    const parsed = parse(answer.body);
    // nobody registered yet: the directory does not exist
    if (answer.status === 404 && parsed?.errorCode === KEY_NOT_FOUND) return [];
    if (answer.status !== 200 || !parsed?.node) throw this.failure(`reading ${this.dir}`, answer);
    return (parsed.node.nodes ?? [])
      .filter((n) => !n.dir && typeof n.value === 'string')
      .map((n) => n.value!);
  }

  /**
   * Registers `addr` for `ttlSeconds` as classic's `swarm join` does, once (the caller repeats
   * it every heartbeat). False, and nothing written, where etcd has no v2.
   */
  async register(addr: string, ttlSeconds: number): Promise<boolean> {
    if (!(await this.available())) return false;
    const key = `${this.dir}/${segment(addr)}`;
    const answer = await this.request(key, {
      method: 'PUT',
      form: { ttl: String(Math.max(1, Math.round(ttlSeconds))), value: addr },
    });
    if (answer.status !== 200 && answer.status !== 201)
      throw this.failure(`writing ${key}`, answer);
    return true;
  }

  /**
   * Calls `onChange` whenever a node under the prefix is written, deleted or expires (a v2
   * long-poll watch, as classic's manager followed it), until the returned function is called.
   * A failure is retried after `retryMs`, quietly: the caller's periodic re-read reports errors.
   */
  watch(onChange: () => void, retryMs: number): () => void {
    const stop = new AbortController();
    const pause = () =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, retryMs);
        stop.signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), {
          once: true,
        });
      });
    void (async () => {
      let index: number | undefined;
      while (!stop.signal.aborted) {
        try {
          if (!(await this.available())) return;
          const from = index === undefined ? '' : `&waitIndex=${index}`;
          const answer = await this.request(`${this.dir}?wait=true&recursive=true${from}`, {
            signal: stop.signal,
          });
          const parsed = parse(answer.body);
          if (answer.status === 200 && parsed?.node?.modifiedIndex !== undefined)
            index = parsed.node.modifiedIndex + 1;
          else if (parsed?.errorCode === EVENT_INDEX_CLEARED) index = undefined;
          else throw this.failure(`watching ${this.dir}`, answer);
          onChange();
        } catch (err) {
          if (stop.signal.aborted) return;
          const { TimeoutError } = await import('got');
          if (!(err instanceof TimeoutError && err.event === 'request')) await pause();
        }
      }
    })();
    return () => stop.abort();
  }
}
