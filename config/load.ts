import { cosmiconfig } from 'cosmiconfig';
import { ConfigError } from './errors.js';
import { importModule } from './import-module.js';
import { resolveConfig } from './resolve.js';
import type { ResolvedConfig, SwarmConfig } from './types.js';
import { validateConfig } from './validate.js';

const explorer = () =>
  cosmiconfig('swarm', {
    searchPlaces: [
      'package.json',
      '.swarmrc',
      '.swarmrc.json',
      '.swarmrc.yaml',
      '.swarmrc.yml',
      '.swarmrc.js',
      '.swarmrc.ts',
      '.swarmrc.mjs',
      '.swarmrc.cjs',
      'swarm.config.js',
      'swarm.config.ts',
      'swarm.config.mjs',
      'swarm.config.cjs',
    ],
    // one TypeScript loader for config files and plugins, with its transpile cache
    loaders: { '.ts': (filepath) => importModule(filepath) },
  });

/** Finds and validates the operator's config file (searched from `cwd`, or read from `file`). */
export async function loadConfigFile(options: { cwd?: string; file?: string } = {}): Promise<{ config: SwarmConfig; filepath?: string }> {
  let result;
  try {
    result = options.file ? await explorer().load(options.file) : await explorer().search(options.cwd ?? process.cwd());
  } catch (err) {
    const where = options.file ?? 'the config file';
    throw new ConfigError(`${where}: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!result || result.isEmpty) return { config: {} };
  const value = (result.config as { default?: unknown })?.default ?? result.config;
  return { config: validateConfig(value, result.filepath), filepath: result.filepath };
}

/** The whole configuration: defaults, then the config file, then the command-line overrides. */
export async function loadConfig(flags: SwarmConfig = {}, options: { cwd?: string; file?: string } = {}): Promise<ResolvedConfig> {
  const { config, filepath } = await loadConfigFile(options);
  return resolveConfig(config, validateConfig(flags, 'command line'), filepath);
}
