import { DockerError, type SkepPlugin } from 'skep';

export interface AllowListOptions {
  /** Route IDs (see docs/plugins.md) that clients may call; everything else is refused with 403. */
  routes: string[];
  /**
   * Image references containers may be created from: exact names or `prefix/*` globs. Empty: any.
   */
  images?: string[];
}

const imageAllowed = (image: string, allowed: string[]) =>
  allowed.length === 0 ||
  allowed.some((a) =>
    a.endsWith('*')
      ? image.startsWith(a.slice(0, -1))
      : image === a || image === `${a}:latest` || `${image}:latest` === a,
  );

/**
 * A starting point for an authorization policy: only the listed routes, and containers only from
 * the listed images. It refuses in the `request` stage (no engine is contacted)
 * and in `beforeSchedule` (the body is read). Put it first with `enforce: 'pre'`.
 */
export default function allowList(options?: AllowListOptions): SkepPlugin {
  if (!options?.routes?.length)
    throw new Error('allow-list needs "routes": the route IDs clients may call');
  const routes = new Set(options.routes);
  const images = options.images ?? [];
  return {
    name: 'allow-list',
    enforce: 'pre',
    apply(hooks) {
      hooks.request.tap('allow-list', (context) => {
        if (!routes.has(context.route)) {
          return {
            status: 403,
            body: {
              message: `${context.method} ${context.path} is not allowed here (route ${context.route})`,
            },
          };
        }
        return undefined;
      });
      hooks.beforeSchedule.tap('allow-list', (request) => {
        const image = request.config.Image ?? '';
        if (!imageAllowed(image, images))
          throw new DockerError(403, `image ${image} is not allowed here`);
        return request;
      });
    },
  };
}
