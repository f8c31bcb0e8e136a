import type { SkepPlugin } from '../../core/plugin-api.js';

/** Fewest containers first; ties go to the node with the most unreserved memory, then by name for a stable order. */
export function spreadStrategy(): SkepPlugin {
  return {
    name: 'spread',
    apply(hooks) {
      hooks.rank.tap('spread', (nodes) =>
        [...nodes].sort(
          (a, b) =>
            a.containers - b.containers ||
            b.memory - b.reservedMemory - (a.memory - a.reservedMemory) ||
            a.name.localeCompare(b.name),
        ),
      );
    },
  };
}
