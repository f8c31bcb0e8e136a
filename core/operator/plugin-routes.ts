import type { Registry } from 'prom-client';

/** A request to a plugin's route on the operator listener. */
export interface OperatorRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** A plugin route's answer: a string or Buffer as is (with `type`), anything else as JSON. */
export interface OperatorAnswer {
  status?: number;
  type?: string;
  body: unknown;
}

/** A route a plugin adds to the operator listener (`--status-addr`), never to the Docker API. */
export interface OperatorRoute {
  /** GET unless said. */
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /**
   * An exact path, e.g. `/my-plugin/state`;
   * the listener's own paths (`/metrics`, `/healthz`...) are taken.
   */
  path: string;
  handle(request: OperatorRequest): OperatorAnswer | Promise<OperatorAnswer>;
}

/**
 * What `apply` is given for the operator listener: its routes, and the registry `/metrics` exposes.
 */
export interface OperatorTools {
  route(route: OperatorRoute): void;
  /**
   * prom-client's registry of the manager: a plugin's own metrics
   * (`new Counter({ registers: [registry] })`) show in `/metrics`.
   */
  readonly registry: Registry;
}

/** The listener's own paths: a plugin cannot take them. */
export const OWN_PATHS = ['/', '/metrics', '/healthz', '/readyz', '/status.json', '/status/stream'];

/** Every route plugins added, checked as they are added. */
export class PluginRoutes {
  readonly routes = new Map<string, OperatorRoute & { plugin: string }>();

  /** The tools for one plugin: its routes are known by its name. */
  for(plugin: string, registry: Registry): OperatorTools {
    return {
      registry,
      route: (route) => {
        const method = route.method ?? 'GET';
        if (!route.path.startsWith('/') || OWN_PATHS.includes(route.path))
          throw new Error(
            `operator route ${route.path}: a path starting with / that is not one of ${OWN_PATHS.join(', ')}`,
          );
        const key = `${method} ${route.path}`;
        const taken = this.routes.get(key);
        if (taken) throw new Error(`operator route ${key} is already plugin "${taken.plugin}"'s`);
        this.routes.set(key, { ...route, method, plugin });
      },
    };
  }
}
