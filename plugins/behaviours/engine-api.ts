import { compareVersions, neededApi, STAGE, type SkepPlugin } from '../../core/plugin-api.js';

/**
 * A container that needs a newer engine than some nodes run (`--mount type=image` needs API 1.48, a volume
 * subpath 1.45) is placed only where the engine can make it: in a cluster of dockerd 20.10 and 28.5 it goes to a
 * 28.5 node, and with none, the reasons say why, in dockerd's words.
 */
export function engineApi(): SkepPlugin {
  return {
    name: 'engine-api',
    apply(hooks) {
      hooks.filter.tap({ name: 'engine-api', stage: STAGE.NORMALIZE }, (nodes, context) => {
        const need = context.placing === 'container' || context.placing === 'reschedule' ? neededApi(context.request.config) : undefined;
        if (!need) return nodes;
        return nodes.filter((node) => {
          if (compareVersions(node.apiVersion || '0', need.version) >= 0) return true;
          context.rejections.push({ node: node.name, by: 'engine-api', reason: `${need.words}; the node's engine speaks API ${node.apiVersion}` });
          return false;
        });
      });
    },
  };
}
