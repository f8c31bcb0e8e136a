import {
  DockerError,
  type FinalAnswer,
  type RequestContext,
  type SkepPlugin,
} from '../../core/plugin-api.js';
import { AuthzPluginClient } from './client.js';
import { checkedAddress, DOCKERD_PLUGIN_DIRS, findPlugin, type PluginDirs } from './discovery.js';
import { authzRequest, withAnswer } from './request.js';

const PLUGIN_NAME = 'authorization';

export interface AuthorizationOptions {
  /** In order: names (found as dockerd finds them) or `{ name, address }`. */
  plugins: (string | { name: string; address: string })[];
  /** Where names are looked up; dockerd's own directories by default. */
  dirs?: PluginDirs;
}

/** The request's place in the per-request state. */
const STATE = PLUGIN_NAME;

/** Runs before every other `request` tap: a denied request reaches no other plugin. */
const FIRST = -10_000;

/**
 * Docker's authorization plugins (`--authorization-plugin`), asked as dockerd asks them:
 * every request, plugin by plugin in order, before anything else runs (`AuthZPlugin.AuthZReq`),
 * and every answer that is not a stream before it is sent (`AuthZPlugin.AuthZRes`).
 * A denial is a 403 with dockerd's message;
 * a plugin that cannot be reached fails closed, a 500 with dockerd's error.
 * A name that cannot be found stops the manager at start, as it stops dockerd.
 */
export function authorization(options: AuthorizationOptions): SkepPlugin {
  const clients = options.plugins.map((entry) => {
    if (typeof entry !== 'string')
      return new AuthzPluginClient({
        name: entry.name,
        address: checkedAddress(entry.address, `authorization plugin "${entry.name}"`),
      });
    const found = findPlugin(entry, options.dirs ?? DOCKERD_PLUGIN_DIRS);
    if (!found)
      throw new Error(`Error validating authorization plugin: plugin "${entry}" not found`);
    return new AuthzPluginClient(found);
  });
  return {
    name: PLUGIN_NAME,
    enforce: 'pre',
    apply(hooks, { logger }) {
      /** Asks each plugin in turn; the first that does not allow ends it. */
      const ask = async (
        phase: 'AuthZPlugin.AuthZReq' | 'AuthZPlugin.AuthZRes',
        request: object,
        context: RequestContext,
      ) => {
        const which = phase === 'AuthZPlugin.AuthZReq' ? 'AuthZRequest' : 'AuthZResponse';
        for (const client of clients) {
          let refusal: DockerError | undefined;
          try {
            const verdict = await client.call(phase, request);
            if (!verdict.Allow)
              refusal = new DockerError(
                403,
                `authorization denied by plugin ${client.name}: ${verdict.Msg ?? ''}`,
              );
          } catch (err) {
            refusal = new DockerError(
              500,
              `plugin ${client.name} failed with error: ${(err as Error).message}`,
            );
          }
          if (refusal) {
            // dockerd's log line, once per refused request
            logger.error(
              `${which} for ${context.method} ${context.url} returned error: ${refusal.message}`,
            );
            refusal.logged = true;
            throw refusal;
          }
        }
      };
      hooks.request.tapPromise({ name: PLUGIN_NAME, stage: FIRST }, async (context) => {
        const request = await authzRequest(context);
        context.state[STATE] = request;
        await ask('AuthZPlugin.AuthZReq', request, context);
      });
      hooks.response.tapPromise(
        { name: PLUGIN_NAME, stage: FIRST },
        async (answer: FinalAnswer, context) => {
          const request = context.state[STATE];
          if (request)
            await ask(
              'AuthZPlugin.AuthZRes',
              withAnswer(request as object, answer, context),
              context,
            );
        },
      );
    },
  };
}
