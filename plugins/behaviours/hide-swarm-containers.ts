import { truthy, type SkepPlugin } from '../../core/plugin-api.js';

const PLUGIN_NAME = 'hide-swarm-containers';

/** The repository of an image reference, without tag or digest: `swarm:1.2.9` → `swarm`. */
export function repositoryOf(image: string): string {
  const name = image.split('@')[0]!;
  const colon = name.lastIndexOf(':');
  return colon > name.lastIndexOf('/') ? name.slice(0, colon) : name;
}

/** Docker's reading of a boolean query parameter. */

/**
 * Containers of the `swarm` image (classic swarm's own managers and agents)
 * are left out of `docker ps`, and shown with `-a`.
 * Only the image named exactly `swarm`: `docker/swarm` is someone else's.
 */
export function hideSwarmContainers(): SkepPlugin {
  return {
    name: PLUGIN_NAME,
    apply(hooks) {
      hooks.rewriteResponse
        .for('container.list')
        .tap(PLUGIN_NAME, (rows, context) =>
          truthy(context.query.all)
            ? rows
            : (rows as { Image?: string }[]).filter(
                (row) => repositoryOf(row.Image ?? '') !== 'swarm',
              ),
        );
    },
  };
}
