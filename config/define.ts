import type { SwarmConfig } from './types.js';

/**
 * Typed helper for `swarm.config.ts`:
 * `export default defineConfig({ nodes: [...], plugins: [...] })`.
 */
export function defineConfig(config: SwarmConfig): SwarmConfig {
  return config;
}
