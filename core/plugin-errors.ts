import { DockerError } from './errors.js';
import type { Logger } from './log.js';

/** A plugin's tap failed with something other than a deliberate DockerError; says which plugin and hook. */
export class PluginError extends DockerError {
  override name = 'PluginError';
  constructor(
    readonly plugin: string,
    readonly hook: string,
    cause: unknown,
  ) {
    super(500, `plugin "${plugin}" failed in ${hook}: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.cause = cause;
  }
}

/** What tapable hands a `register` interceptor (its own type is not exported). */
interface TapLike {
  name: string;
  type: 'sync' | 'async' | 'promise';
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- tapable's own type for a tap's function
  fn: Function;
}

interface Interceptable {
  intercept(interceptor: { register?(tap: TapLike): TapLike }): void;
}

/** What filter and rank taps may push to: the entries a tap adds are stamped with its plugin's name. */
interface Attributable {
  rejections?: { by: string }[];
  conditions?: { by: string }[];
}

type Callback = (err?: unknown, result?: unknown) => void;

/** For the many calls with no rejections to stamp (every container row, every node's reservation): no closure made. */
const NOTHING_TO_STAMP = () => {};

/**
 * Wraps every tap of a hook, present and future (tapable's `register` interceptor), whatever its kind (`tap`,
 * `tapPromise`, callback-style `tapAsync`): an error names the plugin and the hook and is logged once, at error
 * level with its stack; a DockerError is a plugin's deliberate answer and passes unchanged. The rejections and
 * conditions a tap pushes carry its name, so no plugin can speak as another.
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
      const stamper = (context: unknown) => {
        const c = context as Attributable | undefined;
        if (!Array.isArray(c?.rejections) && !Array.isArray(c?.conditions)) return NOTHING_TO_STAMP;
        const from = [c!.rejections?.length ?? 0, c!.conditions?.length ?? 0] as const;
        return () => {
          for (const [list, start] of [
            [c!.rejections, from[0]],
            [c!.conditions, from[1]],
          ] as const) {
            for (let i = start; list && i < list.length; i++) if (list[i]!.by !== plugin) list[i] = { ...list[i]!, by: plugin };
          }
        };
      };
      if (tap.type === 'async') {
        tap.fn = (...args: unknown[]) => {
          const callback = args.pop() as Callback;
          const stamp = stamper(args[1]);
          try {
            fn(...args, (err?: unknown, result?: unknown) => {
              if (err) return callback(wrap(plugin, err));
              stamp();
              callback(null, result);
            });
          } catch (err) {
            callback(wrap(plugin, err));
          }
        };
        return tap;
      }
      tap.fn = (...args: unknown[]) => {
        const stamp = stamper(args[1]);
        try {
          const result = fn(...args);
          if (!(result instanceof Promise)) {
            stamp();
            return result;
          }
          return result.then(
            (value: unknown) => (stamp(), value),
            (err: unknown) => Promise.reject(wrap(plugin, err)),
          );
        } catch (err) {
          // a tapPromise tap that throws before it returns a promise still answers as a rejected promise
          if (tap.type === 'promise') return Promise.reject(wrap(plugin, err));
          throw wrap(plugin, err);
        }
      };
      return tap;
    },
  });
}
