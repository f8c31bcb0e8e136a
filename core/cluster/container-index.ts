import { badRequest, notFound } from '../errors.js';
import type { CachedContainer } from './container-cache.js';
import type { Engine } from './engine.js';

export interface Located {
  engine: Engine;
  container: CachedContainer;
}

const bareName = (c: CachedContainer) => c.inspect.Name.replace(/^\//, '');
/** The `com.docker.swarm.id` label classic swarm gives every container it creates. */
const swarmIdOf = (c: CachedContainer) =>
  (c.inspect.Config as { Labels?: Record<string, string> | null } | undefined)?.Labels?.[
    'com.docker.swarm.id'
  ];

/**
 * Every cached container of the cluster by ID and by name, kept in step with each node's cache,
 * so a lookup costs O(1) rather than a walk over 30,000 containers (an ID prefix still walks the
 * IDs, as an engine does).
 */
export class ContainerIndex {
  private readonly owners = new Map<string, Engine>();
  /** Names are unique per node, not across nodes: a name may be held on several. */
  private readonly byName = new Map<string, Holders>();
  /**
   * A swarm ID is held twice only while a rescheduled container's stale copy is still on its
   * returned node.
   */
  private readonly bySwarmId = new Map<string, Holders>();
  /**
   * Counts changes to any node's containers: what was worked out from them before is out of date.
   */
  revision = 0;

  change(
    engine: Engine,
    before: CachedContainer | undefined,
    after: CachedContainer | undefined,
  ): void {
    this.revision++;
    if (before && (!after || bareName(before) !== bareName(after)))
      unlink(this.byName, bareName(before), before.summary.Id);
    const swarmId = before && swarmIdOf(before);
    if (swarmId && (!after || swarmIdOf(after) !== swarmId))
      unlink(this.bySwarmId, swarmId, before.summary.Id);
    if (!after) {
      if (before && this.owners.get(before.summary.Id) === engine)
        this.owners.delete(before.summary.Id);
      return;
    }
    this.owners.set(after.summary.Id, engine);
    link(this.byName, bareName(after), after.summary.Id);
    const newSwarmId = swarmIdOf(after);
    if (newSwarmId) link(this.bySwarmId, newSwarmId, after.summary.Id);
  }

  /** The containers that carry a swarm ID, on any node. */
  withSwarmId(swarmId: string): Located[] {
    return ids(this.bySwarmId.get(swarmId)).flatMap((id) => this.located(id) ?? []);
  }

  /** Drops a node's containers (the node left the cluster). */
  forget(engine: Engine): void {
    this.revision++;
    for (const cached of engine.containers.values()) this.change(engine, cached, undefined);
  }

  private located(id: string): Located | undefined {
    const engine = this.owners.get(id);
    const container = engine?.containers.get(id);
    return engine && container ? { engine, container } : undefined;
  }

  /** The containers that hold a name (without its slash), on any node. */
  named(name: string): Located[] {
    return ids(this.byName.get(name)).flatMap((id) => this.located(id) ?? []);
  }

  /**
   * Resolves what a client typed, in Docker's order: full ID, then exact name (`name`, `/name`,
   * `node/name` or `/node/name`), then a unique ID prefix. Throws Docker's errors.
   */
  find(ref: string): Located {
    const wanted = ref.replace(/^\//, '');
    const byId = this.located(wanted);
    if (byId) return byId;
    // classic swarm's own ID for a container, kept across rescheduling
    // (the healthy copy when two exist)
    const bySwarmId = this.withSwarmId(wanted).sort(
      (a, b) => Number(b.engine.health === 'healthy') - Number(a.engine.health === 'healthy'),
    );
    if (bySwarmId[0]) return bySwarmId[0];

    const slash = wanted.indexOf('/');
    const byName =
      slash < 0
        ? this.named(wanted)
        : this.named(wanted.slice(slash + 1)).filter(
            (l) => l.engine.name === wanted.slice(0, slash),
          );
    if (byName.length === 1) return byName[0]!;
    if (byName.length > 1) {
      throw badRequest(
        `container name "${wanted}" is ambiguous: ` +
          `it exists on nodes ${byName.map((l) => l.engine.name).join(', ')}; use node/name or the ID`,
      );
    }

    if (/^[0-9a-f]+$/i.test(wanted)) {
      const prefix = wanted.toLowerCase();
      let found: string | undefined;
      for (const id of this.owners.keys()) {
        if (!id.startsWith(prefix)) continue;
        if (found) throw badRequest(`multiple IDs found with provided prefix: ${wanted}`);
        found = id;
      }
      const located = found ? this.located(found) : undefined;
      if (located) return located;
    }
    throw notFound(`No such container: ${ref}`);
  }
}

/**
 * The IDs that hold a name or swarm ID: almost always one, kept as the ID itself (a Set for each of 150,000
 * containers cost ~20 MB and a tenth of the inventory's index upkeep); a Set only while several do.
 */
type Holders = string | Set<string>;

const ids = (holders: Holders | undefined): string[] =>
  holders === undefined ? [] : typeof holders === 'string' ? [holders] : [...holders];

function link(map: Map<string, Holders>, key: string, id: string): void {
  const holders = map.get(key);
  if (holders === undefined || holders === id) map.set(key, id);
  else if (typeof holders === 'string') map.set(key, new Set([holders, id]));
  else holders.add(id);
}

function unlink(map: Map<string, Holders>, key: string, id: string): void {
  const holders = map.get(key);
  if (holders === id) map.delete(key);
  else if (typeof holders === 'object') {
    holders.delete(id);
    if (holders.size === 1) map.set(key, holders.values().next().value!);
    else if (holders.size === 0) map.delete(key);
  }
}
