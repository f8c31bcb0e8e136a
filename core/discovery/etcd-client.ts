import type { IBackoff } from 'cockatiel';
import type { Etcd3, IOptions } from 'etcd3';
import { type StoreAccess, storeUrl } from './store-access.js';

/**
 * An etcd client that sees etcd (back) within one heartbeat, as classic did (a plain request each
 * heartbeat). etcd3's defaults do not: one call while etcd is down makes four attempts, which open
 * the host's circuit breaker (three failures), and it stays open for 5 s whatever the heartbeat;
 * a watch backs off up to 30 s. Loaded only when etcd is used: it brings gRPC, which would cost
 * every manager's start-up.
 */
export async function etcdClient(
  endpoints: string[],
  heartbeatMs: number,
  access: StoreAccess = {},
  extra: Omit<IOptions, 'hosts' | 'faultHandling' | 'credentials' | 'auth'> = {},
): Promise<Etcd3> {
  const hosts = endpoints.map((endpoint) => storeUrl(endpoint, access));
  const { Etcd3, isRecoverableError } = await import('etcd3');
  const { circuitBreaker, ConsecutiveBreaker, ExponentialBackoff, handleWhen, retry } =
    await import('cockatiel');
  const recoverable = handleWhen(isRecoverableError);
  return new Etcd3({
    hosts,
    dialTimeout: 3000,
    ...extra,
    ...(access.tls && {
      credentials: {
        rootCertificate: access.tls.ca,
        certChain: access.tls.cert,
        privateKey: access.tls.key,
      },
    }),
    ...(access.auth && { auth: { ...access.auth } }),
    faultHandling: {
      // a dead member is skipped for half a heartbeat, not 5 s
      host: () =>
        circuitBreaker(recoverable, {
          halfOpenAfter: Math.max(100, Math.min(heartbeatMs / 2, 5000)),
          breaker: new ConsecutiveBreaker(3),
        }),
      // the next member, once each: not four immediate attempts on one
      global: retry(recoverable, { maxAttempts: Math.max(0, hosts.length - 1) }),
      // etcd3 1.1 types this as a backoff but calls it as one at run time
      // (its own default is the same shape)
      watchBackoff: new ExponentialBackoff({
        initialDelay: 100,
        maxDelay: heartbeatMs,
      }) as unknown as IBackoff<unknown>,
    },
  });
}

/**
 * gRPC's error text without its trimmings:
 * `14 UNAVAILABLE: No connection established. Last error: Error: connect ECONNREFUSED ...`
 */
export function etcdMessage(err: unknown): string {
  const text = ((err as Error)?.message ?? String(err)).split('\n')[0]!;
  return text
    .replace(/\. Resolution note:.*$/, '')
    .replace(/Last error: Error: /, 'last error: ')
    .replace(/,name resolution: [^,]*,remote_addr=/, ' talking to ')
    .trim();
}
