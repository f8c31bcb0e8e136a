import { below, engineVersion, type EngineApi } from './api-version.js';
import { badRequest, DockerError } from '../errors.js';
import type { ContainerConfig } from '../pipeline-types.js';

/**
 * A request keeps the meaning it has at the client's API version when an engine reads it at
 * another: lowered to an older engine's newest, or raised to a newer engine's oldest
 * (Docker 29.0-29.2 refuse below 1.44). Where the version history changed a meaning
 * (moby's api/server/router, `versions.LessThan`), the request is translated; what an older
 * engine cannot do is refused in dockerd's own words. The rest means the same.
 */

/**
 * The versions a request is read at:
 * the client's (the cluster's when it named none), and the engine's.
 */
export function readAt(
  clientVersion: string | undefined,
  clusterVersion: string,
  engine: EngineApi | undefined,
) {
  const client = clientVersion ?? clusterVersion;
  return { client, sent: engineVersion(client, engine) };
}

/**
 * `stop`/`restart` with `signal` (1.42): ignored before;
 * an engine that predates it cannot honour it.
 */
export function stopQuery(search: string, client: string, sent: string, node: string): string {
  const query = new URLSearchParams(search);
  if (!query.has('signal')) return search;
  if (below(client, '1.42')) {
    query.delete('signal');
    return query.toString();
  }
  if (below(sent, '1.42'))
    throw new DockerError(
      400,
      `signal needs API v1.42 or newer (node ${node}'s engine speaks API ${sent})`,
    );
  return search;
}

/**
 * `volume prune` (1.42): before, it removed named volumes too; since, only anonymous ones unless
 * `all=true`. Raised: the old meaning is asked for. Lowered: `all` is what the older engine does
 * anyway; without it the older engine must not be asked at all (it would remove named volumes):
 * `anonymousOnly` says so.
 */
/**
 * The prune's filters as the engine reads them; text that is not a JSON object is the client's
 * mistake, answered 400 in the words the other filters get (core/api/filters.ts), not a 500.
 */
function pruneFilters(raw: string | null): Record<string, string[] | Record<string, boolean>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw || '{}');
  } catch (err) {
    throw badRequest(`invalid filter: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw badRequest('invalid filter: expected a JSON object');
  return parsed as Record<string, string[] | Record<string, boolean>>;
}

export function volumePruneQuery(
  search: string,
  client: string,
  sent: string,
): { search: string; anonymousOnly: boolean } {
  const query = new URLSearchParams(search);
  const filters = pruneFilters(query.get('filters'));
  const all = filters.all;
  const wantsAll = Array.isArray(all)
    ? all.some((v) => v === 'true' || v === '1')
    : Boolean(all && (all.true || all['1']));
  if (below(client, '1.42') && !below(sent, '1.42')) {
    query.set('filters', JSON.stringify({ ...filters, all: ['true'] }));
    return { search: query.toString(), anonymousOnly: false };
  }
  if (!below(client, '1.42') && below(sent, '1.42')) {
    const { all: _all, ...rest } = filters;
    if (Object.keys(rest).length > 0) query.set('filters', JSON.stringify(rest));
    else query.delete('filters');
    return { search: query.toString(), anonymousOnly: !wantsAll };
  }
  return { search, anonymousOnly: false };
}

type Mount = {
  Type?: string;
  VolumeOptions?: { Subpath?: string } | null;
  BindOptions?: Record<string, unknown> | null;
  TmpfsOptions?: unknown;
};

const mountsOf = (config: ContainerConfig) =>
  ((config.HostConfig?.Mounts as Mount[] | null | undefined) ?? []).filter(
    (m) => m && typeof m === 'object',
  );

/**
 * The API version a container's create needs of the engine that makes it,
 * and dockerd's words when it is older.
 */
export function neededApi(config: ContainerConfig): { version: string; words: string } | undefined {
  const mounts = mountsOf(config);
  if (mounts.some((m) => String(m.Type).toLowerCase() === 'image'))
    return { version: '1.48', words: 'Mount type "Image" needs API v1.48 or newer' };
  if (mounts.some((m) => m.VolumeOptions?.Subpath))
    return { version: '1.45', words: 'VolumeOptions.Subpath needs API v1.45 or newer' };
  return undefined;
}

type Endpoints = Record<string, unknown>;

/**
 * A create body for one engine, with the meaning it has at the client's version. Several networks
 * at create (1.44) on an older engine: it is created on the first and connected to the others
 * after (`connect`), as the docker CLI did before 1.44.
 */
export function createFor(
  config: ContainerConfig,
  client: string,
  sent: string,
): { body: ContainerConfig; connect: [string, unknown][] } {
  const need = neededApi(config);
  if (need && (below(sent, need.version) || below(client, need.version)))
    throw new DockerError(400, need.words);
  const body = structuredClone(config);
  const host = (body.HostConfig ??= {});
  const raised = (gate: string) => below(client, gate) && !below(sent, gate);
  if (raised('1.42')) {
    // ignored before 1.42: options a mount of another type carries, a mount point made on demand,
    // the console size
    for (const m of mountsOf(body)) {
      if (m.Type !== 'volume') delete m.VolumeOptions;
      if (m.Type !== 'tmpfs') delete m.TmpfsOptions;
      if (m.Type !== 'bind') delete m.BindOptions;
      else if (m.BindOptions) delete m.BindOptions.CreateMountpoint;
    }
    delete host.ConsoleSize;
  }
  if (raised('1.43')) delete host.Annotations;
  if (raised('1.44')) {
    const check = body.Healthcheck as { StartInterval?: number } | undefined;
    if (check) delete check.StartInterval;
  }
  const networking = body.NetworkingConfig as { EndpointsConfig?: Endpoints | null } | undefined;
  const endpoints = Object.entries(networking?.EndpointsConfig ?? {});
  if (endpoints.length > 1 && below(sent, '1.44') && !below(client, '1.44')) {
    const mode =
      typeof host.NetworkMode === 'string' && host.NetworkMode !== 'default'
        ? host.NetworkMode
        : endpoints[0]![0];
    const first = endpoints.find(([name]) => name === mode) ?? endpoints[0]!;
    networking!.EndpointsConfig = { [first[0]]: first[1] };
    return { body, connect: endpoints.filter((e) => e !== first) };
  }
  return { body, connect: [] };
}
