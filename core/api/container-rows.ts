import { statusText } from '../cluster/container-status.js';
import type { CachedContainer } from '../cluster/container-cache.js';
import type { Engine } from '../cluster/engine.js';
import { nodeView } from '../cluster/node-view.js';
import { type SkepHooks, tapped } from '../hooks.js';
import type { NodeView } from '../pipeline-types.js';
import { withNode } from './row-node.js';

/**
 * The JSON of each served row, encoded once: 30,000 rows are 25 MB of JSON, too much to stringify and
 * encode per `docker ps`; the list is then one copy of these bytes.
 */
const rowBytes = new WeakMap<object, Buffer>();
const COMMA = Buffer.from(',');

/** Node views for one list request, made only for nodes that have a row to (re)make. */
export type ViewsOf = (engine: Engine) => NodeView;

export function viewsForOneRequest(): ViewsOf {
  const views = new Map<Engine, NodeView>();
  return (engine) => views.get(engine) ?? views.set(engine, nodeView(engine)).get(engine)!;
}

/**
 * A container's row of the list as served: its engine row with the state and status text of now, through
 * the `rewriteContainerRow` taps. Remade only when the container, its status text, or its node changes;
 * otherwise the same frozen object (and its JSON text) as last time.
 */
export function listedRow(engine: Engine, cached: CachedContainer, hooks: SkepHooks, viewOf: ViewsOf, now: number): Record<string, unknown> {
  // a container not inspected yet has only the engine's own text, from when it was listed
  const status = engine.health === 'unhealthy' ? 'Host Down' : cached.partial ? cached.summary.Status : statusText(cached.inspect.State, now + engine.clockSkewMs);
  const key = `${status}\n${engine.health}\n${engine.specsRevision}`;
  if (cached.listed?.key === key) return cached.listed.row;
  const node = viewOf(engine);
  const made = { ...cached.summary, State: cached.inspect.State.Status ?? cached.summary.State, Status: status };
  const row = Object.freeze(withNode(tapped(hooks.rewriteContainerRow) ? hooks.rewriteContainerRow.call(made, { node }) : made, node));
  rowBytes.set(row, Buffer.from(JSON.stringify(row)));
  cached.listed = { key, row };
  return row;
}

/** The list's JSON: rows served as they were made reuse their bytes; rows a plugin built or changed are stringified. */
export function rowsJson(rows: unknown): Buffer {
  if (!Array.isArray(rows)) return Buffer.from(JSON.stringify(rows));
  const parts: Buffer[] = [Buffer.from('[')];
  rows.forEach((row, i) => {
    if (i > 0) parts.push(COMMA);
    parts.push((row !== null && typeof row === 'object' && rowBytes.get(row)) || Buffer.from(JSON.stringify(row)));
  });
  parts.push(Buffer.from(']'));
  return Buffer.concat(parts);
}
