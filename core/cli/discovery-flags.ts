import { ConfigError } from '../../config/errors.js';
import type { ArgumentData, Flag } from './flag.js';
import { listFlag } from './flag-kinds.js';

/** The `<discovery>` forms, in classic's words; each command lists those Skep takes there. */
export const DISCOVERY_FORMS = {
  etcd: 'etcd://<ip1>,<ip2>/<path>',
  file: 'file://path/to/file',
  nodes: '[nodes://]<ip1>,<ip2>',
  unix: 'unix:///path/to/docker.sock',
  zk: 'zk://<ip1>,<ip2>/<path>',
};

/** Classic's `<discovery>` argument of `manage`, `join` and `list`. */
export const discoveryArgument = (...forms: string[]): ArgumentData => ({
  name: '<discovery>',
  usage: 'discovery service to use',
  env: 'SWARM_DISCOVERY',
  forms,
});

/** The argument, else its environment variable, as classic's getDiscovery took it. */
export function discoveryFrom(
  argument: ArgumentData,
  positional: string[],
  env: Record<string, string | undefined>,
) {
  return positional.length === 1 ? positional[0] : env[argument.env];
}

/**
 * `--discovery-opt key=value`, into the options `opts` finds in the target, checked as classic did.
 */
export function discoveryOptFlag<T>(opts: (target: T) => Record<string, string>): Flag<T> {
  return listFlag<T>({
    names: ['discovery-opt'],
    usage: 'discovery options',
    set: (target, value) => {
      const eq = value.indexOf('=');
      if (eq < 0) throw new ConfigError('--discovery-opt must contain key=value strings');
      opts(target)[value.slice(0, eq)] = value.slice(eq + 1);
    },
  });
}
