import {
  documentMembers,
  needle,
  spliced,
  STAGE,
  type ByteRewrite,
  type NodeView,
  type SkepPlugin,
} from '../../core/plugin-api.js';

const PLUGIN_NAME = 'node-field';

/** The Docker API's ContainerNode type, as classic swarm filled it. */
export function containerNode(node: NodeView) {
  return {
    ID: node.id,
    IP: node.ip,
    Addr: node.addr,
    Name: node.name,
    Cpus: node.cpus,
    Memory: node.memory,
    Labels: { ...node.labels },
  };
}

const isObject = (body: unknown): body is Record<string, unknown> =>
  typeof body === 'object' && body !== null && !Array.isArray(body);

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const NEWLINE = 0x0a;

/**
 * The same in the engine's bytes: `"Node":{...}` added as the last member, where `{ ...body, Node }`
 * puts it. An answer that has a `Node` already (replaced in place by the spread) is left to the parse.
 */
export const nodeFieldBytes: ByteRewrite = (body, context) => {
  if (!context.node) return body;
  const close = body.lastIndexOf(CLOSE_BRACE);
  const tail = body.length - close - 1;
  if (
    body[0] !== OPEN_BRACE ||
    close < 1 ||
    tail > 1 ||
    (tail === 1 && body[close + 1] !== NEWLINE)
  )
    return undefined;
  // no `"Node":` anywhere: certainly no Node member; otherwise every member is read to tell
  if (body.includes(needle('"Node":')) && documentMembers(body)?.has('Node') !== false)
    return undefined;
  const comma = close > 1 ? ',' : '';
  const node = JSON.stringify(containerNode(context.node));
  return spliced(body, close, close, `${comma}"Node":${node}`);
};

/**
 * `docker inspect` of a container gains `Node`:
 * which node runs it (`{{.Node.Name}}`, `{{.Node.IP}}`).
 */
export function nodeField(): SkepPlugin {
  return {
    name: PLUGIN_NAME,
    apply(hooks) {
      hooks.rewriteResponse
        .for('container.inspect')
        .tap(
          { name: PLUGIN_NAME, stage: STAGE.SWARM_REWRITE, bytes: nodeFieldBytes },
          (body, context) =>
            context.node && isObject(body) ? { ...body, Node: containerNode(context.node) } : body,
        );
    },
  };
}
