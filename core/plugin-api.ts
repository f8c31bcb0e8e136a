/**
 * The public plugin API: everything a plugin (built-in or third-party) may import. Nothing else in core is
 * part of the contract. Third parties import the same names from the package root (`import { ... } from 'skep'`).
 */
import type { SkepHooks } from './hooks.js';

export type { SkepHooks } from './hooks.js';
export type * from './pipeline-types.js';
export { DockerError } from './errors.js';

/** A plugin: a name (used as the tap name in every hook) and `apply`, which only taps hooks. */
export interface SkepPlugin {
  readonly name: string;
  apply(hooks: SkepHooks): void;
}

/** What a config may list: plugins, nested lists of them, and falsy entries (`cond && plugin()`) that are skipped. */
export type PluginOption = SkepPlugin | false | null | undefined | PluginOption[];

/** Tap stages, so ordering never depends on file or registration order. */
export const STAGE = {
  /** Built-in normalisation that other taps rely on. */
  NORMALIZE: -200,
  /** The default for third-party taps. */
  DEFAULT: 0,
  /** Swarm-specific rewriting that should see the final data (name prefixes and the like). */
  SWARM_REWRITE: 100,
} as const;
