import { discoveryArgument, DISCOVERY_FORMS, discoveryOptFlag } from './discovery-flags.js';
import type { Command } from './flag.js';
import { durationFlag, textFlag } from './flag-kinds.js';
import { HELP_FLAG } from './global-flags.js';

/** `swarm join`: keep one engine registered in a discovery backend while this runs. */
export interface ParsedJoin {
  advertise?: string;
  heartbeatMs: number;
  ttlMs: number;
  /**
   * `--delay`: a random wait in [0, delay] before the first registration, so nodes do not
   * register together.
   */
  delayMs: number;
  discovery?: string;
  discoveryOpts: Record<string, string>;
}

const MANAGERS_MUST_REACH =
  'Swarm manager(s) MUST be able to reach the Docker Engine at this address.';

const DESCRIPTION = `Keeps the engine registered while this runs; when it stops, the node leaves the cluster
once its TTL has passed.`;

/** Classic's `join`, its flags in its order (cli/commands.go) and words (cli/flags.go). */
export const JOIN: Command<ParsedJoin> = {
  names: ['join', 'j'],
  usage: 'Join a docker cluster',
  description: DESCRIPTION,
  argument: discoveryArgument(DISCOVERY_FORMS.etcd, DISCOVERY_FORMS.zk),
  flags: [
    textFlag<ParsedJoin>({
      names: ['advertise', 'addr'],
      usage: `Address of the Docker Engine joining the cluster. ${MANAGERS_MUST_REACH}`,
      env: 'SWARM_ADVERTISE',
      set: (t, address) => {
        t.advertise = address;
      },
    }),
    durationFlag<ParsedJoin>({
      names: ['heartbeat'],
      usage: 'period between each heartbeat',
      default: '60s',
      set: (t, ms) => {
        t.heartbeatMs = ms;
      },
    }),
    durationFlag<ParsedJoin>({
      names: ['ttl'],
      usage: 'set the expiration of an ephemeral node',
      default: '180s',
      set: (t, ms) => {
        t.ttlMs = ms;
      },
    }),
    durationFlag<ParsedJoin>({
      names: ['delay'],
      usage: 'add a random delay in [0s,delay] to avoid synchronized registration',
      default: '0s',
      set: (t, ms) => {
        t.delayMs = ms;
      },
    }),
    discoveryOptFlag<ParsedJoin>((t) => t.discoveryOpts),
    HELP_FLAG,
  ],
  flagErrors: 'go',
  defaultsApplied: true,
};
