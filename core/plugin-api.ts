/**
 * The public plugin API: everything a plugin (built-in or third-party) may import. Nothing else in core is
 * part of the contract. Third parties import the same names from the package root (`import { ... } from 'skep'`).
 */
import type { PluginHooks, PluginTools } from './plugin-hooks.js';

export type { SkepHooks } from './hooks.js';
export type { PluginHooks, PluginTools } from './plugin-hooks.js';
export type { OperatorAnswer, OperatorRequest, OperatorRoute, OperatorTools } from './operator/plugin-routes.js';
export type * from './pipeline-types.js';
export { DockerError } from './errors.js';
/** Helpers that read Docker's own shapes the way the core does. */
export { hostPorts } from './host-ports.js';
export { SWARM_LABELS, labelStrings } from './swarm-labels.js';
export { truthy } from './query-flag.js';
export { nodesThatFit } from './reservation-fit.js';
export { neededApi } from './cluster/version-shims.js';
export { namedVolumes } from './volume-names.js';
export { compareVersions } from './cluster/api-version.js';

/** A plugin: a name (the tap name of every tap it makes, whatever name a tap gives) and `apply`, which only taps hooks. */
export interface SkepPlugin {
  readonly name: string;
  /**
   * Where the plugin sits in apply order: `pre` plugins first, then the built-ins, then the config's plugins in
   * the order listed, then `post` plugins. Taps of one hook run in that order unless a tap gives `stage` or `before`.
   */
  readonly enforce?: 'pre' | 'post';
  apply(hooks: PluginHooks, tools: PluginTools): void;
  /**
   * SIGHUP: the config was read again and kept. A plugin that can take changes re-reads what it depends on
   * (its files, its environment) here; a throw is logged and the plugin goes on as it was.
   */
  reload?(): void | Promise<void>;
}

/** What a plugin module exports (as `default`, or as `plugin`): a plugin, or a function of options that makes one. */
export type PluginFactory<Options = never> = (options?: Options) => SkepPlugin | Promise<SkepPlugin>;

/**
 * What a config may list: plugin objects; a module to load (a path relative to the config file, or an npm
 * package name); `[module, options]`; nested lists; and falsy entries (`cond && plugin()`), which are skipped.
 */
export type PluginOption = SkepPlugin | string | readonly [string, unknown] | false | null | undefined | PluginOption[];

/** Tap stages, so ordering never depends on file or registration order. */
export const STAGE = {
  /** Built-in normalisation that other taps rely on. */
  NORMALIZE: -200,
  /** The default for third-party taps. */
  DEFAULT: 0,
  /** Swarm-specific rewriting that should see the final data (name prefixes and the like). */
  SWARM_REWRITE: 100,
} as const;
