import type { SwarmConfig } from '../../config/types.js';

/**
 * What `swarm manage`'s flags (and the global ones) come to: config keys, and what is not config.
 */
export interface ParsedManage {
  flags: SwarmConfig;
  configFile?: string;
  /** Classic's `--engine-refresh-retry`, deprecated: only its default is accepted. */
  refreshRetry?: number;
}
