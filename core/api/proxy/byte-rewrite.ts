import type { ByteRewrite, ResponseContext } from '../../pipeline-types.js';

/**
 * A route's `rewriteResponse` done on the engine's bytes, when every tap gives a byte form (docs/plugins.md,
 * "Byte rewrites"): the answer is neither parsed nor serialised again. `undefined` when a tap has none, cannot
 * tell, or throws: the caller then parses and runs every tap's function (which reports a failing plugin).
 */
export function rewrittenBytes(
  taps: readonly object[],
  body: Buffer,
  context: ResponseContext,
): Buffer | undefined {
  let out = body;
  for (const tap of taps as { bytes?: ByteRewrite }[]) {
    if (!tap.bytes) return undefined;
    try {
      const next = tap.bytes(out, context);
      if (!next) return undefined;
      out = next;
    } catch {
      return undefined;
    }
  }
  return out;
}
