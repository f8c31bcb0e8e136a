import { statusText, statusTextLasts } from '../cluster/container-status.js';
import type { CachedContainer } from '../cluster/container-cache.js';
import type { Engine } from '../cluster/engine.js';
import { nodeView } from '../cluster/node-view.js';
import { type SkepHooks, tapped } from '../hooks.js';
import type { NodeView } from '../pipeline-types.js';
import { withNode } from './row-node.js';

/**
 * The JSON of each served row, encoded once: 30,000 rows are 25 MB of JSON, too much to
 * stringify and encode per `docker ps`; the list is then one copy of these bytes.
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
 * A container's row of the list as served: its engine row with the state and status text of
 * now, through the `rewriteContainerRow` taps. Remade only when the container, its status text,
 * or its node changes; otherwise the same frozen object (and its JSON text) as last time.
 */
export function listedRow(
  engine: Engine,
  cached: CachedContainer,
  hooks: SkepHooks,
  viewOf: ViewsOf,
  now: number,
): Record<string, unknown> {
  const listed = cached.listed;
  const clock = now + engine.clockSkewMs;
  const same =
    listed !== undefined &&
    listed.health === engine.health &&
    listed.specs === engine.specsRevision;
  // the status text is sure not to have changed yet: nothing to make
  if (same && clock < listed.until) return listed.row;
  // a container not inspected yet has only the engine's own text, from when it was listed
  const fixed =
    engine.health === 'unhealthy'
      ? 'Host Down'
      : cached.partial
        ? cached.summary.Status
        : undefined;
  const status = fixed ?? statusText(cached.inspect.State, clock);
  const until =
    fixed !== undefined ? Infinity : clock + statusTextLasts(cached.inspect.State, clock);
  if (same && listed.status === status) {
    listed.until = until;
    return listed.row;
  }
  const node = viewOf(engine);
  const made = {
    ...cached.summary,
    State: cached.inspect.State.Status ?? cached.summary.State,
    Status: status,
  };
  const row = Object.freeze(
    withNode(
      tapped(hooks.rewriteContainerRow) ? hooks.rewriteContainerRow.call(made, { node }) : made,
      node,
    ),
  );
  rowBytes.set(row, Buffer.from(JSON.stringify(row)));
  cached.listed = { status, health: engine.health, specs: engine.specsRevision, until, row };
  return row;
}

/**
 * The last list's rows and JSON: a list whose rows are the same objects, in the same order, is
 * the same bytes (25 MB at 30,000 containers, a tenth of `docker ps -a`'s time to copy again).
 * Only one is kept.
 */
let lastList: { rows: readonly unknown[]; bytes: Buffer } | undefined;

function sameRows(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++)
    if (a[i] !== b[i] || !rowBytes.has(a[i] as object)) return false;
  return true;
}

/**
 * The list's JSON: rows served as they were made reuse their bytes; rows a plugin built or
 * changed are stringified.
 */
export function rowsJson(rows: unknown): Buffer {
  if (!Array.isArray(rows)) return Buffer.from(JSON.stringify(rows));
  if (lastList && sameRows(lastList.rows, rows)) return lastList.bytes;
  const parts: Buffer[] = [Buffer.from('[')];
  rows.forEach((row, i) => {
    if (i > 0) parts.push(COMMA);
    parts.push(
      (row !== null && typeof row === 'object' && rowBytes.get(row)) ||
        Buffer.from(JSON.stringify(row)),
    );
  });
  parts.push(Buffer.from(']'));
  const bytes = Buffer.concat(parts);
  lastList = { rows: [...rows], bytes };
  return bytes;
}
