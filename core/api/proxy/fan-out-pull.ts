import type { Context } from 'koa';
import type { Engine } from '../../cluster/engine.js';
import { type ProgressLine, pullOn } from '../../cluster/image-pull.js';
import { DockerError } from '../../errors.js';
import type { SkepState } from '../deps.js';
import { headersForEngine } from '../headers.js';
import { outgoingSearch } from '../request-context.js';

/**
 * A node's progress line as the client sees it, as classic wrote it
 * (api/handlers.go postImagesCreate): `id` is the node, and a pull's status reads
 * `Pulling busybox:latest... : Downloading` (the layer is not named). A `stream` line
 * (`Loaded image: busybox:latest`) passes as the engine wrote it, as classic passed it:
 * SDKs parse those.
 */
function labelled(engine: Engine, line: ProgressLine, pulling: string | undefined): ProgressLine {
  if (typeof line.stream === 'string') return line;
  const failed = line.errorDetail?.message ?? line.error;
  const { error: _e, errorDetail: _d, ...rest } = line;
  if (pulling !== undefined) {
    const text = failed ?? line.status ?? '';
    return {
      ...rest,
      id: engine.name,
      status: text ? `Pulling ${pulling}... : ${text}` : `Pulling ${pulling}...`,
    };
  }
  const text = failed !== undefined ? `Error: ${failed}` : (line.status ?? '');
  return { ...rest, id: engine.name, status: line.id ? `${line.id}: ${text}` : text };
}

/** Classic's getImageRef: `name:tag`, or `name@digest` when the tag is a digest. */
function imageRef(image: string, tag: string | undefined): string {
  if (!tag) return image;
  return tag.includes(':') ? `${image}@${tag}` : `${image}:${tag}`;
}

/**
 * `POST /images/create` (pull, or import with its body teed) or `/images/load` on every given
 * node at once, as one well-formed progress stream. Node errors become that node's lines, and
 * the stream ends with one error naming every node that failed, so the client's exit status
 * reflects a failure anywhere. When every node refuses before its stream starts, the client gets
 * the engine's own status and message.
 */
export async function createImageEverywhere(
  ctx: Context,
  engines: Engine[],
  path = 'images/create',
): Promise<void> {
  if (engines.length === 0) throw new DockerError(500, 'No healthy node available in the cluster');
  const withBody =
    (ctx.req.headers['content-length'] !== undefined &&
      ctx.req.headers['content-length'] !== '0') ||
    ctx.req.headers['transfer-encoding'] !== undefined;
  const headers = headersForEngine(ctx.req.headers, withBody);
  let started = false;
  const start = () => {
    if (started) return;
    started = true;
    ctx.respond = false;
    ctx.res.writeHead(200, { 'Content-Type': 'application/json' });
    ctx.res.flushHeaders();
  };
  const write = (line: ProgressLine) => ctx.res.write(`${JSON.stringify(line)}\n`);
  const query = new URLSearchParams(outgoingSearch(ctx));
  const pulling =
    path === 'images/create' && query.get('fromImage')
      ? imageRef(query.get('fromImage')!, query.get('tag') ?? undefined)
      : undefined;
  const outcomes = await Promise.all(
    engines.map((engine) =>
      pullOn(engine, {
        path,
        search: outgoingSearch(ctx),
        headers,
        apiVersion: (ctx.state as SkepState).apiVersion,
        body: withBody ? ctx.req : undefined,
        onStart: start,
        onLine: (line) => write(labelled(engine, line, pulling)),
      }).then((outcome) => ({ engine, outcome })),
    ),
  );
  const failed = outcomes.filter(({ outcome }) => !outcome.ok);
  if (!started) {
    // Every node refused at once: answer as one engine would, with its status and message.
    const first = failed[0]!.outcome;
    const same = failed.every(({ outcome }) => outcome.message === first.message);
    throw new DockerError(
      first.status,
      same
        ? (first.message ?? 'failed')
        : failed.map(({ engine, outcome }) => `${engine.name}: ${outcome.message}`).join('; '),
    );
  }
  for (const { engine, outcome } of failed) {
    if (outcome.status >= 300) write(labelled(engine, { error: outcome.message }, pulling));
  }
  // which nodes loaded it, on lines of their own (the engines' lines stay as they were)
  if (path === 'images/load')
    for (const { engine } of outcomes.filter(({ outcome }) => outcome.ok))
      write({ id: engine.name, status: 'Loaded' });
  if (failed.length > 0) {
    // the engine's message, as classic ended the stream; each node's own when they differ
    const same = failed.every(({ outcome }) => outcome.message === failed[0]!.outcome.message);
    const message = same
      ? (failed[0]!.outcome.message ?? 'failed')
      : failed.map(({ engine, outcome }) => `${engine.name}: ${outcome.message}`).join('; ');
    write({ errorDetail: { message }, error: message });
  }
  ctx.res.end();
}
