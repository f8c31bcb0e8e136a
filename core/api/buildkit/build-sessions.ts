import type { Engine } from '../../cluster/engine.js';

/**
 * How long a binding is kept after it was made: past any build,
 * short enough that the maps stay small.
 */
const KEPT_MS = 6 * 60 * 60_000;

/** Keys bound to engines, and callers waiting for a key to be bound. */
class Bindings {
  private readonly bound = new Map<string, { engine: Engine; at: number }>();
  private readonly waiting = new Map<string, Set<(engine: Engine | undefined) => void>>();

  bind(key: string, engine: Engine): void {
    const now = Date.now();
    this.bound.set(key, { engine, at: now });
    for (const wake of this.waiting.get(key) ?? []) wake(engine);
    this.waiting.delete(key);
    // bounded without a timer: each new binding drops the oldest ones past their time
    for (const [old, { at }] of this.bound) {
      if (now - at < KEPT_MS) break;
      this.bound.delete(old);
    }
  }

  /**
   * Nothing will be bound to `key` (its build failed to place):
   * whoever waits for it goes on now, with nothing.
   */
  abandon(key: string): void {
    for (const wake of this.waiting.get(key) ?? []) wake(undefined);
    this.waiting.delete(key);
  }

  get(key: string): Engine | undefined {
    return this.bound.get(key)?.engine;
  }

  /**
   * The engine `key` is bound to, once it is;
   * undefined after `ms` (or at once, for 0) if it is not.
   */
  wait(key: string, ms: number, signal?: AbortSignal): Promise<Engine | undefined> {
    const now = this.get(key);
    if (now || ms <= 0) return Promise.resolve(now);
    return new Promise((resolve) => {
      const waiters = this.waiting.get(key) ?? new Set();
      this.waiting.set(key, waiters);
      const done = (engine?: Engine) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', abandon);
        waiters.delete(wake);
        if (waiters.size === 0 && this.waiting.get(key) === waiters) this.waiting.delete(key);
        resolve(engine);
      };
      const wake = (engine: Engine | undefined) => done(engine);
      const abandon = () => done();
      const timer = setTimeout(abandon, ms);
      signal?.addEventListener('abort', abandon);
      waiters.add(wake);
    });
  }
}

/**
 * Which engine each BuildKit session and build belongs to. A build's calls come on several
 * connections: the solve (on `/grpc`, or `/build?version=2` from the 20.10 CLI) names its
 * session, and the session comes on `/session` (or as a `Control/Session` call), in either order;
 * status, the frontend's calls and a cancel name the build. The first solve of a session is
 * placed, and everything else of it follows to the same engine.
 */
export class BuildSessions {
  /** Session IDs (`X-Docker-Expose-Session-Uuid`) to engines. */
  readonly sessions = new Bindings();
  /** Build refs (a solve's `Ref`, the 20.10 CLI's `buildid`) to engines. */
  readonly builds = new Bindings();
}
