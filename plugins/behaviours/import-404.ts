import type { SkepPlugin } from '../../core/plugin-api.js';

const PLUGIN_NAME = 'import-404';

/**
 * `docker import` (`POST /images/create?fromSrc=`) answers 404, as the Swarm API document says,
 * before any engine is reached. Skep's core can import (on every healthy node):
 * turn this plugin off, or replace it with a policy.
 */
export function import404(): SkepPlugin {
  return {
    name: PLUGIN_NAME,
    apply(hooks) {
      hooks.routeRequest.for('image.create').tap(PLUGIN_NAME, (context) => {
        if (context.query.fromSrc === undefined) return;
        return {
          status: 404,
          body: {
            message:
              'docker import is not supported by the Swarm manager (the "import-404" plugin refuses it): ' +
              'import on a node directly, or turn the plugin off',
          },
        };
      });
    },
  };
}
