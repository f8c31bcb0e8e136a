import { STAGE, type SkepPlugin } from '../../core/plugin-api.js';

const PLUGIN_NAME = 'node-name-prefix';

/**
 * `/web` on node1 is listed as `/node1/web`, so `docker ps` prints `node1/web`.
 * Lookups accept either form.
 */
export function nodeNamePrefix(): SkepPlugin {
  return {
    name: PLUGIN_NAME,
    apply(hooks) {
      hooks.rewriteContainerRow.tap(
        { name: PLUGIN_NAME, stage: STAGE.SWARM_REWRITE },
        (row, { node }) => {
          const names = row.Names as string[] | null | undefined;
          if (!names) return row;
          return {
            ...row,
            Names: names.map((name) => `/${node.name}${name.startsWith('/') ? name : `/${name}`}`),
          };
        },
      );
    },
  };
}
