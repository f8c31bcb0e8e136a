import type { Cluster } from '../cluster/cluster.js';
import type { Engine } from '../cluster/engine.js';
import { nodeView } from '../cluster/node-view.js';
import { badRequest, DockerError } from '../errors.js';
import { labelsMatch } from './filters.js';
import { withNode } from './row-node.js';

/** A network or volume as an engine lists it. */
export type Resource = Record<string, unknown>;

export interface Located {
  engine: Engine;
  item: Resource;
}

const str = (value: unknown) => (typeof value === 'string' ? value : '');
export const isLocal = (item: Resource) => str(item.Scope ?? 'local') === 'local';

/**
 * What a list shows: a local-scope network or volume as `node/name`,
 * so equal names on two nodes stay apart.
 */
export function listedName(engine: Engine, item: Resource): string {
  return isLocal(item) ? `${engine.name}/${str(item.Name)}` : str(item.Name);
}

/**
 * Every node's resources that `keep` keeps, healthy nodes first; list rows remember their node
 * (plugins read it with `nodeOf`). Named as classic listed them, or as their engines do
 * (`engineNames`, see client-view.ts).
 */
export function listRows(
  engines: Engine[],
  pick: (e: Engine) => Resource[],
  keep: (item: Resource, engine: Engine) => boolean = () => true,
  engineNames = false,
): Resource[] {
  return engines.flatMap((engine) => {
    const node = nodeView(engine);
    return pick(engine)
      .filter((item) => keep(item, engine))
      .map((item) =>
        withNode({ ...item, Name: engineNames ? str(item.Name) : listedName(engine, item) }, node),
      );
  });
}

/**
 * A network or volume a client named: full ID, `node/name`, a name that only one node has
 * (or a global one), or a unique ID prefix. Docker's 404 (`missing`) when none; a 400 that names
 * the nodes when the name is on several, unless `firstOfSameName` (volumes: classic made one
 * name on every node, and took the first).
 */
export function resolveResource(
  engines: Engine[],
  pick: (e: Engine) => Resource[],
  idKey: string,
  ref: string,
  missing: string,
  firstOfSameName = false,
): Located {
  const all = engines.flatMap((engine) => pick(engine).map((item) => ({ engine, item })));
  const byId = all.find((r) => str(r.item[idKey]) === ref);
  if (byId) return byId;
  const byNodeName = all.find((r) => `${r.engine.name}/${str(r.item.Name)}` === ref);
  if (byNodeName) return byNodeName;
  const byName = all.filter((r) => str(r.item.Name) === ref);
  // a global-scope resource is the same one on every node
  if (
    byName.length === 1 ||
    (byName.length > 1 && (firstOfSameName || byName.every((r) => !isLocal(r.item))))
  )
    return byName[0]!;
  if (byName.length > 1) {
    throw badRequest(
      `${ref} is ambiguous: it exists on nodes ${byName.map((r) => r.engine.name).join(', ')}; ` +
        `use node/${ref} or the ID`,
    );
  }
  const byPrefix =
    idKey === 'Id' && ref.length > 0 ? all.filter((r) => str(r.item.Id).startsWith(ref)) : [];
  if (byPrefix.length === 1) return byPrefix[0]!;
  throw new DockerError(404, missing);
}

/**
 * A lookup that, when it misses, reads the resources again and looks once more
 * (read your own writes).
 */
export async function findFresh(
  lookup: () => Located,
  reread: () => Promise<unknown>,
): Promise<Located> {
  try {
    return lookup();
  } catch (err) {
    if (!(err instanceof DockerError) || err.status !== 404) throw err;
    await reread();
    return lookup();
  }
}

const BUILTIN_NETWORKS = new Set(['bridge', 'host', 'none', 'ingress']);
/** The engine's own refusals of a bad `dangling` value, for networks and for volumes. */
const dangling = (v: string, idKey: string) => {
  if (!['true', 'false', '1', '0'].includes(v)) {
    throw badRequest(
      idKey === 'Id'
        ? `invalid value for filter 'dangling', must be "true" (or "1"), or "false" (or "0")`
        : `Invalid filter 'dangling=[${v}]'`,
    );
  }
  return v === 'true' || v === '1';
};

/**
 * Docker's list filters on networks and volumes, answered from the cache, plus `node` (classic's).
 * `dangling`: a network or volume no container on its node uses (built-in networks never are).
 */
export function keepResource(
  item: Resource,
  filters: Map<string, string[]>,
  idKey: string,
  engine: Engine,
): boolean {
  for (const [key, values] of filters) {
    const ok =
      key === 'label'
        ? labelsMatch(item.Labels as Record<string, string> | null | undefined, values)
        : values.some((v) => {
            switch (key) {
              case 'name':
                return str(item.Name).includes(v) || listedName(engine, item).includes(v);
              case 'id':
                return str(item[idKey]).startsWith(v);
              case 'driver':
                return str(item.Driver) === v;
              case 'scope':
                return str(item.Scope) === v;
              case 'type':
                return BUILTIN_NETWORKS.has(str(item.Name)) === (v === 'builtin');
              case 'node':
                return engine.name === v || engine.id === v || engine.addr === v;
              case 'dangling':
                return (
                  dangling(v, idKey) ===
                  !(idKey === 'Id'
                    ? BUILTIN_NETWORKS.has(str(item.Name)) || networkUsed(item, engine)
                    : volumeUsed(item, engine))
                );
              default:
                return true;
            }
          });
    if (!ok) return false;
  }
  return true;
}

function networkUsed(item: Resource, engine: Engine): boolean {
  for (const { summary } of engine.containers.values()) {
    for (const n of Object.values(summary.NetworkSettings?.Networks ?? {}))
      if ((n as { NetworkID?: string }).NetworkID === item.Id) return true;
  }
  return false;
}

function volumeUsed(item: Resource, engine: Engine): boolean {
  for (const { summary } of engine.containers.values())
    if ((summary.Mounts ?? []).some((m) => m.Name === item.Name)) return true;
  return false;
}

const PROJECT_LABEL = 'com.docker.compose.project';

/**
 * `node/name`: the healthy node named, and the name on it; undefined for a plain name
 * (placement picks the node).
 */
export function pinnedNode(
  cluster: Cluster,
  name: string,
): { engine: Engine; name: string } | undefined {
  const slash = name.indexOf('/');
  if (slash <= 0) return undefined;
  const engine = cluster.healthy().find((e) => e.name === name.slice(0, slash));
  if (!engine) throw new DockerError(404, `No healthy node named ${name.slice(0, slash)}`);
  return { engine, name: name.slice(slash + 1) };
}

/**
 * Of the nodes placement ranked for a new network or volume, the first that already holds
 * something of the same compose project, so a project's network, volumes and containers
 * meet on one node; else the best ranked.
 */
export function projectFirst(
  labels: Record<string, string> | undefined,
): (ranked: Engine[]) => Engine[] {
  const project = labels?.[PROJECT_LABEL];
  const holdsProject = (engine: Engine) =>
    [...engine.networks, ...engine.volumes].some(
      (r) => (r.Labels as Record<string, string> | null)?.[PROJECT_LABEL] === project,
    ) ||
    [...engine.containers.values()].some(
      (c) => c.inspect.Config?.Labels?.[PROJECT_LABEL] === project,
    );
  return (ranked) => [(project && ranked.find(holdsProject)) || ranked[0]!];
}
