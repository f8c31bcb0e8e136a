/**
 * How Skep reaches a key-value store (etcd; the same options for any store that takes them):
 * classic's `--discovery-opt kv.cacertfile|kv.certfile|kv.keyfile`, read once at start and again
 * on SIGHUP, and Skep's `kv.username` / `kv.password` for a store with authentication enabled.
 */
export interface StoreAccess {
  /** PEM contents; present only when all three files were given, as classic required. */
  tls?: { ca: Buffer; cert: Buffer; key: Buffer };
  /** etcd's user/password authentication (v3 `Authenticate`; v2 basic authentication). */
  auth?: { username: string; password: string };
}

/** `http://` or `https://` before a store's `host:port`, as its access asks. */
export const storeUrl = (hostPort: string, access: StoreAccess = {}) =>
  `${access.tls ? 'https' : 'http'}://${hostPort}`;
