import type { Cluster } from '../cluster/cluster.js';
import type { ContainerSummary } from '../cluster/docker-types.js';
import type { SkepHooks } from '../hooks.js';
import { compareText } from './format.js';
import { listedRow, viewsForOneRequest } from './container-rows.js';
import type { CachedContainer } from '../cluster/container-cache.js';
import type { Engine } from '../cluster/engine.js';
import { badRequest } from '../errors.js';
import { labelsMatch, parseFilters } from './filters.js';
import { truthy } from '../query-flag.js';

/** Every filter the Engine API documents for the container list, plus classic's `node`. */
export const CONTAINER_FILTERS = [
  'id',
  'name',
  'label',
  'status',
  'exited',
  'ancestor',
  'before',
  'since',
  'health',
  'network',
  'volume',
  'publish',
  'expose',
  'is-task',
  'node',
] as const;
const STATUSES = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'];
const HEALTH = ['starting', 'healthy', 'unhealthy', 'none'];

const regExpOrNone = (pattern: string) => {
  try {
    return new RegExp(pattern);
  } catch {
    return undefined;
  }
};

export interface ListQuery {
  all?: string;
  limit?: string;
  before?: string;
  since?: string;
  filters?: string;
}

interface Row {
  engine: Engine;
  cached: CachedContainer;
  name: string;
}

function imageMatches(row: Row, wanted: string): boolean {
  const image = row.cached.summary.Image;
  const imageId = row.cached.summary.ImageID.replace(/^sha256:/, '');
  const bare = wanted.replace(/^sha256:/, '');
  const withTag = wanted.includes(':') ? wanted : `${wanted}:latest`;
  return (
    image === wanted ||
    image === withTag ||
    (bare.length >= 4 && imageId.startsWith(bare)) ||
    image.split(':')[0] === wanted
  );
}

function portMatches(
  ports: ContainerSummary['Ports'],
  wanted: string,
  side: 'PublicPort' | 'PrivatePort',
): boolean {
  const [port, proto] = wanted.split('/');
  return (ports ?? []).some((p) => String(p[side]) === port && (!proto || p.Type === proto));
}

/**
 * One filter key against one row: any of its values may match (Docker's OR within a key),
 * labels all.
 */
function matches(key: string, values: string[], row: Row): boolean {
  const { summary, inspect } = row.cached;
  const state = inspect.State.Status ?? summary.State;
  if (key === 'label') return labelsMatch(summary.Labels, values);
  return values.some((v) => {
    switch (key) {
      case 'id':
        return summary.Id.startsWith(v);
      case 'name': {
        // as Docker 20.10: the name with and without its slash; and the node-prefixed forms
        // (a pattern that is no regular expression matches nothing there, without an error)
        const pattern = regExpOrNone(v);
        return (
          !!pattern &&
          [
            row.name,
            `/${row.name}`,
            `${row.engine.name}/${row.name}`,
            `/${row.engine.name}/${row.name}`,
          ].some((n) => pattern.test(n))
        );
      }
      case 'status':
        return state === v;
      case 'exited':
        return state === 'exited' && String(inspect.State.ExitCode) === v;
      case 'ancestor':
        return imageMatches(row, v);
      case 'health':
        return (inspect.State.Health?.Status ?? 'none') === v;
      case 'network':
        return Object.keys(summary.NetworkSettings?.Networks ?? {}).includes(v);
      case 'volume':
        return (summary.Mounts ?? []).some(
          (m) => m.Name === v || m.Destination === v || m.Source === v,
        );
      case 'publish':
        return portMatches(summary.Ports, v, 'PublicPort');
      case 'expose':
        return portMatches(summary.Ports, v, 'PrivatePort');
      // classic's rule: a task is a container with the label com.docker.swarm.task
      case 'is-task': {
        if (v !== 'true' && v !== 'false') throw badRequest(`Invalid filter 'is-task=[${v}]'`);
        return (v === 'true') === (summary.Labels?.['com.docker.swarm.task'] !== undefined);
      }
      case 'node':
        return row.engine.name === v || row.engine.id === v || row.engine.addr === v;
      default:
        return true;
    }
  });
}

/** Every cached container, newest first; kept between requests until a node's containers change. */
let sorted: { cluster: Cluster; revision: number; rows: Row[] } | undefined;

function newestFirst(cluster: Cluster): Row[] {
  if (sorted?.cluster === cluster && sorted.revision === cluster.containersRevision)
    return sorted.rows;
  const rows: Row[] = [];
  for (const engine of cluster.all()) {
    for (const cached of engine.containers.values())
      rows.push({ engine, cached, name: cached.inspect.Name.replace(/^\//, '') });
  }
  // Newest first, by inspect's nanosecond timestamp: the list's whole seconds tie for quick
  // successive creates.
  const created = (row: Row) => String(row.cached.inspect.Created ?? '');
  rows.sort(
    (a, b) =>
      b.cached.summary.Created - a.cached.summary.Created || compareText(created(b), created(a)),
  );
  sorted = { cluster, revision: cluster.containersRevision, rows };
  return rows;
}

/**
 * The container list merged across nodes from the cache, filtered, sorted newest first,
 * as an engine answers.
 */
export function listContainers(
  cluster: Cluster,
  hooks: SkepHooks,
  query: ListQuery,
): Record<string, unknown>[] {
  const filters = parseFilters(query.filters, CONTAINER_FILTERS);
  for (const status of filters.get('status') ?? []) {
    if (!STATUSES.includes(status)) throw badRequest(`Invalid filter 'status=${status}'`);
  }
  // the engine's own refusals of bad values
  for (const health of filters.get('health') ?? []) {
    if (!HEALTH.includes(health))
      throw badRequest(`Unrecognised filter value for health: ${health}`);
  }
  for (const code of filters.get('exited') ?? []) {
    if (!/^[+-]?\d+$/.test(code))
      throw badRequest(`strconv.Atoi: parsing ${JSON.stringify(code)}: invalid syntax`);
  }
  if (query.limit !== undefined && !/^-?\d+$/.test(query.limit))
    throw badRequest(`invalid limit: ${query.limit}`);

  // before/since bound the list by a container's position in creation order
  const bound = (ref: string | undefined) =>
    ref ? cluster.findContainer(ref).container.summary.Created : undefined;
  const before = bound(filters.get('before')?.[0] ?? query.before);
  const since = bound(filters.get('since')?.[0] ?? query.since);
  const limit = query.limit === undefined ? -1 : Number(query.limit);
  const showAll =
    truthy(query.all) ||
    limit > 0 ||
    filters.has('status') ||
    filters.has('exited') ||
    before !== undefined ||
    since !== undefined;

  let rows = newestFirst(cluster).filter((row) => {
    const state = row.cached.inspect.State;
    // a node that is down runs nothing we can vouch for: its containers show only with -a,
    // as classic swarm did
    if (
      !showAll &&
      (!(state.Running || state.Paused || state.Restarting) || row.engine.health !== 'healthy')
    )
      return false;
    if (before !== undefined && row.cached.summary.Created >= before) return false;
    if (since !== undefined && row.cached.summary.Created <= since) return false;
    for (const [key, values] of filters) {
      if (key !== 'before' && key !== 'since' && !matches(key, values, row)) return false;
    }
    return true;
  });
  if (limit > 0) rows = rows.slice(0, limit);

  const now = Date.now();
  const viewOf = viewsForOneRequest();
  return rows.map(({ engine, cached }) => listedRow(engine, cached, hooks, viewOf, now));
}
