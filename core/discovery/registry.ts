import type { Logger } from '../log.js';
import type { Discovery } from './discovery.js';

export interface DiscoveryOptions {
  logger?: Logger;
  heartbeatMs: number;
  /** The operator's `--discovery-opt key=value`s (classic's `kv.*`), for the backend to read. */
  discoveryOpts?: Record<string, string>;
}

/**
 * Makes a backend from the operator's discovery argument
 * (`etcd://host:port/path`, `file:///path`...).
 */
export type DiscoveryFactory = (spec: string, options: DiscoveryOptions) => Discovery;

const backends = new Map<string, DiscoveryFactory>();

/**
 * A discovery backend for a URL scheme, as classic's `discovery.Register`: the built-ins register
 * `file` and `etcd`; a third party registers its own before the manager starts. A scheme is
 * registered once.
 */
export function registerDiscovery(scheme: string, factory: DiscoveryFactory): void {
  const key = scheme.toLowerCase();
  if (backends.has(key)) throw new Error(`a discovery backend for ${key}:// is registered already`);
  backends.set(key, factory);
}

export function discoveryBackend(scheme: string): DiscoveryFactory | undefined {
  return backends.get(scheme.toLowerCase());
}

/** The schemes registered, for messages (`use nodes://, file:// or etcd://`). */
export function discoverySchemes(): string[] {
  return [...backends.keys()];
}
