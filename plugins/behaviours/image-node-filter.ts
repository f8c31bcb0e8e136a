import { DockerError, type NodeView, type SkepPlugin } from '../../core/plugin-api.js';
import { containerNode } from './node-field.js';

const PLUGIN_NAME = 'image-node-filter';

const NAME = PLUGIN_NAME;

/**
 * Takes `node` out of a filters parameter
 * (both of Docker's forms: `{"node":["a"]}` and `{"node":{"a":true}}`).
 */
export function takeNodeFilter(filters: string | undefined): { nodes?: string[]; rest?: string } {
  if (!filters) return {};
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(filters) as Record<string, unknown>;
  } catch {
    return {}; // the route answers bad JSON with the engine's 400
  }
  if (typeof parsed !== 'object' || parsed === null || !('node' in parsed)) return {};
  const { node, ...rest } = parsed;
  const nodes = Array.isArray(node)
    ? node.map(String)
    : typeof node === 'object' && node !== null
      ? Object.keys(node)
      : undefined;
  if (!nodes) throw new DockerError(400, `invalid filter 'node': ${JSON.stringify(node)}`);
  return { nodes, rest: JSON.stringify(rest) };
}

const isNode = (node: NodeView, wanted: string) =>
  node.name === wanted ||
  node.id === wanted ||
  node.id.split('|')[0] === wanted ||
  node.addr === wanted;

/**
 * `docker images --filter node=NAME`: only that node's images.
 * Every row of the (per node) image list also says which node holds it,
 * in a `Node` field shaped as the container's.
 */
export function imageNodeFilter(): SkepPlugin {
  return {
    name: NAME,
    apply(hooks) {
      hooks.routeRequest.for('image.list').tap(NAME, (context) => {
        const { nodes, rest } = takeNodeFilter(context.query.filters);
        if (!nodes) return;
        context.state[NAME] = nodes;
        context.query.filters = rest!;
      });
      hooks.rewriteResponse.for('image.list').tap(NAME, (rows, context) => {
        const wanted = context.state[NAME] as string[] | undefined;
        const out: object[] = [];
        for (const row of rows as object[]) {
          const node = context.nodeOf(row);
          if (wanted && !(node && wanted.some((w) => isNode(node, w)))) continue;
          out.push(node ? { ...row, Node: containerNode(node) } : row);
        }
        return out;
      });
    },
  };
}
