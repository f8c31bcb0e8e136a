import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { ConfigError } from '../config/errors.js';
import { importModule } from '../config/import-module.js';
import type { SkepHooks } from './hooks.js';
import { silentLogger, type Logger } from './log.js';
import { pluginHooks, pluginLogger } from './plugin-hooks.js';
import type { PluginOption, SkepPlugin } from './plugin-api.js';
import { Registry } from 'prom-client';
import { PluginRoutes } from './operator/plugin-routes.js';

const isPlugin = (value: unknown): value is SkepPlugin => {
  const candidate = value as Partial<SkepPlugin> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.name === 'string' &&
    candidate.name !== '' &&
    typeof candidate.apply === 'function'
  );
};

/**
 * A module specifier as a file:
 * relative to the config's folder, absolute, or an npm package resolved from there.
 */
function resolveModule(specifier: string, baseDir: string): string {
  if (specifier.startsWith('.') || isAbsolute(specifier)) {
    const file = resolve(baseDir, specifier);
    if (!existsSync(file)) throw new Error('no such file');
    return file;
  }
  try {
    return createRequire(join(baseDir, 'swarm.config.js')).resolve(specifier);
  } catch (err) {
    throw new Error(
      `cannot find the package from ${baseDir} (is it installed?): ${(err as Error).message.split('\n')[0]}`,
    );
  }
}

/**
 * A module's plugin: its `default` (or `plugin`) export,
 * called with the options when it is a factory.
 */
async function pluginFromModule(
  specifier: string,
  options: unknown,
  baseDir: string,
): Promise<SkepPlugin> {
  let file =
    specifier.startsWith('.') || isAbsolute(specifier) ? resolve(baseDir, specifier) : specifier;
  try {
    file = resolveModule(specifier, baseDir);
    const exports = await importModule(file);
    const exported = exports.default ?? exports.plugin;
    const plugin =
      typeof exported === 'function'
        ? await (exported as (o: unknown) => unknown)(options)
        : exported;
    if (!isPlugin(plugin))
      throw new Error(
        'its default export is neither a plugin ({ name, apply }) nor a function that returns one',
      );
    return plugin;
  } catch (err) {
    throw new ConfigError(
      `plugin "${specifier}" (${file}) could not be loaded: ${(err as Error).message}`,
    );
  }
}

/**
 * Loads the config's plugins in order:
 * flattens nested lists, skips falsy entries, loads modules, fails fast on the rest.
 */
export async function loadPlugins(options: PluginOption[], baseDir: string): Promise<SkepPlugin[]> {
  const out: SkepPlugin[] = [];
  const visit = async (option: PluginOption, where: string): Promise<void> => {
    if (!option) return;
    if (typeof option === 'string')
      return void out.push(await pluginFromModule(option, undefined, baseDir));
    // `[module, options]`: options are an object; any other pair is a nested list.
    const [first, second] =
      Array.isArray(option) && option.length === 2 ? (option as unknown[]) : [];
    if (
      typeof first === 'string' &&
      typeof second === 'object' &&
      second !== null &&
      !Array.isArray(second) &&
      !isPlugin(second)
    ) {
      return void out.push(await pluginFromModule(first, second, baseDir));
    }
    if (Array.isArray(option)) {
      for (const [i, o] of (option as PluginOption[]).entries()) await visit(o, `${where}[${i}]`);
      return;
    }
    if (!isPlugin(option))
      throw new ConfigError(
        `"plugins${where}" is not a plugin: it needs a "name" and an "apply(hooks)" function`,
      );
    out.push(option);
  };
  for (const [i, o] of options.entries()) await visit(o, `[${i}]`);
  return out;
}

/**
 * The apply order: `pre` plugins, the built-ins (a configured plugin with a built-in's name takes
 * its place), the other configured plugins as listed, then `post` plugins.
 */
export function orderPlugins(builtins: SkepPlugin[], configured: SkepPlugin[]): SkepPlugin[] {
  const replacing = new Map(
    configured.filter((p) => builtins.some((b) => b.name === p.name)).map((p) => [p.name, p]),
  );
  const all = [
    ...builtins.map((b) => replacing.get(b.name) ?? b),
    ...configured.filter((p) => !replacing.has(p.name)),
  ];
  return [
    ...all.filter((p) => p.enforce === 'pre'),
    ...all.filter((p) => !p.enforce),
    ...all.filter((p) => p.enforce === 'post'),
  ];
}

/**
 * Applies plugins in order, each through hooks bound to its name and with a logger of its own; two
 * plugins with the same name are a configuration error.
 */
export function applyPlugins(
  hooks: SkepHooks,
  plugins: SkepPlugin[],
  logger: Logger = silentLogger,
  operator: { routes: PluginRoutes; registry: Registry } = {
    routes: new PluginRoutes(),
    registry: new Registry(),
  },
): void {
  const seen = new Set<string>();
  for (const plugin of plugins) {
    if (seen.has(plugin.name)) throw new ConfigError(`two plugins are named "${plugin.name}"`);
    seen.add(plugin.name);
    try {
      plugin.apply(pluginHooks(hooks, plugin.name), {
        logger: pluginLogger(logger, plugin.name),
        operator: operator.routes.for(plugin.name, operator.registry),
      });
    } catch (err) {
      throw new ConfigError(`plugin "${plugin.name}" failed to apply: ${(err as Error).message}`);
    }
  }
}
