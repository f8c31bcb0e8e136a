import { ConfigError } from '../../config/errors.js';
import type { Logger } from '../log.js';
import type { Discovery } from './discovery.js';
import { EtcdDiscovery } from './etcd.js';
import { FileDiscovery } from './file.js';
import { StaticDiscovery } from './static.js';

export type { Discovery } from './discovery.js';

export interface DiscoveryOptions {
  logger?: Logger;
  heartbeatMs: number;
}

/** Picks the backend from the discovery argument(s) the operator gave. */
export function createDiscovery(specs: string[], options: DiscoveryOptions): Discovery {
  for (const spec of specs) {
    const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(spec)?.[1]?.toLowerCase();
    if (scheme === 'token') {
      throw new ConfigError(`"${spec}": the hosted token:// discovery service was shut down in 2019; list the engines instead (nodes://ip:port,ip:port), or use file:// or etcd://`);
    }
    if (scheme === 'file' || scheme === 'etcd') {
      if (specs.length > 1) throw new ConfigError(`"${spec}": ${scheme}:// discovery takes the whole node list; give it alone`);
      return scheme === 'file' ? new FileDiscovery(spec.slice('file://'.length), options.logger) : new EtcdDiscovery(spec, options);
    }
    if (scheme && !['nodes', 'tcp', 'unix', 'http'].includes(scheme)) {
      throw new ConfigError(`"${spec}": ${scheme}:// discovery is not supported (use nodes://, file:// or etcd://)`);
    }
  }
  return new StaticDiscovery(specs);
}
