import { DockerError } from './errors.js';
import type { Logger } from './log.js';

/**
 * A plugin's tap failed with something other than a deliberate DockerError;
 * says which plugin and hook.
 */
export class PluginError extends DockerError {
  override name = 'PluginError';
  constructor(
    readonly plugin: string,
    readonly hook: string,
    cause: unknown,
  ) {
    super(
      500,
      `plugin "${plugin}" failed in ${hook}: ${cause instanceof Error ? cause.message : String(cause)}`,
    );
    this.cause = cause;
  }
}

/** What tapable hands a `register` interceptor (its own type is not exported). */
interface TapLike {
  name: string;
  type: 'sync' | 'async' | 'promise';
  // tapable's own type for a tap's function
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  fn: Function;
}

interface Interceptable {
  intercept(interceptor: { register?(tap: TapLike): TapLike }): void;
}

/**
 * What filter and rank taps may push to: the entries a tap adds are stamped with its plugin's name.
 */
interface Attributable {
  rejections?: { by: string }[];
  conditions?: { by: string }[];
}

/** What `filterNode` taps push to (the hook's first argument). */
interface Tests {
  tests?: { by: string }[];
}

type Callback = (err?: unknown, result?: unknown) => void;

/** Stamps the entries from `start` on with the plugin's name. */
function stampFrom(list: { by: string }[], start: number, plugin: string): void {
  for (let i = start; i < list.length; i++)
    if (list[i]!.by !== plugin) list[i] = { ...list[i]!, by: plugin };
}

/**
 * Wraps every tap of a hook, present and future (tapable's `register` interceptor), whatever its
 * kind (`tap`, `tapPromise`, callback-style `tapAsync`): an error names the plugin and the hook and
 * is logged once, at error level with its stack; a DockerError is a plugin's deliberate answer and
 * passes unchanged. The rejections, conditions and node tests a tap pushes carry its name, so no
 * plugin can speak as another.
 */
export function nameTapErrors(hook: Interceptable, hookName: string, logger: Logger): void {
  const wrap = (plugin: string, err: unknown) => {
    if (err instanceof DockerError) return err;
    const error = new PluginError(plugin, hookName, err);
    logger.error(`${error.message}${err instanceof Error && err.stack ? `\n${err.stack}` : ''}`);
    return error;
  };
  hook.intercept({
    register(tap) {
      const fn = tap.fn as (...args: unknown[]) => unknown;
      const plugin = tap.name;
      // the lengths before the tap ran (-1: nothing to stamp),
      // then every entry it added carries its name
      const lists = (args: unknown[]): ({ by: string }[] | undefined)[] => {
        const c = args[1] as Attributable | undefined;
        // only this hook's first argument is a list of tests: another's (a response body) is data
        const t = hookName === 'filterNode' ? (args[0] as Tests | undefined) : undefined;
        return [c?.rejections, c?.conditions, t?.tests].map((l) =>
          Array.isArray(l) ? l : undefined,
        );
      };
      const lengths = (args: unknown[]) => lists(args).map((l) => l?.length ?? -1);
      const stamp = (args: unknown[], before: number[]) =>
        lists(args).forEach((l, i) => l && before[i]! >= 0 && stampFrom(l, before[i]!, plugin));
      if (tap.type === 'async') {
        tap.fn = (...args: unknown[]) => {
          const callback = args.pop() as Callback;
          const before = lengths(args);
          try {
            fn(...args, (err?: unknown, result?: unknown) => {
              if (err) return callback(wrap(plugin, err));
              stamp(args, before);
              callback(null, result);
            });
          } catch (err) {
            callback(wrap(plugin, err));
          }
        };
        return tap;
      }
      tap.fn = (...args: unknown[]) => {
        const before = lengths(args);
        try {
          const result = fn(...args);
          if (!(result instanceof Promise)) {
            stamp(args, before);
            return result;
          }
          return result.then(
            (value: unknown) => (stamp(args, before), value),
            (err: unknown) => Promise.reject(wrap(plugin, err)),
          );
        } catch (err) {
          // a tapPromise tap that throws before it returns a promise
          // still answers as a rejected promise
          if (tap.type === 'promise') return Promise.reject(wrap(plugin, err));
          throw wrap(plugin, err);
        }
      };
      return tap;
    },
  });
}
