/** The package's public entry: the config helper and the plugin API. */
export { defineConfig } from './define.js';
export type { SwarmConfig, Duration, LogLevel } from './types.js';
export * from '../core/plugin-api.js';
