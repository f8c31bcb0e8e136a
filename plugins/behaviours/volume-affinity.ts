import { namedVolumes, type NodeView, STAGE, type SkepPlugin } from '../../core/plugin-api.js';

const PLUGIN_NAME = 'volume-affinity';

/**
 * Volumes remembered with the node they were last mounted on
 * (the oldest forgotten first beyond this).
 */
const REMEMBERED = 10_000;
const STATE = PLUGIN_NAME;

/**
 * A named volume's data stays where it was written: a container that mounts one is placed,
 * among the nodes the filters and the strategy keep, on the node where the volume was last
 * mounted (by a create through this manager, else by a container there now),
 * as one engine would give it the same data.
 * A preference only: the filters (constraints, resources) decide first;
 * it moves that node to the head of the strategy's ranking.
 * Classic made the volume on every node and ignored where;
 * turn this off (`builtins`) to place as classic did.
 */
export function volumeAffinity(): SkepPlugin {
  const lastNode = new Map<string, string>();
  const remember = (volume: string, node: string) => {
    lastNode.delete(volume);
    lastNode.set(volume, node);
    if (lastNode.size > REMEMBERED) lastNode.delete(lastNode.keys().next().value!);
  };
  return {
    name: PLUGIN_NAME,
    apply(hooks) {
      hooks.rank.tap({ name: PLUGIN_NAME, stage: STAGE.SWARM_REWRITE }, (ranked, context) => {
        if (
          context.requestContext.placing !== 'container' &&
          context.requestContext.placing !== 'reschedule'
        )
          return ranked;
        const volumes = namedVolumes(context.request.config);
        if (volumes.length === 0) return ranked;
        context.requestContext.state[STATE] = volumes;
        if (ranked.length < 2) return ranked;
        const preferred = volumes
          .map(
            (volume) =>
              lastNode.get(volume) ??
              ranked.find((node) => node.containerList.some((c) => c.volumes.includes(volume)))
                ?.name,
          )
          .find((name) => name !== undefined && ranked.some((node) => node.name === name));
        if (!preferred || ranked[0]!.name === preferred) return ranked;
        return [
          ...ranked.filter((node) => node.name === preferred),
          ...ranked.filter((node) => node.name !== preferred),
        ];
      });
      // the same preference, read node by node: the preferred node's first copy in the order,
      // then the order without it
      hooks.order.tap({ name: PLUGIN_NAME, stage: STAGE.SWARM_REWRITE }, (order, context) => {
        const placing = context.requestContext.placing;
        if (!order || (placing !== 'container' && placing !== 'reschedule')) return order;
        const volumes = namedVolumes(context.request.config);
        if (volumes.length === 0) return order;
        context.requestContext.state[STATE] = volumes;
        return {
          *ranked(nodes, passes) {
            const ranked = readOnce(order.ranked(nodes, passes));
            const first = (keep: (node: NodeView) => boolean) => {
              for (let i = 0; ranked.at(i); i++) if (keep(ranked.at(i)!)) return ranked.at(i);
              return undefined;
            };
            const preferred = volumes
              .map(
                (volume) =>
                  lastNode.get(volume) ??
                  first((node) => node.containerList.some((c) => c.volumes.includes(volume)))?.name,
              )
              .find((name) => name !== undefined && first((node) => node.name === name));
            const head = preferred === undefined ? undefined : first((n) => n.name === preferred);
            if (head) yield head;
            for (let i = 0; ranked.at(i); i++) if (ranked.at(i) !== head) yield ranked.at(i)!;
          },
        };
      });
      hooks.afterCreate.tap(PLUGIN_NAME, (created, context) => {
        for (const volume of (context.state[STATE] as string[] | undefined) ?? [])
          remember(volume, created.node.name);
      });
    },
  };
}

/** An order read as far as asked, and kept: the preference reads it more than once. */
function readOnce(order: Iterable<NodeView>) {
  const read: NodeView[] = [];
  const rest = order[Symbol.iterator]();
  return {
    at(i: number): NodeView | undefined {
      while (read.length <= i) {
        const next = rest.next();
        if (next.done) return undefined;
        read.push(next.value);
      }
      return read[i];
    },
  };
}
