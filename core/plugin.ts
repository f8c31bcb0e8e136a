import type { PluginHooks, PluginTools } from './plugin-hooks.js';

/**
 * A plugin: a name (the tap name of every tap it makes, whatever name a tap gives) and `apply`,
 * which only taps hooks.
 */
export interface SkepPlugin {
  readonly name: string;
  /**
   * Where the plugin sits in apply order: `pre` plugins first, then the built-ins, then the
   * config's plugins in the order listed, then `post` plugins. Taps of one hook run in that order
   * unless a tap gives `stage` or `before`.
   */
  readonly enforce?: 'pre' | 'post';
  apply(hooks: PluginHooks, tools: PluginTools): void;
  /**
   * SIGHUP: the config was read again and kept. A plugin that can take changes re-reads
   * what it depends on (its files, its environment) here; a throw is logged and the plugin
   * goes on as it was.
   */
  reload?(): void | Promise<void>;
}

/**
 * What a plugin module exports (as `default`, or as `plugin`):
 * a plugin, or a function of options that makes one.
 */
export type PluginFactory<Options = never> = (
  options?: Options,
) => SkepPlugin | Promise<SkepPlugin>;

/**
 * What a config may list: plugin objects; a module to load (a path relative to the config file,
 * or an npm package name); `[module, options]`; nested lists; and falsy entries
 * (`cond && plugin()`), which are skipped.
 */
export type PluginOption =
  SkepPlugin | string | readonly [string, unknown] | false | null | undefined | PluginOption[];

/** Tap stages, so ordering never depends on file or registration order. */
export const STAGE = {
  /** Built-in normalisation that other taps rely on. */
  NORMALIZE: -200,
  /** The default for third-party taps. */
  DEFAULT: 0,
  /** Swarm-specific rewriting that should see the final data (name prefixes and the like). */
  SWARM_REWRITE: 100,
} as const;
