import {
  compareVersions,
  definePlacementFilter,
  type ContainerConfig,
  neededApi,
  type NodeView,
  type ScheduleContext,
  STAGE,
  type SkepPlugin,
} from '../../core/plugin-api.js';

const PLUGIN_NAME = 'engine-api';

/** The images a container mounts (`--mount type=image,source=IMAGE`). */
const imageMountSources = (config: ContainerConfig) =>
  ((config.HostConfig?.Mounts as { Type?: string; Source?: string }[] | undefined) ?? [])
    .filter((m) => m?.Type === 'image' && m.Source)
    .map((m) => m.Source!);

/**
 * A container that needs a newer engine than some nodes run (`--mount type=image` needs API 1.48,
 * a volume subpath 1.45) is placed only where the engine can make it:
 * in a cluster of dockerd 20.10 and 28.5 it goes to a 28.5 node, and with none,
 * the reasons say why, in dockerd's words. An image mount goes where its image is.
 */
export function engineApi(): SkepPlugin {
  const needed = (context: ScheduleContext) =>
    context.placing === 'container' || context.placing === 'reschedule'
      ? neededApi(context.request.config)
      : undefined;
  const speaks =
    ({ version, words }: NonNullable<ReturnType<typeof neededApi>>) =>
    (node: NodeView) =>
      compareVersions(node.apiVersion || '0', version) >= 0 ||
      `${words}; the node's engine speaks API ${node.apiVersion}`;
  const holds = (sources: string[]) => (node: NodeView) =>
    sources.every((image) => node.hasImage(image)) ||
    `the node lacks the image ${sources.join(', ')} that a mount of type image reads`;
  return definePlacementFilter(
    PLUGIN_NAME,
    (context) => {
      const need = needed(context);
      if (!need) return undefined;
      const [capable, holding] = [speaks(need), holds(imageMountSources(context.request.config))];
      // node by node, an image mount goes where its image is; where no capable node has it, no
      // node passes and the list form below decides (any capable node)
      return (node) => {
        const verdict = capable(node);
        return verdict === true ? holding(node) : verdict;
      };
    },
    {
      stage: STAGE.NORMALIZE,
      list(nodes, context, keepWith) {
        const capable = keepWith(speaks(needed(context)!));
        // an image mount's source is read from the node's own images: where one has it, only those
        const holding = holds(imageMountSources(context.request.config));
        if (!capable.some((node) => holding(node) === true)) return capable;
        return capable.filter((node) => {
          const verdict = holding(node);
          if (verdict !== true)
            context.rejections.push({ node: node.name, by: PLUGIN_NAME, reason: verdict });
          return verdict === true;
        });
      },
    },
  );
}
