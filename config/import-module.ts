import { statSync } from 'node:fs';
import { homedir } from 'node:os';
import { extname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isPrivateDir } from './private-dir.js';

/**
 * What `import ... from 'skep'` means in a config or plugin anywhere on disk: this
 * installation's own API.
 */
const SELF = {
  'skep/plugins': fileURLToPath(new URL('../plugins/index.js', import.meta.url)),
  skep: fileURLToPath(new URL('./index.js', import.meta.url)),
};

let loader: import('jiti').Jiti | undefined;

/**
 * The user's own cache folder for transpiled TypeScript (`$XDG_CACHE_HOME/skep` or
 * `~/.cache/skep`), used only when it is a real folder of this user's that nobody else can write:
 * a cache elsewhere (a shared one under the system temp folder) could be planted by another local
 * user. Without it, nothing is cached. A cache hit spares loading the transpiler, about 30 MiB of
 * the manager's memory for as long as it runs.
 */
export function privateCacheDir(): string | undefined {
  const dir = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'skep');
  return isPrivateDir(dir) ? dir : undefined;
}

/**
 * jiti, a maintained loader, transpiles TypeScript in memory: nothing is written next to the
 * file (a read-only config folder works). Loaded on first use: most start-ups have no
 * TypeScript to load.
 */
async function typescriptLoader(): Promise<import('jiti').Jiti> {
  const { createJiti } = await import('jiti');
  return (loader ??= createJiti(import.meta.url, {
    fsCache: privateCacheDir() ?? false,
    moduleCache: false,
    interopDefault: false,
    alias: SELF,
  }));
}

/**
 * Imports a module: JavaScript natively, TypeScript through the loader, `skep` resolving to this
 * installation.
 */
export async function importModule(file: string): Promise<Record<string, unknown>> {
  // keyed by the file's time: a config edited since (a SIGHUP reload) is read again,
  // an unchanged one is not
  if (!['.ts', '.mts', '.cts'].includes(extname(file)))
    return (await import(`${pathToFileURL(file).href}?mtime=${statSync(file).mtimeMs}`)) as Record<
      string,
      unknown
    >;
  return (await (await typescriptLoader()).import(file)) as Record<string, unknown>;
}
