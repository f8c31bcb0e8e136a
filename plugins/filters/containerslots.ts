import type { SkepPlugin } from '../../core/plugin-api.js';

/** An engine label `containerslots=N` caps the containers (any state, creates under way included) on that node. */
export function containerSlotsFilter(): SkepPlugin {
  return {
    name: 'containerslots',
    apply(hooks) {
      hooks.filter.tap('containerslots', (nodes, context) => {
        // classic's SlotsFilter.GetFilters lists this whatever the nodes' labels
        context.conditions.push({ by: 'containerslots', list: ['available container slots'] });
        return nodes.filter((node) => {
          const raw = node.labels.containerslots;
          if (raw === undefined || !/^\d+$/.test(raw.trim())) return true; // not a whole number: no cap
          const slots = Number(raw);
          if (node.containers < slots) return true;
          context.rejections.push({ node: node.name, by: 'containerslots', reason: `all ${slots} container slots are used (containerslots=${slots})` });
          return false;
        });
      });
    },
  };
}
