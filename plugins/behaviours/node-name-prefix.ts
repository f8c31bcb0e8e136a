import { STAGE, type SkepPlugin } from '../../core/plugin-api.js';

/** `/web` on node1 is listed as `/node1/web`, so `docker ps` prints `node1/web`. Lookups accept either form. */
export function nodeNamePrefix(): SkepPlugin {
  return {
    name: 'node-name-prefix',
    apply(hooks) {
      hooks.rewriteResponse.for('container.list').tap({ name: 'node-name-prefix', stage: STAGE.SWARM_REWRITE }, (rows, context) =>
        (rows as { Names?: string[] | null }[]).map((row) => {
          const node = context.nodeOf(row);
          if (!node || !row.Names) return row;
          return { ...row, Names: row.Names.map((name) => `/${node.name}${name.startsWith('/') ? name : `/${name}`}`) };
        }),
      );
    },
  };
}
