import { ConfigError } from '../../config/errors.js';
import type { Discovery } from './discovery.js';
import { EtcdDiscovery } from './etcd.js';
import { FileDiscovery } from './file.js';
import {
  discoveryBackend,
  discoverySchemes,
  type DiscoveryOptions,
  registerDiscovery,
} from './registry.js';
import { StaticDiscovery } from './static.js';
import { ZookeeperDiscovery } from './zookeeper.js';

export type { Discovery } from './discovery.js';
export { type DiscoveryFactory, type DiscoveryOptions, registerDiscovery } from './registry.js';

registerDiscovery(
  'file',
  (spec, options) => new FileDiscovery(spec.slice('file://'.length), options.logger),
);
registerDiscovery('etcd', (spec, options) => new EtcdDiscovery(spec, options));
registerDiscovery('zk', (spec, options) => new ZookeeperDiscovery(spec, options));

/**
 * Schemes that name engines themselves, listed as they are
 * (classic's `nodes://`, and engine addresses).
 */
const STATIC_SCHEMES = ['nodes', 'tcp', 'unix', 'http'];

/**
 * Picks the backend from the discovery argument(s) the operator gave:
 * a registered scheme, else the list itself.
 */
export function createDiscovery(specs: string[], options: DiscoveryOptions): Discovery {
  for (const spec of specs) {
    const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(spec)?.[1]?.toLowerCase();
    if (scheme === 'token') {
      throw new ConfigError(
        `"${spec}": the hosted token:// discovery service was shut down in 2019; ` +
          'list the engines instead (nodes://ip:port,ip:port), or use file://, etcd:// or zk://',
      );
    }
    const backend = scheme ? discoveryBackend(scheme) : undefined;
    if (backend) {
      if (specs.length > 1)
        throw new ConfigError(
          `"${spec}": ${scheme}:// discovery takes the whole node list; give it alone`,
        );
      return backend(spec, options);
    }
    if (scheme && !STATIC_SCHEMES.includes(scheme)) {
      const known = ['nodes', ...discoverySchemes()].map((s) => `${s}://`);
      throw new ConfigError(
        `"${spec}": ${scheme}:// discovery is not supported (use ${known.slice(0, -1).join(', ')} or ${known.at(-1)})`,
      );
    }
  }
  return new StaticDiscovery(specs);
}
