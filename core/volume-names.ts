/** What a container's config or inspect says of its mounts, for the named volumes among them. */
interface MountConfig {
  HostConfig?:
    | { Binds?: string[] | null; Mounts?: { Type?: string; Source?: string }[] | null }
    | Record<string, unknown>
    | null;
  Mounts?: { Type?: string; Name?: string }[] | null;
}

/**
 * The named volumes a container mounts: `-v NAME:/path` (a bind's source that is not a path),
 * `--mount type=volume,source=NAME`, and, from an inspect, its volume mounts. Anonymous volumes
 * have no name to follow.
 */
export function namedVolumes(config: MountConfig): string[] {
  const host = (config.HostConfig ?? {}) as {
    Binds?: string[] | null;
    Mounts?: { Type?: string; Source?: string }[] | null;
  };
  const names = new Set<string>();
  for (const bind of host.Binds ?? []) {
    const source = bind.split(':')[0] ?? '';
    if (source && !source.startsWith('/') && !source.startsWith('.')) names.add(source);
  }
  for (const m of host.Mounts ?? []) if (m?.Type === 'volume' && m.Source) names.add(m.Source);
  for (const m of config.Mounts ?? [])
    if (m?.Type === 'volume' && m.Name && !/^[0-9a-f]{64}$/.test(m.Name)) names.add(m.Name);
  return [...names];
}
