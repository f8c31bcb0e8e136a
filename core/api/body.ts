import type { Context } from 'koa';
import { badRequest, DockerError } from '../errors.js';

/** JSON bodies on control routes are small; this bounds what a client can make the manager buffer. */
const MAX_JSON_BODY = 4 * 1024 * 1024;

export async function readBody(ctx: Context, limit = MAX_JSON_BODY): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new DockerError(413, `request body is larger than ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Reads a JSON object body; an empty body is `{}`. Bad JSON is a 400 with the parser's reason. */
export async function readJsonObject(ctx: Context): Promise<Record<string, unknown>> {
  const raw = await readBody(ctx);
  if (raw.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw badRequest(`invalid JSON in request body: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw badRequest('request body must be a JSON object');
  return parsed as Record<string, unknown>;
}
