/** Docker API versions ("1.41") compared, clamped and put into engine paths. */

/** The newest API version Skep itself speaks to clients; the cluster advertises no more than its engines. */
export const SKEP_MAX_API_VERSION = '1.47';
/** Used when no engine has answered yet. */
export const FALLBACK_API_VERSION = '1.41';
export const FALLBACK_MIN_API_VERSION = '1.24';

export function compareVersions(a: string, b: string): number {
  const [aMajor = 0, aMinor = 0] = a.split('.').map(Number);
  const [bMajor = 0, bMinor = 0] = b.split('.').map(Number);
  return aMajor - bMajor || aMinor - bMinor;
}

export const minVersion = (a: string, b: string) => (compareVersions(a, b) <= 0 ? a : b);
export const maxVersion = (a: string, b: string) => (compareVersions(a, b) >= 0 ? a : b);

/**
 * The path to send to one engine: the client's version clamped to what that engine speaks, so an engine
 * never refuses a version the cluster advertised. Unversioned requests stay unversioned (the engine's newest).
 */
export function versionedPath(path: string, requested: string | undefined, engineMax: string | undefined): string {
  const bare = path.replace(/^\//, '');
  if (!requested) return bare;
  const version = engineMax ? minVersion(requested, engineMax) : requested;
  return `v${version}/${bare}`;
}

/**
 * The API range a cluster can promise: the newest version every engine speaks (never above Skep's own),
 * and the oldest every engine still accepts. With no engine answering, a conservative default.
 */
export function clusterApiRange(engines: { ApiVersion: string; MinAPIVersion?: string }[]): { max: string; min: string } {
  if (engines.length === 0) return { max: minVersion(FALLBACK_API_VERSION, SKEP_MAX_API_VERSION), min: FALLBACK_MIN_API_VERSION };
  return {
    max: engines.reduce((acc, v) => minVersion(acc, v.ApiVersion), SKEP_MAX_API_VERSION),
    min: engines.reduce((acc, v) => maxVersion(acc, v.MinAPIVersion ?? FALLBACK_MIN_API_VERSION), FALLBACK_MIN_API_VERSION),
  };
}
