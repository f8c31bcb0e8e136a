import type { Context } from 'koa';
import { engineMessage } from '../../cluster/engine-client.js';
import type { Engine } from '../../cluster/engine.js';
import { DockerError } from '../../errors.js';
import { headersForEngine } from '../headers.js';
import { outgoingSearch } from '../request-context.js';
import { pathFor, unreachable } from './forward.js';

/** One node's answer to a call made on several. */
export interface NodeAnswer {
  engine: Engine;
  status: number;
  body: Buffer;
}

/**
 * The same call on each node at once, answers buffered; an unreachable node answers 500 with why.
 */
export function callEach(
  ctx: Context,
  engines: Engine[],
  path: string,
  body?: Buffer,
  search = outgoingSearch(ctx),
): Promise<NodeAnswer[]> {
  return Promise.all(
    engines.map(async (engine) => {
      try {
        const res = await engine.request(ctx.method, pathFor(ctx, engine, path), {
          headers: headersForEngine(ctx.req.headers, false),
          body: ctx.method === 'GET' || ctx.method === 'HEAD' ? undefined : body,
          search,
        });
        return { engine, status: res.status, body: res.body };
      } catch (err) {
        const error = unreachable(engine, err);
        return {
          engine,
          status: error.status,
          body: Buffer.from(JSON.stringify({ message: error.message })),
        };
      }
    }),
  );
}

/**
 * Answers of several nodes as one: when any failed, its status and every failure by node
 * (and where it worked), so a failure on one node is never hidden;
 * otherwise `merge` of the bodies.
 */
export function mergeAnswers<T>(answers: NodeAnswer[], merge: (bodies: T[]) => unknown): unknown {
  const failed = answers.filter((a) => a.status >= 300);
  if (failed.length > 0) {
    const worked = answers.filter((a) => a.status < 300).map((a) => a.engine.name);
    const reasons = failed.map((a) => `${a.engine.name}: ${engineMessage(a.body)}`).join('; ');
    throw new DockerError(
      failed[0]!.status,
      `${reasons}${worked.length ? ` (done on ${worked.join(', ')})` : ''}`,
    );
  }
  return merge(
    answers.map((a) =>
      a.body.length ? (JSON.parse(a.body.toString('utf8')) as T) : (undefined as T),
    ),
  );
}

/**
 * Prune answers of several nodes as one: what each deleted (`deletedKey`), listed together,
 * and the space reclaimed summed.
 */
export function mergePrune(answers: NodeAnswer[], deletedKey: string, withSpace = true): unknown {
  return mergeAnswers<Record<string, unknown> | undefined>(answers, (bodies) => ({
    [deletedKey]: bodies.flatMap((b) => (b?.[deletedKey] as unknown[] | null | undefined) ?? []),
    ...(withSpace
      ? { SpaceReclaimed: bodies.reduce((sum, b) => sum + Number(b?.SpaceReclaimed ?? 0), 0) }
      : {}),
  }));
}
