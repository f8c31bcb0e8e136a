import { ConfigError } from '../config/errors.js';
import type { SkepHooks } from './hooks.js';
import type { PluginOption, SkepPlugin } from './plugin-api.js';

/** Flattens nested lists, drops falsy entries, and fails fast on anything that is not a plugin. */
export function flattenPlugins(options: PluginOption[]): SkepPlugin[] {
  const out: SkepPlugin[] = [];
  const visit = (option: PluginOption, where: string) => {
    if (!option) return;
    if (Array.isArray(option)) return option.forEach((o, i) => visit(o, `${where}[${i}]`));
    const candidate = option as Partial<SkepPlugin>;
    if (typeof candidate.name !== 'string' || candidate.name === '' || typeof candidate.apply !== 'function') {
      throw new ConfigError(`"plugins${where}" is not a plugin: it needs a "name" and an "apply(hooks)" function`);
    }
    out.push(option);
  };
  options.forEach((o, i) => visit(o, `[${i}]`));
  return out;
}

/** Applies plugins in order; two plugins with the same name are a configuration error. */
export function applyPlugins(hooks: SkepHooks, plugins: SkepPlugin[]): void {
  const seen = new Set<string>();
  for (const plugin of plugins) {
    if (seen.has(plugin.name)) throw new ConfigError(`two plugins are named "${plugin.name}"`);
    seen.add(plugin.name);
    try {
      plugin.apply(hooks);
    } catch (err) {
      throw new ConfigError(`plugin "${plugin.name}" failed to apply: ${(err as Error).message}`);
    }
  }
}
