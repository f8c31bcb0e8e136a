import { defineFilter, type SkepPlugin } from '../../core/plugin-api.js';

/**
 * An engine label `containerslots=N` caps the containers on that node
 * (any state, creates under way included).
 */
export function containerSlotsFilter(): SkepPlugin {
  return defineFilter(
    'containerslots',
    (node) => {
      const raw = node.labels.containerslots;
      if (raw === undefined || !/^\d+$/.test(raw.trim())) return true; // not a whole number: no cap
      const slots = Number(raw);
      return (
        node.containers < slots || `all ${slots} container slots are used (containerslots=${slots})`
      );
    },
    // classic's SlotsFilter.GetFilters lists this whatever the nodes' labels
    { condition: () => ['available container slots'] },
  );
}
