import {
  compareVersions,
  type ContainerConfig,
  neededApi,
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
  return {
    name: PLUGIN_NAME,
    apply(hooks) {
      hooks.filter.tap({ name: PLUGIN_NAME, stage: STAGE.NORMALIZE }, (nodes, context) => {
        if (context.placing !== 'container' && context.placing !== 'reschedule') return nodes;
        const need = neededApi(context.request.config);
        if (!need) return nodes;
        const capable = nodes.filter((node) => {
          if (compareVersions(node.apiVersion || '0', need.version) >= 0) return true;
          context.rejections.push({
            node: node.name,
            by: PLUGIN_NAME,
            reason: `${need.words}; the node's engine speaks API ${node.apiVersion}`,
          });
          return false;
        });
        // an image mount's source is read from the node's own images: where one has it, only those
        const sources = imageMountSources(context.request.config);
        const holding = capable.filter((node) => sources.every((image) => node.hasImage(image)));
        if (holding.length === 0) return capable;
        for (const node of capable)
          if (!holding.includes(node))
            context.rejections.push({
              node: node.name,
              by: PLUGIN_NAME,
              reason: `the node lacks the image ${sources.join(', ')} that a mount of type image reads`,
            });
        return holding;
      });
    },
  };
}
