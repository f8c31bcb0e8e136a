/** Docker API versions ("1.41") compared, clamped and put into engine paths. */

/**
 * The newest API version Skep itself speaks to clients;
 * the cluster advertises no more than its engines.
 */
export const SKEP_MAX_API_VERSION = '1.51';
/**
 * The oldest version Skep takes from clients, dockerd 28's own minimum. A request at a version
 * an engine no longer accepts is sent at the oldest it does (`engineVersion`), translated where
 * the meaning changed.
 */
export const SKEP_MIN_API_VERSION = '1.24';
/** Used when no engine has answered yet. */
export const FALLBACK_API_VERSION = '1.41';
export const FALLBACK_MIN_API_VERSION = '1.24';

/** The versions one engine speaks, from its `/version`. */
export interface EngineApi {
  ApiVersion: string;
  MinAPIVersion?: string;
}

export function compareVersions(a: string, b: string): number {
  const [aMajor = 0, aMinor = 0] = a.split('.').map(Number);
  const [bMajor = 0, bMinor = 0] = b.split('.').map(Number);
  return aMajor - bMajor || aMinor - bMinor;
}

export const minVersion = (a: string, b: string) => (compareVersions(a, b) <= 0 ? a : b);
export const maxVersion = (a: string, b: string) => (compareVersions(a, b) >= 0 ? a : b);
export const below = (a: string | undefined, b: string) =>
  a !== undefined && compareVersions(a, b) < 0;

/**
 * The version a request made at `requested` goes to one engine at: lowered to the newest it speaks,
 * raised to the oldest it accepts (Docker 29.0-29.2 refuse anything below 1.44), so an engine never
 * refuses a version the cluster took. Where a raised request would mean something else, its route
 * translates it (version-shims.ts).
 */
export function engineVersion(requested: string, engine: EngineApi | undefined): string {
  if (!engine) return requested;
  return maxVersion(
    minVersion(requested, engine.ApiVersion),
    engine.MinAPIVersion ?? FALLBACK_MIN_API_VERSION,
  );
}

/**
 * The path to send to one engine (see `engineVersion`).
 * Unversioned requests stay unversioned (the engine's newest).
 */
export function versionedPath(
  path: string,
  requested: string | undefined,
  engine: EngineApi | undefined,
): string {
  const bare = path.replace(/^\//, '');
  return requested ? `v${engineVersion(requested, engine)}/${bare}` : bare;
}

/**
 * The API range of the cluster: the newest version every engine speaks (never above Skep's own),
 * and the oldest every engine still accepts (what `/version` reports; Skep itself accepts older
 * and translates). With no engine answering, a conservative default.
 */
export function clusterApiRange(engines: EngineApi[]): { max: string; min: string } {
  if (engines.length === 0)
    return {
      max: minVersion(FALLBACK_API_VERSION, SKEP_MAX_API_VERSION),
      min: FALLBACK_MIN_API_VERSION,
    };
  return {
    max: engines.reduce((acc, v) => minVersion(acc, v.ApiVersion), SKEP_MAX_API_VERSION),
    min: engines.reduce(
      (acc, v) => maxVersion(acc, v.MinAPIVersion ?? FALLBACK_MIN_API_VERSION),
      FALLBACK_MIN_API_VERSION,
    ),
  };
}
