import { ConfigError } from '../../config/errors.js';
import type { Discovery } from './discovery.js';
import { StaticDiscovery } from './static.js';

export type { Discovery } from './discovery.js';

/** Picks the backend from the discovery argument(s) the operator gave. */
export function createDiscovery(specs: string[]): Discovery {
  for (const spec of specs) {
    const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(spec)?.[1]?.toLowerCase();
    if (scheme === 'token') {
      throw new ConfigError(
        `"${spec}": the hosted token:// discovery service was shut down in 2019; list the engines instead (nodes://ip:port,ip:port)`,
      );
    }
    if (scheme && !['nodes', 'tcp', 'unix', 'http'].includes(scheme)) {
      throw new ConfigError(`"${spec}": ${scheme}:// discovery is not supported yet; list the engines (nodes://ip:port,ip:port)`);
    }
  }
  return new StaticDiscovery(specs);
}
