import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Where a plugin is reached, and with what TLS (a `.json` spec's `TLSConfig`). */
export interface PluginEndpoint {
  name: string;
  /** `unix:///path`, `tcp://host:port`, `http://host:port` or `https://host:port`. */
  address: string;
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer; insecureSkipVerify?: boolean };
}

/** dockerd's plugin directories (pkg/plugins): sockets first, then spec files. */
export interface PluginDirs {
  sockets: string;
  specs: string[];
}

export const DOCKERD_PLUGIN_DIRS: PluginDirs = {
  sockets: '/run/docker/plugins',
  specs: ['/etc/docker/plugins', '/usr/lib/docker/plugins'],
};

const candidates = (base: string, name: string, ext: string) => [
  join(base, `${name}${ext}`),
  join(base, name, `${name}${ext}`),
];

const isSocket = (path: string) => {
  try {
    return statSync(path).isSocket();
  } catch {
    return false;
  }
};

const exists = (path: string) => {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
};

interface JsonSpec {
  Addr?: string;
  TLSConfig?: {
    InsecureSkipVerify?: boolean;
    CAFile?: string;
    CertFile?: string;
    KeyFile?: string;
  };
}

/**
 * Finds a plugin by name as dockerd does: `NAME.sock` (or `NAME/NAME.sock`) in the sockets
 * directory, then `NAME.spec` (a URL) or `NAME.json` (`{ Addr, TLSConfig }`) in the spec
 * directories. Undefined when none is there.
 */
export function findPlugin(
  name: string,
  dirs: PluginDirs = DOCKERD_PLUGIN_DIRS,
): PluginEndpoint | undefined {
  for (const path of candidates(dirs.sockets, name, '.sock'))
    if (isSocket(path)) return { name, address: `unix://${path}` };
  for (const base of dirs.specs) {
    for (const path of [...candidates(base, name, '.spec'), ...candidates(base, name, '.json')]) {
      if (!exists(path)) continue;
      if (path.endsWith('.spec'))
        return { name, address: checkedAddress(readFileSync(path, 'utf8').trim(), path) };
      const spec = JSON.parse(readFileSync(path, 'utf8')) as JsonSpec;
      const tls = spec.TLSConfig;
      return {
        name,
        address: checkedAddress(spec.Addr ?? '', path),
        tls: tls && {
          insecureSkipVerify: tls.InsecureSkipVerify,
          ca: tls.CAFile ? readFileSync(tls.CAFile) : undefined,
          cert: tls.CertFile ? readFileSync(tls.CertFile) : undefined,
          key: tls.KeyFile ? readFileSync(tls.KeyFile) : undefined,
        },
      };
    }
  }
  return undefined;
}

/** An address must say how to reach the plugin: dockerd refuses a spec without a protocol. */
export function checkedAddress(address: string, where: string): string {
  if (!/^(unix|tcp|http|https):\/\/./.test(address))
    throw new Error(
      `${where}: Unknown protocol in plugin address "${address}" (unix://, tcp://, http:// or https://)`,
    );
  return address;
}
