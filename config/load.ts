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
    // from the current folder upwards (to the home folder, then the user's config folder),
    // as cosmiconfig searches
    searchStrategy: 'global',
    // one loader for JavaScript and TypeScript config files and plugins; a failure names the file
    loaders: Object.fromEntries(['.ts', '.js', '.mjs', '.cjs'].map((ext) => [ext, loadNamingFile])),
  });

/**
 * A config file that could not be loaded, with its path (cosmiconfig's search does not say
 * which it was).
 */
class FileLoadError extends Error {
  constructor(
    readonly filepath: string,
    cause: unknown,
  ) {
    super((cause as Error).message ?? String(cause));
  }
}

async function loadNamingFile(filepath: string): Promise<unknown> {
  try {
    return await importModule(filepath);
  } catch (err) {
    throw new FileLoadError(filepath, err);
  }
}

/** Finds and validates the operator's config file (searched from `cwd`, or read from `file`). */
export async function loadConfigFile(
  options: { cwd?: string; file?: string } = {},
): Promise<{ config: SwarmConfig; filepath?: string }> {
  let result;
  try {
    result = options.file
      ? await explorer().load(options.file)
      : await explorer().search(options.cwd ?? process.cwd());
  } catch (err) {
    const where = err instanceof FileLoadError ? err.filepath : (options.file ?? 'the config file');
    throw new ConfigError(`${where}: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!result || result.isEmpty) return { config: {} };
  const value = (result.config as { default?: unknown })?.default ?? result.config;
  return { config: validateConfig(value, result.filepath), filepath: result.filepath };
}

/** The whole configuration: defaults, then the config file, then the command-line overrides. */
export async function loadConfig(
  flags: SwarmConfig = {},
  options: { cwd?: string; file?: string } = {},
): Promise<ResolvedConfig> {
  const { config, filepath } = await loadConfigFile(options);
  return resolveConfig(config, validateConfig(flags, 'command line'), filepath);
}
