import { discoveryArgument, DISCOVERY_FORMS, discoveryOptFlag } from './discovery-flags.js';
import type { Command } from './flag.js';
import { durationFlag } from './flag-kinds.js';
import { HELP_FLAG } from './global-flags.js';

/** `swarm list`: how long to wait for the backend's answer (`--timeout`). */
export interface ParsedList {
  timeoutMs: number;
  discoveryOpts: Record<string, string>;
}

/** Classic's `list`, its flags in its order (cli/commands.go) and words (cli/flags.go). */
export const LIST: Command<ParsedList> = {
  names: ['list', 'l'],
  usage: 'List nodes in a cluster',
  argument: discoveryArgument(
    DISCOVERY_FORMS.etcd,
    DISCOVERY_FORMS.file,
    DISCOVERY_FORMS.zk,
    DISCOVERY_FORMS.nodes,
  ),
  flags: [
    durationFlag<ParsedList>({
      names: ['timeout'],
      usage: 'timeout period',
      default: '10s',
      set: (t, ms) => {
        t.timeoutMs = ms;
      },
    }),
    discoveryOptFlag<ParsedList>((t) => t.discoveryOpts),
    HELP_FLAG,
  ],
  flagErrors: 'go',
  defaultsApplied: true,
};
