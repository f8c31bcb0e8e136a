import { HookMap } from 'tapable';
import type { SkepHooks } from './hooks.js';
import type { Logger } from './log.js';
import type { PluginLogger } from './pipeline-types.js';
import { ROUTE_IDS, type RouteId } from './route-ids.js';
import type { OperatorTools } from './operator/plugin-routes.js';

type Tapping<H> = Pick<H, Extract<keyof H, 'tap' | 'tapAsync' | 'tapPromise'>>;

/**
 * The hooks as one plugin sees them: it can only tap (core calls), each tap carries the plugin's
 * name whatever name it gives (so errors, ordering by `before` and the rejections it pushes name
 * the right plugin), and the per-route hooks are keyed by the routes that exist (a misspelt route
 * fails to compile).
 */
export type PluginHooks = {
  readonly [K in keyof SkepHooks]: SkepHooks[K] extends HookMap<infer H>
    ? { for(route: RouteId): Tapping<H> }
    : Tapping<SkepHooks[K]>;
};

/** What a plugin's `apply` is handed besides the hooks. */
export interface PluginTools {
  /** The manager's log, each line marked with the plugin's name. */
  readonly logger: PluginLogger;
  /** Routes and metrics on the operator listener (`--status-addr`; see docs/plugins.md). */
  readonly operator: OperatorTools;
}

interface AnyHook {
  tap(options: unknown, fn: unknown): void;
  tapAsync?(options: unknown, fn: unknown): void;
  tapPromise?(options: unknown, fn: unknown): void;
}

/** The facade bound to one plugin's name. */
export function pluginHooks(hooks: SkepHooks, plugin: string): PluginHooks {
  const named = (options: unknown) =>
    typeof options === 'object' && options !== null ? { ...options, name: plugin } : plugin;
  const tapping = (hook: AnyHook) => {
    const out: Record<string, (options: unknown, fn: unknown) => void> = {
      tap: (o, fn) => hook.tap(named(o), fn),
    };
    if (hook.tapAsync) out.tapAsync = (o, fn) => hook.tapAsync!(named(o), fn);
    if (hook.tapPromise) out.tapPromise = (o, fn) => hook.tapPromise!(named(o), fn);
    return Object.freeze(out);
  };
  // the compiler checks names in TypeScript; a JavaScript config is checked here, at start
  // (as Fastify refuses an unknown hook): a misspelt hook or route would otherwise never fire
  const routeFor = (hook: { for(route: string): unknown }, key: string) => (route: RouteId) => {
    if (!ROUTES.has(route))
      throw new Error(
        `${key}.for('${route}'): there is no route "${route}" (route IDs: docs/plugins.md)`,
      );
    return tapping(hook.for(route) as unknown as AnyHook);
  };
  const facade = Object.entries(hooks).map(([key, hook]) => {
    if (hook instanceof HookMap) return [key, Object.freeze({ for: routeFor(hook, key) })];
    return [key, tapping(hook as unknown as AnyHook)];
  });
  const known = Object.freeze(Object.fromEntries(facade)) as PluginHooks;
  return new Proxy(known, {
    get(target, key) {
      if (typeof key === 'string' && !(key in target) && key !== 'then' && key !== 'toJSON') {
        throw new Error(`there is no hook "${key}" (hooks: ${Object.keys(target).join(', ')})`);
      }
      return Reflect.get(target, key);
    },
  });
}

const ROUTES: ReadonlySet<string> = new Set(ROUTE_IDS);

/** The manager's log with each line marked as the plugin's. */
export function pluginLogger(logger: Logger, plugin: string): PluginLogger {
  const mark = (write: Logger['info']) => (message: string) =>
    write(`plugin ${plugin}: ${message}`, { plugin });
  return {
    debug: mark(logger.debug),
    info: mark(logger.info),
    warn: mark(logger.warn),
    error: mark(logger.error),
  };
}
