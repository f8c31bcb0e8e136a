import { DockerError } from './errors.js';

/** A plugin's tap failed with something other than a deliberate DockerError; says which plugin and hook. */
export class PluginError extends DockerError {
  override name = 'PluginError';
  constructor(plugin: string, hook: string, cause: unknown) {
    super(500, `plugin "${plugin}" failed in ${hook}: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

/** What tapable hands a `register` interceptor (its own type is not exported). */
interface TapLike {
  name: string;
  fn: Function; // tapable types it so
}

interface Interceptable {
  intercept(interceptor: { register?(tap: TapLike): TapLike }): void;
}

const wrap = (plugin: string, hook: string, err: unknown) => (err instanceof DockerError ? err : new PluginError(plugin, hook, err));

/**
 * Wraps every tap of a hook, present and future (tapable's `register` interceptor), so that an error names
 * the plugin and the hook. A DockerError is a plugin's deliberate answer and passes unchanged.
 */
export function nameTapErrors(hook: Interceptable, hookName: string): void {
  hook.intercept({
    register(tap) {
      const fn = tap.fn as (...args: unknown[]) => unknown;
      tap.fn = (...args: unknown[]) => {
        try {
          const result = fn(...args);
          return result instanceof Promise ? result.catch((err: unknown) => Promise.reject(wrap(tap.name, hookName, err))) : result;
        } catch (err) {
          throw wrap(tap.name, hookName, err);
        }
      };
      return tap;
    },
  });
}
